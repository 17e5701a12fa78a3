package dev.pretext.method;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import dev.pretext.UserError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The one registry of methods: {@code method.name}'s allowed values, {@code bin/pretext methods}
 * and the validation of {@code method.<name>.*} all come from it. Each entry is one class; its
 * defaults are in {@code pretext/methods/<name>.conf}.
 */
public final class Methods {

    /**
     * @param name    what {@code method.name} selects
     * @param summary one line: what it computes and where it comes from
     * @param inputs  what an example needs (views and their recipes, extra columns)
     * @param keys    its {@code method.<name>.*} keys
     */
    public record Entry(String name, String summary, String inputs, List<MethodKey> keys,
                        Function<MethodParams, PretextMethod> factory) {
    }

    private static final Map<String, Entry> ALL = new LinkedHashMap<>();

    static {
        add(new Entry(SimClr.NAME, "SimCLR: NT-Xent over the 2B projections, diagonal excluded (Chen et al. 2020)",
                "2 views, the augment.* recipe", SimClr.KEYS, SimClr::new));
        add(new Entry(Byol.NAME, "BYOL: 2 - 2cos(online prediction, sg(EMA target projection)) of the other view,"
                + " symmetrised (Grill et al. 2020)", "2 views: blur 1.0 / 0.1, solarize 0 / 0.2; EMA target twin",
                Byol.KEYS, Byol::new));
        add(new Entry(SimSiam.NAME, "SimSiam: -cos(prediction, sg(projection)) of the other view, symmetrised;"
                + " no target network (Chen and He 2021)", "2 views, the augment.* recipe", SimSiam.KEYS, SimSiam::new));
        add(new Entry(MocoV2.NAME, "MoCo v2: InfoNCE of queries against the EMA key encoder's keys, negatives from"
                + " a FIFO queue (Chen et al. 2020)", "2 views, the augment.* recipe; EMA key encoder; queue in the"
                + " model; paramavg with 1 worker", MocoV2.KEYS, MocoV2::new));
        add(new Entry(BarlowTwins.NAME, "Barlow Twins: cross-correlation of the two views' standardised projections"
                + " pushed to the identity (Zbontar et al. 2021)", "2 views, the augment.* recipe", BarlowTwins.KEYS,
                BarlowTwins::new));
        add(new Entry(VicReg.NAME, "VICReg: invariance + variance + covariance, 25/25/1 (Bardes et al. 2022)",
                "2 views, the augment.* recipe", VicReg.KEYS, VicReg::new));
        add(new Entry(MsbReg.NAME, "MSBReg: multiview centroid + singular-value + Brownian losses (ECCV 2022)",
                "K views (method.msbreg.views), the augment.* recipe; EMA target twin", MsbReg.KEYS, MsbReg::new));
        add(new Entry(MvMr.NAME, "MV-MR: MSE + variance + distance correlation of the views, and of the augmented"
                + " view with handcrafted representations of the image (Kinakh et al. 2023)",
                "the image and 1 augmented view; descriptors of the image (describe stage, joined by id)",
                MvMr.KEYS, MvMr::mvmr));
        add(new Entry(MvMr.DISTILL, "Distillation without labels: MV-MR with a teacher's embedding of the image as"
                + " the representation (any teacher architecture and width)",
                "the image and 1 augmented view; the teacher's embedding of the image (describe stage, joined by"
                + " id)", MvMr.DISTILL_KEYS, MvMr::distill));
        add(new Entry(RelativePosition.NAME, "Relative position: which of the 8 neighbours of the centre patch a"
                + " second patch is, 3 x 3 grid with gap and jitter (Doersch et al. 2015)",
                "patches: the centre and one neighbour per image, drawn per step", RelativePosition.KEYS,
                RelativePosition::new));
        add(new Entry(Jigsaw.NAME, "Jigsaw: which permutation of a set shuffled the 9 tiles, siamese tile encoder"
                + " (Noroozi and Favaro 2016)", "patches: the 9 tiles of a 3 x 3 grid per image, in a permutation"
                + " drawn per step", Jigsaw.KEYS, Jigsaw::new));
        add(new Entry(ContextAutoencoder.NAME, "Context-patch autoencoder: each patch of a 4 x 4 grid reconstructed"
                + " from its 8 neighbours through a shared tower, pixel-wise L2 (visual word embedding)",
                "patches: 4 x 4 grid, method.context-ae.positions patches with their 8 neighbours per image and"
                + " step; evaluated on the 16 concatenated patch embeddings", ContextAutoencoder.KEYS,
                ContextAutoencoder::new));
        add(new Entry(Selfie.NAME, "Selfie: masked patch prediction; a transformer over the patch codes of a 4 x 4"
                + " grid, masked ones zeroed, picks each masked patch's code among all patches of the minibatch"
                + " (Trinh et al. 2019; DV2's L_mp)", "patches: 4 x 4 grid of one augment.* view per image;"
                + " method.selfie.masked of the 16 masked per image and step", Selfie.KEYS, Selfie::new));
        add(new Entry(Selfie.DV2, "DV2: Selfie plus the double view (the whole image through the same patch network,"
                + " L_mi against the transformer's [IMG] output) and dynamic vocabularies of patches and images"
                + ", the hybrid self-attention among visible patches between conv stages and transformed positives"
                + " (Double View with Dynamic Vocabulary)",
                "patches: 4 x 4 grid of one augment.* view per image, plus the whole view pooled to a patch's size;"
                + " paramavg with 1 worker (the vocabularies)", Selfie.DV2_KEYS, Selfie::dv2));
        add(new Entry(Rotation.NAME, "Rotation: 4-way softmax cross-entropy of a classifier head predicting the"
                + " quarter turns (0, 90, 180, 270 degrees) of each view (Gidaris et al. 2018)",
                "4 views: one draw of method.rotation.augment (default crop-flip) turned 0/1/2/3 quarter turns;"
                + " square views", Rotation.KEYS, Rotation::new));
    }

