package dev.pretext.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.UserError;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation of one feature layer: linear probe (top-1, top-5, the chosen regParam and the
 * validation accuracy of every grid value) and kNN top-1, with the row counts behind them.
 * {@link #toMap()} is the stable JSON view (snake_case keys) written to {@code report.json}.
 *
 * @param trainCount      training rows (all used by the probe's refit and as the kNN bank)
 * @param fitCount        rows the grid models were fitted on
 * @param validationCount rows held out from training to choose regParam
 * @param testCount       rows scored
 * @param confusion       the linear probe's confusion matrix on the test rows; null beyond
 *                        {@link ConfusionMatrix#MAX_CLASSES} classes
 */
public record EvalReport(String layer, int numClasses, int numFeatures, long trainCount, long fitCount,
                         long validationCount, long testCount, double chosenRegParam,
                         Map<Double, Double> validationAccuracy, double linearTop1, double linearTop5,
                         int knnK, double knnTemperature, double knnTop1, ConfusionMatrix confusion)
        implements Serializable {

    private static final ObjectMapper JSON = new ObjectMapper();

    public EvalReport {
        validationAccuracy = Collections.unmodifiableMap(new LinkedHashMap<>(validationAccuracy));
    }

    public static EvalReport of(String layer, LinearProbeModel probe, ProbeScores linear, KnnScores knn,
                                ConfusionMatrix confusion) {
        return new EvalReport(layer, probe.numClasses(), probe.numFeatures(), probe.trainCount(), probe.fitCount(),
                probe.validationCount(), linear.count(), probe.chosenRegParam(), probe.validationAccuracy(),
                linear.top1(), linear.top5(), knn.k(), knn.temperature(), knn.top1(), confusion);
    }

    /**
     * JSON-ready view; the grid is a list of {@code {reg_param, accuracy}} in grid order;
     * {@code confusion} (rows: true class, columns: predicted) when kept.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layer", layer);
        m.put("linear_top1", linearTop1);
        m.put("linear_top5", linearTop5);
        m.put("knn_top1", knnTop1);
        m.put("chosen_reg_param", chosenRegParam);
        List<Map<String, Object>> grid = new ArrayList<>();
        validationAccuracy.forEach((reg, acc) -> {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("reg_param", reg);
            g.put("accuracy", acc);
            grid.add(g);
        });
        m.put("validation", grid);
        m.put("knn_k", knnK);
        m.put("knn_temperature", knnTemperature);
        m.put("num_classes", numClasses);
        m.put("num_features", numFeatures);
        m.put("train_count", trainCount);
        m.put("fit_count", fitCount);
        m.put("validation_count", validationCount);
        m.put("test_count", testCount);
        if (confusion != null) {
            m.put("confusion", confusion.toList());
        }
        return m;
    }

    public String toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toMap());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("report is not serialisable to JSON", e);
        }
    }

    /** Reads what {@link #toJson()} wrote. */
    public static EvalReport fromJson(String json) {
        Map<String, Object> m;
        try {
            m = JSON.readValue(json, new TypeReference<Map<String, Object>>() {
            });
        } catch (JsonProcessingException e) {
            throw new UserError("evaluation report: not valid JSON: " + e.getOriginalMessage(), e);
        }
        Map<Double, Double> grid = new LinkedHashMap<>();
        Object v = m.get("validation");
        if (!(v instanceof List<?> list)) throw new UserError("evaluation report: missing list 'validation'");
        for (Object o : list) {
            Map<?, ?> g = (Map<?, ?>) o;
            grid.put(num(g, "reg_param").doubleValue(), num(g, "accuracy").doubleValue());
        }
        return new EvalReport(String.valueOf(m.get("layer")), num(m, "num_classes").intValue(),
                num(m, "num_features").intValue(), num(m, "train_count").longValue(), num(m, "fit_count").longValue(),
                num(m, "validation_count").longValue(), num(m, "test_count").longValue(),
                num(m, "chosen_reg_param").doubleValue(), grid, num(m, "linear_top1").doubleValue(),
                num(m, "linear_top5").doubleValue(), num(m, "knn_k").intValue(),
                num(m, "knn_temperature").doubleValue(), num(m, "knn_top1").doubleValue(),
                ConfusionMatrix.fromList(m.get("confusion")));
    }

    private static Number num(Map<?, ?> m, String key) {
        Object o = m.get(key);
        if (!(o instanceof Number n)) throw new UserError("evaluation report: key '" + key + "' must be a number, got " + o);
        return n;
    }
}
