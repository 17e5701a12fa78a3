package dev.pretext.nn;

import java.util.HashMap;
import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pair-id labels for batch-coupled two-view losses ({@link NtXentLoss}): a [N, 1] column in which
 * the two views of one source image carry the same id. Inside the graph a broken pairing cannot be
 * told from a correct one, so batches are checked here, outside it, before they are fitted.
 */
public final class PairIds {

    /** Largest id that float labels hold exactly (2^24). */
    public static final int MAX_ID = 1 << 24;

    private PairIds() {
    }

    /** Labels [2B, 1] for views stacked as view a rows 0..B-1, view b rows B..2B-1: ids 0..B-1 twice. */
    public static float[] stacked(int pairs) {
        if (pairs < 1) {
            throw new IllegalArgumentException("a two-view batch needs at least 1 pair, got " + pairs);
        }
        float[] ids = new float[2 * pairs];
        for (int i = 0; i < pairs; i++) {
            ids[i] = i;
            ids[pairs + i] = i;
        }
        return ids;
    }

    /**
     * Checks that {@code labels} is a [N, 1] column of integer ids in [0, 2^24) in which every id
     * occurs exactly twice.
     *
     * @throws IllegalArgumentException naming the first offending row and id
     */
    public static void check(INDArray labels) {
        if (labels == null) {
            throw new IllegalArgumentException("two-view batch has no pair-id labels");
        }
        if (labels.rank() != 2 || labels.size(1) != 1) {
            throw new IllegalArgumentException("pair-id labels must have shape [N, 1], got "
                    + java.util.Arrays.toString(labels.shape()));
        }
        int n = (int) labels.size(0);
        double[] ids = new double[n];
        for (int i = 0; i < n; i++) {
            ids[i] = labels.getDouble(i, 0);
        }
        check(ids);
    }

    /**
     * Labels [K*B, 1] for K views stacked in blocks (view k of image i at row k*B + i): ids 0..B-1,
     * K times. {@code stacked(B, 2)} is {@link #stacked(int)}.
     */
    public static float[] stacked(int images, int views) {
        if (images < 1 || views < 1) {
            throw new IllegalArgumentException("a view batch needs >= 1 image and >= 1 view, got " + images + " and "
                    + views);
        }
        float[] ids = new float[images * views];
        for (int k = 0; k < views; k++) {
            for (int i = 0; i < images; i++) {
                ids[k * images + i] = i;
            }
        }
        return ids;
    }

    /** Checks that every id of a [K*B, 1] column occurs exactly {@code views} times (the K views of one image). */
    public static void check(INDArray labels, int views) {
        if (labels == null || labels.rank() != 2 || labels.size(1) != 1) {
            throw new IllegalArgumentException("view-id labels must have shape [N, 1], got "
                    + (labels == null ? "none" : java.util.Arrays.toString(labels.shape())));
        }
        double[] ids = new double[(int) labels.size(0)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = labels.getDouble(i, 0);
        }
        check(ids, views);
    }

    /** As {@link #check(INDArray)}, on the id column as a plain array. */
    public static void check(double[] ids) {
        check(ids, 2);
    }

    /** Every id occurs exactly {@code views} times. */
    public static void check(double[] ids, int views) {
        int n = ids.length;
        if (views < 2) {
            return;
        }
        if (n < views || n % views != 0) {
            throw new IllegalArgumentException("a " + views + "-view batch needs a multiple of " + views
                    + " rows (" + views + " views per image), got " + n + " rows: was the minibatch split or merged"
                    + " (batch size per worker different from the assembled batch size)?");
        }
        Map<Double, Integer> firstRow = new HashMap<>();
        Map<Double, Integer> count = new HashMap<>();
        for (int i = 0; i < n; i++) {
            double id = ids[i];
            if (id != Math.rint(id) || id < 0 || id >= MAX_ID) {
                throw new IllegalArgumentException("pair id at row " + i + " is " + id
                        + "; ids must be integers in [0, " + MAX_ID + ")");
            }
            firstRow.putIfAbsent(id, i);
            int c = count.merge(id, 1, Integer::sum);
            if (c > views) {
                throw new IllegalArgumentException("pair id " + (long) id + " occurs more than " + views + " times (rows "
                        + firstRow.get(id) + ", ..., " + i + "): the minibatch holds more than " + views
                        + " views of one image, e.g. two batches were merged");
            }
        }
        for (Map.Entry<Double, Integer> e : count.entrySet()) {
            if (e.getValue() != views) {
                throw new IllegalArgumentException("pair id " + e.getKey().longValue() + " (row "
                        + firstRow.get(e.getKey()) + ") has " + (e.getValue() - 1) + " partner(s) in the minibatch,"
                        + " not " + (views - 1) + ": a view is missing, e.g. the batch was split");
            }
        }
    }
}
