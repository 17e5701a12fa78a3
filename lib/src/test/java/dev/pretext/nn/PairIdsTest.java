package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class PairIdsTest {

    @Test
    void stackedIdsRepeatOnce() {
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, PairIds.stacked(3));
        assertThrows(IllegalArgumentException.class, () -> PairIds.stacked(0));
    }

    @Test
    void acceptsAnyRowOrder() {
        assertDoesNotThrow(() -> PairIds.check(new double[] {5, 2, 2, 9, 5, 9}));
        assertDoesNotThrow(() -> PairIds.check(Nd4j.create(PairIds.stacked(4), new long[] {8, 1})));
    }

    @Test
    void detectsSplitBatch() {
        // the second half of a split 2-pair batch [0, 1, 0, 1]
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PairIds.check(new double[] {0, 1}));
        assertTrue(e.getMessage().contains("0 partner(s)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PairIds.check(new double[] {0, 1, 2}));
        assertTrue(e.getMessage().contains("multiple of 2"), e.getMessage());
    }

    @Test
    void detectsMergedBatches() {
        // two assembled batches concatenated: ids 0..1 appear four times
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PairIds.check(new double[] {0, 1, 0, 1, 0, 1, 0, 1}));
        assertTrue(e.getMessage().contains("more than 2 times") && e.getMessage().contains("pair id 0"), e.getMessage());
    }

    @Test
    void rejectsNonIntegerOrBadShape() {
        assertThrows(IllegalArgumentException.class, () -> PairIds.check(new double[] {0.5, 0.5}));
        assertThrows(IllegalArgumentException.class, () -> PairIds.check(new double[] {-1, -1}));
        assertThrows(IllegalArgumentException.class, () -> PairIds.check(Nd4j.zeros(2, 2)));
        assertThrows(IllegalArgumentException.class, () -> PairIds.check((org.nd4j.linalg.api.ndarray.INDArray) null));
    }
}
