package dev.pretext.augment;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ViewSeedsTest {

    @Test
    void pinnedValuesStayStable() {
        // Values from an independent Python transcription of the definition in ViewSeeds' Javadoc;
        // a change here would silently change every materialised view.
        assertEquals(1129661694089468183L, ViewSeeds.seed(42, "cifar10/train/000042", 3, 1));
        assertEquals(2558736989570252433L, ViewSeeds.seed(0, "", 0, 0));
        assertEquals(-6094121545933143107L, ViewSeeds.seed(7, "bild/\u00e4", 2, 5));
    }

    @Test
    void everyArgumentMatters() {
        long s = ViewSeeds.seed(7, "stl10/unlabeled/000001", 2, 0);
        assertNotEquals(s, ViewSeeds.seed(8, "stl10/unlabeled/000001", 2, 0));
        assertNotEquals(s, ViewSeeds.seed(7, "stl10/unlabeled/000002", 2, 0));
        assertNotEquals(s, ViewSeeds.seed(7, "stl10/unlabeled/000001", 3, 0));
        assertNotEquals(s, ViewSeeds.seed(7, "stl10/unlabeled/000001", 2, 1));
        // epoch and view are not interchangeable
        assertNotEquals(ViewSeeds.seed(7, "x", 1, 0), ViewSeeds.seed(7, "x", 0, 1));
    }

    @Test
    void stringHashCodeCollisionsDoNotCollide() {
        assertEquals("Aa".hashCode(), "BB".hashCode());
        assertNotEquals(ViewSeeds.seed(1, "Aa", 0, 0), ViewSeeds.seed(1, "BB", 0, 0));
        // trailing NUL and padding do not collide thanks to the length step
        assertNotEquals(ViewSeeds.seed(1, "a", 0, 0), ViewSeeds.seed(1, "a\0", 0, 0));
        assertNotEquals(ViewSeeds.seed(1, "", 0, 0), ViewSeeds.seed(1, "\0", 0, 0));
    }

    @Test
    void noCollisionsOverAGrid() {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            for (int e = 0; e < 5; e++) {
                for (int v = 0; v < 2; v++) {
                    seen.add(ViewSeeds.seed(123, String.format("cifar10/train/%06d", i), e, v));
                }
            }
        }
        assertEquals(20_000, seen.size());
    }

    @Test
    void utf8IdsAreHashedByBytes() {
        assertNotEquals(ViewSeeds.seed(1, "bild/ä", 0, 0), ViewSeeds.seed(1, "bild/a", 0, 0));
        assertEquals(ViewSeeds.seed(1, "bild/ä", 0, 0), ViewSeeds.seed(1, new String("bild/ä"), 0, 0));
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> ViewSeeds.seed(1, null, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ViewSeeds.seed(1, "x", -1, 0));
        assertThrows(IllegalArgumentException.class, () -> ViewSeeds.seed(1, "x", 0, -1));
    }
}
