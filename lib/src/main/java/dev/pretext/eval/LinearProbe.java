package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Linear probe on frozen features: standardisation followed by multinomial logistic regression
 * (L2 only), with the regularisation strength chosen on a validation split held out from the
 * training rows given to {@link #fit}. The test set is never an input to fitting, so selection
 * cannot see it.
 *
 * <p>Procedure: split the training rows by a seeded hash of the id column (so the split does not
 * depend on partitioning or row order) into fit and validation parts; fit the scaler on the fit
 * part; for each regParam in the grid, fit on the fit part and measure top-1 accuracy on the
 * validation part; take the best (ties go to the stronger regularisation); then refit scaler and
 * regression on all training rows with that value.
 *
 * <p>Memory: the training rows are persisted serialized and spillable ({@code MEMORY_AND_DISK_SER})
 * at every step, so the probe needs no more executor memory than a partition's rows and the
 * coefficients (classes x d doubles per task); wide tables are read with a bounded Parquet batch
 * ({@link FeatureTable#read}).
 */
public final class LinearProbe extends Estimator<LinearProbeModel> {
    private static final long serialVersionUID = 1L;
    private static final int HASH_BUCKETS = 1_000_000;
    /** How far below the fit-part model's validation top-1 the refit may score on those rows. */
    static final double REFIT_TOLERANCE = 0.02;

    private final String uid;
    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final Param<String> idCol;
    private final DoubleArrayParam regParams;
    private final DoubleParam validationFraction;
    private final LongParam seed;
    private final IntParam maxIter;
    private final DoubleParam tol;

    public LinearProbe() {
        this(Identifiable$.MODULE$.randomUID("linearProbe"));
    }

    public LinearProbe(String uid) {
        this.uid = uid;
        featuresCol = new Param<>(this, "featuresCol", "vector column of features");
        labelCol = new Param<>(this, "labelCol", "class index column (int), >= 0");
        idCol = new Param<>(this, "idCol", "string id column; its seeded hash picks the validation rows");
        regParams = new DoubleArrayParam(this, "regParams", "L2 regularisation strengths to choose from (each >= 0)");
        validationFraction = new DoubleParam(this, "validationFraction", "share of training rows held out for selection, in (0, 1)");
        seed = new LongParam(this, "seed", "seed of the validation split");
        maxIter = new IntParam(this, "maxIter", "maximum L-BFGS iterations per fit (> 0)");
        tol = new DoubleParam(this, "tol", "convergence tolerance of each fit (>= 0)");
        setDefault(featuresCol, FeatureTable.VECTOR);
        setDefault(labelCol, FeatureTable.LABEL);
        setDefault(idCol, FeatureTable.ID);
        setDefault(regParams, new double[]{1e-4, 1e-3, 1e-2, 1e-1});
        setDefault(validationFraction, 0.2);
        setDefault(seed, 42L);
        setDefault(maxIter, 100);
        setDefault(tol, 1e-6);
    }

    @Override
    public String uid() {
        return uid;
    }

    // Params discovers its parameters through public no-arg methods returning Param.
    public Param<String> featuresCol() { return featuresCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> idCol() { return idCol; }
    public DoubleArrayParam regParams() { return regParams; }
    public DoubleParam validationFraction() { return validationFraction; }
    public LongParam seed() { return seed; }
    public IntParam maxIter() { return maxIter; }
    public DoubleParam tol() { return tol; }

    public LinearProbe setFeaturesCol(String v) { set(featuresCol, v); return this; }
    public LinearProbe setLabelCol(String v) { set(labelCol, v); return this; }
    public LinearProbe setIdCol(String v) { set(idCol, v); return this; }
    public LinearProbe setRegParams(double... v) { set(regParams, v.clone()); return this; }
    public LinearProbe setValidationFraction(double v) { set(validationFraction, v); return this; }
    public LinearProbe setSeed(long v) { set(seed, v); return this; }
    public LinearProbe setMaxIter(int v) { set(maxIter, v); return this; }
    public LinearProbe setTol(double v) { set(tol, v); return this; }

    public String getFeaturesCol() { return $(featuresCol); }
    public String getLabelCol() { return $(labelCol); }
    public String getIdCol() { return $(idCol); }
    public double[] getRegParams() { return $(regParams).clone(); }
    public double getValidationFraction() { return (Double) $(validationFraction); }
    public long getSeed() { return (Long) $(seed); }
    public int getMaxIter() { return (Integer) $(maxIter); }
    public double getTol() { return (Double) $(tol); }

    @Override
    public LinearProbeModel fit(Dataset<?> dataset) {
        validateParams();
        transformSchema(dataset.schema());
        String f = getFeaturesCol();
        // Fixed internal names keep the rest of the procedure independent of the user's columns.
        Dataset<Row> input = dataset.toDF().select(
                        col(getIdCol()).as("id"),
                        col(getLabelCol()).cast(DataTypes.DoubleType).as("label"),
                        col(f).as("features"))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        try {
            Row stats = input.agg(count(lit(1)), min("label"), max("label"),
                    min(size(org.apache.spark.ml.functions.vector_to_array(col("features"), "float64"))),
                    max(size(org.apache.spark.ml.functions.vector_to_array(col("features"), "float64"))),
                    count(col("label"))).first();
            long n = stats.getLong(0);
            if (n == 0) throw new UserError("linear probe: the training set is empty");
            if (stats.getLong(5) != n) throw new UserError("linear probe: the training set has rows with a null label");
            double minLabel = stats.getDouble(1), maxLabel = stats.getDouble(2);
            if (minLabel < 0) {
                throw new UserError("linear probe: training label " + minLabel
                        + " found; labels must be class indices >= 0 (filter out unlabeled rows)");
            }
            int dimMin = stats.getInt(3), dimMax = stats.getInt(4);
            if (dimMin != dimMax || dimMin == 0) {
                throw new UserError("linear probe: feature vectors must all have one non-zero length; found lengths from "
                        + dimMin + " to " + dimMax + " in column '" + f + "'");
            }
            int numClasses = (int) maxLabel + 1;
            if (numClasses < 2) throw new UserError("linear probe: training labels span one class only; need at least 2");

            // Fixing the class count in the label metadata gives every fit (even on a part that
            // lacks some class) probability vectors of the same length.
            Column label = col("label").as("label",
                    NominalAttribute.defaultAttr().withName("label").withNumValues(numClasses).toMetadata());
            Column isVal = pmod(xxhash64(col("id"), lit(getSeed())), lit(HASH_BUCKETS))
                    .lt(lit(Math.round(getValidationFraction() * HASH_BUCKETS)));
            Dataset<Row> all = input.select(col("id"), label, col("features"));
            Dataset<Row> fitPart = all.where(isVal.unary_$bang());
            Dataset<Row> valPart = all.where(isVal);

            StandardScalerModel scaler = scaler().fit(fitPart);
            Dataset<Row> fitScaled = scaled(scaler, fitPart);
            Dataset<Row> valScaled = scaled(scaler, valPart);
            long fitCount = fitScaled.count(), valCount = valScaled.count();
            if (fitCount == 0 || valCount == 0) {
                throw new UserError("linear probe: " + n + " training rows are too few to hold out a validation split of "
                        + getValidationFraction() + " (fit part " + fitCount + ", validation part " + valCount + ")");
            }
            Map<Double, Double> valAccuracy = new LinkedHashMap<>();
            double best = Double.NaN, bestAcc = -1;
            LogisticRegressionModel bestModel = null;
            try {
                for (double reg : getRegParams()) {
                    LogisticRegressionModel m = regression(reg).fit(fitScaled);
                    double acc = TopKAccuracy.score(m.transform(valScaled), "probability", "label").top1();
                    valAccuracy.put(reg, acc);
                    if (acc > bestAcc || (acc == bestAcc && reg > best)) {
                        bestAcc = acc;
                        best = reg;
                        bestModel = m;
                    }
                }
            } finally {
                fitScaled.unpersist();
                valScaled.unpersist();
            }

            StandardScalerModel finalScaler = scaler().fit(all);
            Dataset<Row> allScaled = scaled(finalScaler, all);
            LogisticRegressionModel finalLr;
            try {
                finalLr = regression(best).fit(allScaled);
            } finally {
                allScaled.unpersist();
            }
            StandardScalerModel usedScaler = finalScaler;
            // MLlib's L-BFGS can give up on a line search ("Line search zoom failed ... giving up")
            // and return a broken model: seen on 50,000 x 3,072 raw pixels, where the refit became a
            // constant classifier. The refit has seen the validation rows, so it must score them at
            // least as well as the fit-part model did; when it does not, that validated model is kept.
            double refitOnVal = TopKAccuracy.score(finalLr.transform(finalScaler.transform(valPart)),
                    "probability", "label").top1();
            if (bestModel != null && refitOnVal < bestAcc - REFIT_TOLERANCE) {
                System.err.printf(java.util.Locale.ROOT, "linear probe: the refit on all %d rows scores %.3f on"
                        + " the validation rows, below the %.3f of the model fitted without them (the optimiser"
                        + " failed); keeping that model (%d rows)%n", n, refitOnVal, bestAcc, fitCount);
                finalLr = bestModel;
                usedScaler = scaler;
            }
            LinearProbeModel model = new LinearProbeModel(uid + "_model", usedScaler, finalLr, best, valAccuracy,
                    n, fitCount, valCount, numClasses, dimMin);
            model.setFeaturesCol(f).setLabelCol(getLabelCol());
            return model.setParent(this);
        } finally {
            input.unpersist();
        }
    }

    /**
     * Only the columns the regression reads, persisted serialized and spillable: Spark keeps
     * them as bytes (about 8 d per row) and moves them to disk under memory pressure, and
     * LogisticRegression, seeing a persisted input, does not cache a deserialized copy of its own.
     */
    private static Dataset<Row> scaled(StandardScalerModel scaler, Dataset<Row> part) {
        return scaler.transform(part).select("label", "scaled").persist(StorageLevel.MEMORY_AND_DISK_SER());
    }

    private static StandardScaler scaler() {
        return new StandardScaler().setWithMean(true).setWithStd(true)
                .setInputCol("features").setOutputCol("scaled");
    }

    private LogisticRegression regression(double reg) {
        // standardization off: the features are already standardised by our scaler, so the
        // penalty acts on the same scale the scaler defines, at validation and refit alike.
        return new LogisticRegression().setFamily("multinomial").setElasticNetParam(0.0).setRegParam(reg)
                .setStandardization(false).setFitIntercept(true)
                .setMaxIter(getMaxIter()).setTol(getTol())
                .setFeaturesCol("scaled").setLabelCol("label");
    }

    private void validateParams() {
        double[] grid = $(regParams);
        if (grid == null || grid.length == 0) {
            throw new UserError("linear probe: regParams must list at least one value, got " + Arrays.toString(grid));
        }
        for (double r : grid) {
            if (!(r >= 0) || !Double.isFinite(r)) {
                throw new UserError("linear probe: regParams values must be finite and >= 0, got " + Arrays.toString(grid));
            }
        }
        double vf = getValidationFraction();
        if (!(vf > 0 && vf < 1)) throw new UserError("linear probe: validationFraction must be in (0, 1), got " + vf);
        if (getMaxIter() <= 0) throw new UserError("linear probe: maxIter must be > 0, got " + getMaxIter());
        if (!(getTol() >= 0)) throw new UserError("linear probe: tol must be >= 0, got " + getTol());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        requireType(schema, getFeaturesCol(), SQLDataTypes.VectorType());
        requireType(schema, getIdCol(), DataTypes.StringType);
        if (!Arrays.asList(schema.fieldNames()).contains(getLabelCol())
                || !(schema.apply(getLabelCol()).dataType() instanceof NumericType)) {
            throw new UserError("linear probe: needs a numeric label column '" + getLabelCol() + "'; columns: "
                    + Arrays.toString(schema.fieldNames()));
        }
        return LinearProbeModel.outputSchema(schema);
    }

    private static void requireType(StructType schema, String name, DataType type) {
        FeatureTable.requireColumn(schema, name, type, "linear probe input");
    }

    @Override
    public LinearProbe copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
