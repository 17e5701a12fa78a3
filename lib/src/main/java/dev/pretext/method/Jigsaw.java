package dev.pretext.method;

import dev.pretext.patches.JigsawPermutations;
import dev.pretext.patches.PatchRecord;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Jigsaw (Noroozi and Favaro 2016): the 9 tiles of a 3 x 3 grid with gap and jitter, fed in the
 * order of one permutation drawn per step from a fixed set of {@code permutations} (the patches
 * stage's {@link JigsawPermutations}: maximal Hamming distance, seeded by {@code permutation-seed}),
 * each through the shared (siamese) encoder; the head classifies which permutation it was.
 */
public final class Jigsaw extends PatchClassifier {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "jigsaw";
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("gap", "pixels left out around each tile inside its grid cell"),
            new MethodKey("jitter", "largest random shift of a tile in its cell (at most gap / 2)"),
            new MethodKey("permutations", "the classes: permutations in the set (the paper: 100 or 1000)"),
            new MethodKey("permutation-seed", "seed of the permutation set"), HEAD_HIDDEN);
    private final int count;
    private final long permutationSeed;
    private transient JigsawPermutations set;

    public Jigsaw(MethodParams p) {
        super(p);
        this.count = p.integer("permutations", 2, 10_000);
        this.permutationSeed = (long) p.dbl("permutation-seed", 0, 1e15);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The permutation set (made once per JVM from its count and seed; the same everywhere). */
    public JigsawPermutations permutations() {
        if (set == null) {
            set = JigsawPermutations.generate(count, permutationSeed);
        }
        return set;
    }

    @Override
    int tiles() {
        return JigsawPermutations.TILES;
    }

    @Override
    int classes() {
        return count;
    }

    @Override
    Example example(List<PatchRecord> rows, SplittableRandom rng) {
        int c = rng.nextInt(count);
        return new Example(rows.get(0), permutations().get(c).clone(), c);
    }
}
