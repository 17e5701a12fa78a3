package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.List;
import java.util.stream.Collectors;

import static org.apache.spark.sql.functions.col;

/**
 * Evaluates one layer of a features table: the linear probe is fitted on the train split only
 * (its regParam chosen inside that split) and scored on the test split; the kNN classifier uses
 * the train split as its bank and scores the test split.
 */
public final class FeatureEvaluation {
    private final LinearProbe probe;
    private final KnnClassifier knn;

    public FeatureEvaluation(LinearProbe probe, KnnClassifier knn) {
        this.probe = probe;
        this.knn = knn;
    }

    /** Default grid {1e-4..1e-1}, 20% validation, maxIter 100; kNN k=200, T=0.07. */
    public static FeatureEvaluation defaults() {
        return new FeatureEvaluation(new LinearProbe(), KnnClassifier.defaults());
    }

    public EvalReport run(Dataset<Row> features, String layer, String trainSplit, String testSplit) {
        return run(features, layer, trainSplit, testSplit, m -> { });
    }

    /** As above, handing the fitted linear probe to {@code fitted} (e.g. to save it) before kNN runs. */
    public EvalReport run(Dataset<Row> features, String layer, String trainSplit, String testSplit,
                          java.util.function.Consumer<LinearProbeModel> fitted) {
        FeatureTable.requireSchema(features, "features table");
        Dataset<Row> ofLayer = features.where(col(FeatureTable.LAYER).equalTo(layer));
        // Not persisted here: the probe and kNN each persist the projection they need (serialized,
        // spillable), and a third copy of the same vectors would only cost memory.
        Dataset<Row> train = ofLayer.where(col(FeatureTable.SPLIT).equalTo(trainSplit));
        Dataset<Row> test = ofLayer.where(col(FeatureTable.SPLIT).equalTo(testSplit));
        if (train.isEmpty() || test.isEmpty()) {
            List<String> present = features.select(FeatureTable.LAYER, FeatureTable.SPLIT).distinct().collectAsList()
                    .stream().map(r -> r.getString(0) + "/" + r.getString(1)).sorted().collect(Collectors.toList());
            throw new UserError("features table has no rows for layer '" + layer + "' and split '"
                    + (train.isEmpty() ? trainSplit : testSplit) + "'; layer/split present: " + present);
        }
        LinearProbeModel model = probe.fit(train);
        ProbeScores linear = model.evaluate(test);
        fitted.accept(model);
        KnnScores nn = knn.evaluate(train, test);
        ConfusionMatrix confusion = model.numClasses() > ConfusionMatrix.MAX_CLASSES ? null
                : ConfusionMatrix.of(model.transform(test), FeatureTable.LABEL, "prediction", model.numClasses());
        return EvalReport.of(layer, model, linear, nn, confusion);
    }
}
