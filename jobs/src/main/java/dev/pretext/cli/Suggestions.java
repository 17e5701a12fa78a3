package dev.pretext.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What a user probably meant by a mistyped command or option: the known names closest by edit
 * distance (insertions, deletions, substitutions, and a swap of two neighbours counted as one),
 * within a third of the typed length.
 */
final class Suggestions {
    private Suggestions() {
    }

    /** The names nearest to {@code typed} (ties all kept, in the given order); empty when none is close. */
    static List<String> closest(String typed, Collection<String> names) {
        int limit = Math.max(1, typed.length() / 3);
        int best = Integer.MAX_VALUE;
        List<String> out = new ArrayList<>();
        for (String n : names) {
            int d = distance(typed, n);
            if (d > limit || d > best) {
                continue;
            }
            if (d < best) {
                best = d;
                out.clear();
            }
            out.add(n);
        }
        return out;
    }

    /** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
