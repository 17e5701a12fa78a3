package dev.pretext.method;

import dev.pretext.patches.ContextNeighbourhood;
import dev.pretext.patches.PatchRecord;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Relative position (Doersch et al. 2015): a 3 x 3 grid with a gap and jitter (so that edges and
 * low-level continuity cannot give the answer away); the centre patch and one of its 8 neighbours,
 * drawn per step, go through the shared encoder, and the head tells which of the 8 positions the
 * neighbour holds ({@link ContextNeighbourhood} order: clockwise from top-left).
 */
public final class RelativePosition extends PatchClassifier {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "relpos";
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("gap", "pixels left out around each patch inside its grid cell"),
            new MethodKey("jitter", "largest random shift of a patch in its cell (at most gap / 2)"), HEAD_HIDDEN);
    private static final int CENTRE = 4;

    public RelativePosition(MethodParams p) {
        super(p);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    int tiles() {
        return 2;
    }

    @Override
    int classes() {
        return ContextNeighbourhood.SIZE;
    }

    @Override
    Example example(List<PatchRecord> rows, SplittableRandom rng) {
        PatchRecord r = rows.get(0);
        int k = rng.nextInt(ContextNeighbourhood.SIZE);
        int other = ContextNeighbourhood.neighbours(3, CENTRE)[k];
        return new Example(r, new int[] {CENTRE, other}, k);
    }
}
