package dev.pretext.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * A confusion matrix as a heat map PNG: rows the true class, columns the predicted one, each cell
 * shaded by its share of its row (so rare classes read like common ones), the count written in
 * the cell while the cells are large enough, class names on both axes up to 20 classes.
 */
public final class ConfusionPlot {
    private static final int GRID = 520;
    private static final int LEFT = 110;
    private static final int TOP = 60;

    private ConfusionPlot() {
    }

    public static BufferedImage render(String title, long[][] counts, List<String> names) {
        int n = counts.length;
        int cell = Math.max(2, GRID / Math.max(1, n));
        int size = cell * n;
        int w = LEFT + size + 30;
        int h = TOP + size + 90;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, 10, 22);
            Font small = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(8, Math.min(12, cell / 3)));
            g.setFont(small);
            FontMetrics fm = g.getFontMetrics();
            boolean labels = n <= 20;
            boolean numbers = cell >= 28;
            for (int t = 0; t < n; t++) {
                long row = 0;
                for (long c : counts[t]) {
                    row += c;
                }
                for (int p = 0; p < n; p++) {
                    double share = row == 0 ? 0 : counts[t][p] / (double) row;
                    g.setColor(shade(share));
                    g.fillRect(LEFT + p * cell, TOP + t * cell, cell, cell);
                    if (numbers && counts[t][p] > 0) {
                        g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                        String s = Long.toString(counts[t][p]);
                        g.drawString(s, LEFT + p * cell + (cell - fm.stringWidth(s)) / 2,
                                TOP + t * cell + (cell + fm.getAscent()) / 2 - 2);
                    }
                }
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, size, size);
            if (labels) {
                for (int i = 0; i < n; i++) {
                    String s = clip(names.get(i), fm, LEFT - 8);
                    g.drawString(s, LEFT - 6 - fm.stringWidth(s), TOP + i * cell + (cell + fm.getAscent()) / 2 - 2);
                    Graphics2D gr = (Graphics2D) g.create();
                    gr.translate(LEFT + i * cell + (cell + fm.getAscent()) / 2 - 2, TOP + size + 6);
                    gr.rotate(Math.PI / 2);
                    gr.drawString(clip(names.get(i), fm, 70), 0, 0);
                    gr.dispose();
                }
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString("true class (rows)", 10, 44);
            g.drawString(String.format(Locale.ROOT, "predicted class (columns); shade: share of the row, 0 white to 1 dark"),
                    10, h - 8);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** White (0) to dark blue (1). */
    static Color shade(double share) {
        double s = Math.max(0, Math.min(1, share));
        return new Color((int) Math.round(255 - s * (255 - 8)), (int) Math.round(255 - s * (255 - 48)),
                (int) Math.round(255 - s * (255 - 107)));
    }

    private static String clip(String s, FontMetrics fm, int width) {
        String out = s;
        while (fm.stringWidth(out) > width && out.length() > 3) {
            out = out.substring(0, out.length() - 1);
        }
        return out;
    }
}
