package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.describe.Descriptors;
import dev.pretext.nn.Backbones;
import dev.pretext.nn.MvMrLoss;
import dev.pretext.nn.Projector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * MV-MR (multi-views, multi-representations) and label-free distillation, one class, two
 * registry entries.
 *
 * <p>An example is the non-augmented image x (the whole image, resized: {@link ViewRecipe#original})
 * and one augmented view x' of the {@code augment.*} recipe, stacked as view 0 and view 1, plus
 * the image's representations f_k(x) from the descriptors table (joined by id). The encoder and
 * the projector ({@code projector} widths, Linear-BN-ReLU between) give z and z', and
 * {@link MvMrLoss} computes L1 + L2 + L3.
 * <ul>
 *   <li>{@code mvmr}: the representations are handcrafted descriptors of x ({@code descriptors}:
 *       the paper's five, image, scattering, augmented, hog, lsd) and optionally teacher
 *       embeddings ({@code teachers});</li>
 *   <li>{@code distill}: L3 against one teacher's embedding of x ({@code teacher}: a Pretext run,
 *       checkpoint or DL4J model zip, any architecture and width): distillation without labels.</li>
 * </ul>
 * The graph needs each representation's width, which the descriptors table's manifest gives when a
 * run starts ({@link #withRepresentationWidths}).
 */
public final class MvMr implements PretextMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "mvmr";
    public static final String DISTILL = "distill";
    static final String LOSS = "loss";
    static final MethodKey PROJECTOR = new MethodKey("projector",
            "widths of the projector's linear layers (BN + ReLU between; the paper: 8192, 8192, 8192)");
    static final List<MethodKey> WEIGHTS = List.of(
            new MethodKey("mse-weight", "weight of MSE(z, z')"),
            new MethodKey("variance-weight", "weight of the variance hinges of z and z'"),
            new MethodKey("view-weight", "weight of 1 - dCor(z, z')"),
            new MethodKey("representation-weight", "weight of each representation term of z'"),
            new MethodKey("margin", "target standard deviation of every embedding dimension (gamma)"),
            new MethodKey("sign", "representation term: maximise (1 - dCor, the paper) or minimise (dCor, the"
                    + " authors' code)"), PROJECTOR);
    static final List<MethodKey> KEYS = concat(List.of(
            new MethodKey("descriptors", "handcrafted representations of x, in order (" + String.join(", ",
                    Descriptors.NAMES) + "; describe.<name>.* sets their parameters)"),
            new MethodKey("teachers", "teacher embeddings of x as further representations, MODEL[:layer][=name]"
                    + " each")), WEIGHTS);
    static final List<MethodKey> DISTILL_KEYS = concat(List.of(
            new MethodKey("teacher", "the teacher: a Pretext run, checkpoint or DL4J model zip, as"
                    + " MODEL[:layer][=name]")), WEIGHTS);

    private final String name;
    private final List<String> descriptors;
    private final List<String> teachers;
    private final double mse;
    private final double variance;
    private final double view;
    private final double representation;
    private final double margin;
    private final String sign;
    private final int[] projector;
    /** Null until bound. */
    private final int[] widths;

    private static List<MethodKey> concat(List<MethodKey> a, List<MethodKey> b) {
        List<MethodKey> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    /** {@code mvmr}. */
    public static MvMr mvmr(MethodParams p) {
        return new MvMr(NAME, p, p.names("descriptors", Descriptors.NAMES), p.names("teachers", null));
    }

    /** {@code distill}: no descriptors, one teacher. */
    public static MvMr distill(MethodParams p) {
        Object t = p.asMap().get("teacher");
        List<String> teachers = t == null || String.valueOf(t).isBlank() ? List.of() : List.of(p.string("teacher"));
        return new MvMr(DISTILL, p, List.of(), teachers);
    }

    private MvMr(String name, MethodParams p, List<String> descriptors, List<String> teachers) {
        this.name = name;
        this.descriptors = List.copyOf(descriptors);
        this.teachers = List.copyOf(teachers);
        this.mse = p.dbl("mse-weight", 0, 1e4);
        this.variance = p.dbl("variance-weight", 0, 1e4);
        this.view = p.dbl("view-weight", 0, 1e4);
        this.representation = p.dbl("representation-weight", 0, 1e4);
        this.margin = p.dbl("margin", 1e-6, 1e4);
        this.sign = p.choice("sign", List.of(MvMrLoss.MAXIMISE, MvMrLoss.MINIMISE));
        this.projector = p.integers("projector", 1, 1 << 16);
        this.widths = null;
        if (!teachers.isEmpty()) {
            representations();   // a malformed teacher spec fails here, not when the run starts
        }
    }

    private MvMr(MvMr o, int[] widths) {
        this.name = o.name;
        this.descriptors = o.descriptors;
        this.teachers = o.teachers;
        this.mse = o.mse;
        this.variance = o.variance;
        this.view = o.view;
        this.representation = o.representation;
        this.margin = o.margin;
        this.sign = o.sign;
        this.projector = o.projector;
        this.widths = widths.clone();
    }

    @Override
    public String name() {
        return name;
    }

    /** View 0: the whole image (x); view 1: the {@code augment.*} recipe (x'). */
    @Override
    public List<ViewRecipe> views(AugmentSpec base) {
        return List.of(ViewRecipe.original(base), ViewRecipe.of(base));
    }

    @Override
    public Representations representations() {
        if (name.equals(DISTILL) && teachers.isEmpty()) {
            throw new UserError("method distill needs a teacher: set method.distill.teacher to a Pretext run,"
                    + " checkpoint or DL4J model zip (MODEL[:layer][=name])");
        }
        return new Representations(descriptors, teachers);
    }

    @Override
    public MvMr withRepresentationWidths(int[] widths) {
        int n = representations().columns().size();
        if (widths.length != n || Arrays.stream(widths).anyMatch(w -> w < 1)) {
            throw new IllegalArgumentException(name + " reads " + n + " representation columns "
                    + representations().columns() + "; got widths " + Arrays.toString(widths));
        }
        return new MvMr(this, widths);
    }

    /** The projector's layer widths. */
    public int[] projector() {
        return projector.clone();
    }

    /** The loss layer of the graph. */
    public MvMrLoss loss() {
        if (widths == null) {
            throw new IllegalStateException(name + ": the widths of its representations " + representations().columns()
                    + " are not bound yet (withRepresentationWidths, from the descriptors table)");
        }
        return new MvMrLoss(widths, mse, variance, view, representation, margin, sign);
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        MvMrLoss loss = loss();
        GraphBuilder g = spec.backboneGraph(seed);
        int features = spec.featureDim();
        String z = Projector.addMlp(g, "proj", Backbones.EMBEDDING, features, projector);
        g.addLayer(LOSS, loss, z);
        return g.setOutputs(LOSS).build();
    }

    @Override
    public MultiDataSet assemble(float[][] views, int batchSize, int height, int width) {
        return assemble(views, new float[0][], batchSize, height, width);
    }

    /**
     * Features: x then x' stacked [2B, 3, h, w]; labels: the double-centred distance matrices of the
     * image's representations over the minibatch ({@link MvMrLoss#labels}, [2B, B * K]), made here,
     * on the executor, so the representations themselves (~0.9 MB per 96 x 96 image with the five
     * descriptors) never enter the network's minibatch.
     */
    @Override
    public MultiDataSet assemble(float[][] views, float[][] reps, int batchSize, int height, int width) {
        MvMrLoss loss = loss();
        int[] w = loss.getWidths();
        if (reps == null || reps.length != w.length) {
            throw new IllegalArgumentException(name + " needs " + w.length + " representations per image "
                    + representations().columns() + ", got " + (reps == null ? 0 : reps.length));
        }
        INDArray features = ViewMethod.stack(name, views, 2, batchSize, height, width);
        INDArray[] matrices = new INDArray[w.length];
        for (int k = 0; k < w.length; k++) {
            if (reps[k] == null || reps[k].length != (long) batchSize * w[k]) {
                throw new IllegalArgumentException("representation " + representations().columns().get(k) + " has "
                        + (reps[k] == null ? "no" : reps[k].length) + " values; expected batch x width = "
                        + batchSize + " x " + w[k]);
            }
            for (int i = 0; i < reps[k].length; i++) {
                if (!Float.isFinite(reps[k][i])) {
                    throw new IllegalArgumentException("representation " + representations().columns().get(k)
                            + " of image " + i / w[k] + " of the batch holds " + reps[k][i]);
                }
            }
            matrices[k] = Nd4j.create(reps[k], new long[] {batchSize, w[k]}, 'c');
        }
        INDArray l = MvMrLoss.labels(batchSize, matrices);
        for (INDArray m : matrices) {
            m.close();
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {features}, new INDArray[] {l});
    }
}
