package dev.pretext.report;

import dev.pretext.jobs.CurvePlot;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A 2-D map PNG (java.awt, headless): one dot per point, coloured by its class, a legend of the
 * class names at the right. The axes carry no units (a t-SNE map's distances mean nothing globally),
 * so none are drawn; the frame holds the points with a margin.
 */
public final class ScatterPlot {
    static final int PLOT = 560;
    static final int LEGEND_WIDTH = 180;
    private static final int MARGIN = 16;
    private static final int TOP = 34;

    private ScatterPlot() {
    }

    /** Class {@code c}'s colour: tab10 for the first ten, then evenly spaced hues. */
    public static Color color(int c, int classes) {
        if (classes <= CurvePlot.PALETTE.length) {
            return CurvePlot.PALETTE[c];
        }
        return Color.getHSBColor((float) c / classes, 0.75f, 0.85f);
    }

    /**
     * @param xy     n points {x, y}
     * @param labels their classes, 0 .. names.size() - 1
     * @param names  the class names, for the legend
     */
    public static BufferedImage render(String title, double[][] xy, int[] labels, List<String> names) {
        int w = MARGIN + PLOT + MARGIN + LEGEND_WIDTH;
        int h = TOP + PLOT + MARGIN;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.setColor(Color.BLACK);
            g.drawString(title, MARGIN, TOP - 12);
            g.drawRect(MARGIN, TOP, PLOT, PLOT);
            double xmin = Double.POSITIVE_INFINITY, xmax = Double.NEGATIVE_INFINITY;
            double ymin = Double.POSITIVE_INFINITY, ymax = Double.NEGATIVE_INFINITY;
            for (double[] p : xy) {
                xmin = Math.min(xmin, p[0]);
                xmax = Math.max(xmax, p[0]);
                ymin = Math.min(ymin, p[1]);
                ymax = Math.max(ymax, p[1]);
            }
            // one scale for both axes, so the map is not stretched
            double span = Math.max(Math.max(xmax - xmin, ymax - ymin), 1e-12);
            double cx = (xmin + xmax) / 2, cy = (ymin + ymax) / 2;
            double scale = (PLOT - 2 * 12) / span;
            int k = names.size();
            for (int i = 0; i < xy.length; i++) {
                int px = (int) Math.round(MARGIN + PLOT / 2.0 + (xy[i][0] - cx) * scale);
                int py = (int) Math.round(TOP + PLOT / 2.0 - (xy[i][1] - cy) * scale);
                g.setColor(color(labels[i], k));
                g.fillOval(px - 3, py - 3, 7, 7);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            int lx = MARGIN + PLOT + MARGIN;
            int step = Math.max(12, Math.min(20, (PLOT - 10) / Math.max(1, k)));
            for (int c = 0; c < k; c++) {
                int ly = TOP + 12 + c * step;
                if (ly > TOP + PLOT) {
                    g.setColor(Color.BLACK);
                    g.drawString("... " + (k - c) + " more", lx, ly);
                    break;
                }
                g.setColor(color(c, k));
                g.fillOval(lx, ly - 9, 9, 9);
                g.setColor(Color.BLACK);
                String name = names.get(c);
                while (fm.stringWidth(name) > LEGEND_WIDTH - 24 && name.length() > 4) {
                    name = name.substring(0, name.length() - 1);
                }
                g.drawString(name, lx + 16, ly);
            }
        } finally {
            g.dispose();
        }
        return img;
    }
}
