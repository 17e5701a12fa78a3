package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * A fitted {@link LinearProbe}: the scaler and regression refitted on all training rows with the
 * chosen regParam, plus the record of how it was chosen. {@link #transform} appends
 * {@code prediction} (double class index) and {@code probability} (vector) columns.
 */
public final class LinearProbeModel extends Model<LinearProbeModel> {
    private static final long serialVersionUID = 1L;
    private static final String IN = "__probe_in", SCALED = "__probe_scaled", RAW = "__probe_raw",
            PRED = "__probe_prediction", PROB = "__probe_probability";

    private final String uid;
    private final StandardScalerModel scaler;
    private final LogisticRegressionModel regression;
    private final double chosenRegParam;
    private final LinkedHashMap<Double, Double> validationAccuracy;
    private final long trainCount, fitCount, validationCount;
    private final int numClasses, numFeatures;

    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;

    LinearProbeModel(String uid, StandardScalerModel scaler, LogisticRegressionModel regression, double chosenRegParam,
                     Map<Double, Double> validationAccuracy, long trainCount, long fitCount, long validationCount,
                     int numClasses, int numFeatures) {
        this.uid = uid;
        // Private copies with fixed internal column names, so transform never mutates shared state.
        this.scaler = scaler.copy(ParamMap.empty()).setInputCol(IN).setOutputCol(SCALED);
        this.regression = regression.copy(ParamMap.empty());
        this.regression.setFeaturesCol(SCALED).setRawPredictionCol(RAW).setPredictionCol(PRED).setProbabilityCol(PROB);
        this.chosenRegParam = chosenRegParam;
        this.validationAccuracy = new LinkedHashMap<>(validationAccuracy);
        this.trainCount = trainCount;
        this.fitCount = fitCount;
        this.validationCount = validationCount;
        this.numClasses = numClasses;
        this.numFeatures = numFeatures;
        featuresCol = new Param<>(this, "featuresCol", "vector column of features");
        labelCol = new Param<>(this, "labelCol", "class index column used by evaluate");
        predictionCol = new Param<>(this, "predictionCol", "output: predicted class index (double)");
        probabilityCol = new Param<>(this, "probabilityCol", "output: class probability vector");
        setDefault(featuresCol, FeatureTable.VECTOR);
        setDefault(labelCol, FeatureTable.LABEL);
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> probabilityCol() { return probabilityCol; }

    public LinearProbeModel setFeaturesCol(String v) { set(featuresCol, v); return this; }
    public LinearProbeModel setLabelCol(String v) { set(labelCol, v); return this; }
    public LinearProbeModel setPredictionCol(String v) { set(predictionCol, v); return this; }
    public LinearProbeModel setProbabilityCol(String v) { set(probabilityCol, v); return this; }

    /** The regParam that won on the validation split (and was used for the refit). */
    public double chosenRegParam() { return chosenRegParam; }

    /** Validation top-1 accuracy per grid value, in grid order. */
    public Map<Double, Double> validationAccuracy() { return Collections.unmodifiableMap(validationAccuracy); }

    /** All training rows (the refit used them all). */
    public long trainCount() { return trainCount; }

    /** Rows of the fit part during selection. */
    public long fitCount() { return fitCount; }

    /** Rows of the held-out validation part during selection. */
    public long validationCount() { return validationCount; }

    public int numClasses() { return numClasses; }

    public int numFeatures() { return numFeatures; }

    public LogisticRegressionModel regression() { return regression; }

    public StandardScalerModel scaler() { return scaler; }

    /**
     * The probe as plain MLlib stages for a user's {@code PipelineModel}: the scaler
     * ({@code featuresCol} to {@code scaled_<featuresCol>}) and the logistic regression on it
     * ({@code prediction}, {@code probability}, {@code rawPrediction}); copies, this model is unchanged.
     */
    public org.apache.spark.ml.Transformer[] mllibStages(String featuresCol) {
        String scaled = "scaled_" + featuresCol;
        StandardScalerModel s = scaler.copy(ParamMap.empty()).setInputCol(featuresCol).setOutputCol(scaled);
        LogisticRegressionModel r = regression.copy(ParamMap.empty());
        r.setFeaturesCol(scaled).setPredictionCol("prediction").setProbabilityCol("probability")
                .setRawPredictionCol("rawPrediction");
        return new org.apache.spark.ml.Transformer[]{s, r};
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        Dataset<Row> in = dataset.toDF().withColumn(IN, col($(featuresCol)));
        Dataset<Row> out = regression.transform(scaler.transform(in));
        return out.drop(IN, SCALED, RAW)
                .withColumnRenamed(PRED, $(predictionCol))
                .withColumnRenamed(PROB, $(probabilityCol));
    }

    /** Top-1 / top-5 accuracy on a labelled set (e.g. the test split), computed on the executors. */
    public ProbeScores evaluate(Dataset<?> labelled) {
        return TopKAccuracy.score(transform(labelled), $(probabilityCol), $(labelCol));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        FeatureTable.requireColumn(schema, $(featuresCol), SQLDataTypes.VectorType(), "linear probe input");
        for (String c : new String[]{$(predictionCol), $(probabilityCol)}) {
            if (Arrays.asList(schema.fieldNames()).contains(c)) {
                throw new UserError("linear probe: input already has a column '" + c + "'; choose another output name");
            }
        }
        return outputSchema(schema, $(predictionCol), $(probabilityCol));
    }

    static StructType outputSchema(StructType schema) {
        return outputSchema(schema, "prediction", "probability");
    }

    private static StructType outputSchema(StructType schema, String prediction, String probability) {
        return schema.add(prediction, DataTypes.DoubleType, false).add(probability, SQLDataTypes.VectorType(), false);
    }

    @Override
    public LinearProbeModel copy(ParamMap extra) {
        LinearProbeModel copy = new LinearProbeModel(uid, scaler, regression, chosenRegParam, validationAccuracy,
                trainCount, fitCount, validationCount, numClasses, numFeatures);
        return copyValues(copy, extra).setParent(parent());
    }
}