    private Methods() {
    }

    private static void add(Entry e) {
        ALL.put(e.name(), e);
    }

    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    public static List<Entry> entries() {
        return List.copyOf(ALL.values());
    }

    /** @throws UserError for an unknown name, listing the valid ones */
    public static Entry entry(String name) {
        Entry e = ALL.get(name);
        if (e == null) {
            throw new UserError("unknown method '" + name + "'; available: " + String.join(", ", names()));
        }
        return e;
    }

    /** The method {@code name} configured by its keys (unknown keys and bad values are {@link UserError}s). */
    public static PretextMethod create(String name, MethodParams params) {
        Entry e = entry(name);
        params.checkKeys(e.keys());
        return e.factory().apply(params);
    }

    /** The method with its defaults from {@code pretext/methods/<name>.conf}. */
    public static PretextMethod withDefaults(String name) {
        return create(name, new MethodParams(name, defaults(name)));
    }

    /** The defaults of {@code method.<name>.*}, from {@code pretext/methods/<name>.conf}. */
    public static Map<String, Object> defaults(String name) {
        entry(name);
        Config c = ConfigFactory.parseResources(Methods.class.getClassLoader(), "pretext/methods/" + name + ".conf");
        String path = "method." + name;
        return c.hasPath(path) ? new LinkedHashMap<>(c.getConfig(path).root().unwrapped()) : new LinkedHashMap<>();
    }

    /** {@code bin/pretext methods}: every method, its inputs, its keys with their defaults and meaning. */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : ALL.values()) {
            Config c = ConfigFactory.parseResources(Methods.class.getClassLoader(), "pretext/methods/" + e.name() + ".conf");
            sb.append(e.name()).append(": ").append(e.summary()).append('\n');
            sb.append("  inputs: ").append(e.inputs()).append('\n');
            List<String> lines = new ArrayList<>();
            for (MethodKey k : e.keys()) {
                String path = "method." + e.name() + "." + k.name();
                String def = c.hasPath(path) ? c.getValue(path).render(ConfigRenderOptions.concise()) : "(none)";
                lines.add(String.format("  %-32s %-14s %s", path, def, k.description()));
            }
            sb.append(String.join("\n", lines)).append(lines.isEmpty() ? "" : "\n");
            String other = overrides(c, e.name());
            if (!other.isEmpty()) {
                sb.append("  also sets: ").append(other).append('\n');
            }
        }
        return sb.toString();
    }

    private static String overrides(Config c, String name) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, com.typesafe.config.ConfigValue> kv : c.entrySet()) {
            if (!kv.getKey().startsWith("method." + name + ".") && !kv.getKey().equals("method.name")) {
                out.add(kv.getKey() + " = " + kv.getValue().render(ConfigRenderOptions.concise()));
            }
        }
        java.util.Collections.sort(out);
        return String.join(", ", out);
    }
}
