package dev.pretext.jobs;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

/**
 * A small line-chart PNG (java.awt, headless): panels side by side, each with its own y axis and
 * tick labels over a shared kind of x axis, one coloured line per series, and one legend strip
 * below all panels ({@link #LEGEND_HEIGHT} pixels high) naming every series with its colour.
 * Non-finite points are skipped; a series with a single point is drawn as a square marker. A panel
 * whose values are all positive and span more than a factor of 20 is drawn on a log scale.
 */
public final class CurvePlot {
    /** Series colours, in order (matplotlib's tab10); series beyond them reuse the list. */
    public static final Color[] PALETTE = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};
    public static final int PANEL_WIDTH = 560;
    public static final int PANEL_HEIGHT = 400;
    public static final int LEGEND_HEIGHT = 60;

    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 34;
    private static final int BOTTOM = 50;

    /** One line: its name and, per panel, its (x, y) points. */
    public record Series(String name, List<double[][]> panels) {
    }

    /** One panel: its title and axis labels. */
    public record Panel(String title, String xLabel, String yLabel) {
    }

    private CurvePlot() {
    }

    public static Color color(int series) {
        return PALETTE[series % PALETTE.length];
    }

    /** The image: panels side by side, legend below. */
    public static BufferedImage render(List<Panel> panels, List<Series> series) {
        int w = PANEL_WIDTH * panels.size();
        int h = PANEL_HEIGHT + LEGEND_HEIGHT;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int p = 0; p < panels.size(); p++) {
                List<double[][]> data = new ArrayList<>();
                for (Series s : series) {
                    data.add(p < s.panels().size() && s.panels().get(p) != null ? s.panels().get(p) : new double[0][]);
                }
                panel(g, p * PANEL_WIDTH, panels.get(p), data);
            }
            legend(g, series, w);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders and writes the PNG atomically (temporary file + rename). */
    public static void write(Path png, List<Panel> panels, List<Series> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = render(panels, series);
        Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
        if (!ImageIO.write(img, "png", tmp.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void panel(Graphics2D g, int x0, Panel panel, List<double[][]> data) {
        int px = x0 + LEFT;
        int py = TOP;
        int pw = PANEL_WIDTH - LEFT - RIGHT;
        int ph = PANEL_HEIGHT - TOP - BOTTOM;
        double xmin = Double.POSITIVE_INFINITY, xmax = Double.NEGATIVE_INFINITY;
        double ymin = Double.POSITIVE_INFINITY, ymax = Double.NEGATIVE_INFINITY;
        for (double[][] pts : data) {
            for (double[] pt : pts) {
                if (Double.isFinite(pt[0]) && Double.isFinite(pt[1])) {
                    xmin = Math.min(xmin, pt[0]);
                    xmax = Math.max(xmax, pt[0]);
                    ymin = Math.min(ymin, pt[1]);
                    ymax = Math.max(ymax, pt[1]);
                }
            }
        }
        boolean empty = xmin > xmax;
        if (empty) {
            xmin = 0;
            xmax = 1;
            ymin = 0;
            ymax = 1;
        }
        boolean log = !empty && ymin > 0 && ymax / ymin > 20;
        if (!log) {
            double[] r = padded(ymin, ymax);
            ymin = r[0];
            ymax = r[1];
        }
        if (xmin == xmax) {
            xmin -= 1;
            xmax += 1;
        } else if (xmin > 0 && xmin < (xmax - xmin) * 0.5) {
            xmin = 0;   // start the time axis at 0 when the first point is close to it
        }
        // a margin, so that markers at the extremes are not cut by the frame
        double xpad = (xmax - xmin) * 0.04;
        xmax += xpad;
        xmin = xmin == 0 ? 0 : xmin - xpad;
        double ylo = log ? Math.log10(ymin) : ymin;
        double yhi = log ? Math.log10(ymax) : ymax;
        if (log) {
            double d = (yhi - ylo) * 0.05;
            ylo -= d;
            yhi += d;
        }
        Axis xa = new Axis(xmin, xmax, false, px, px + pw);
        Axis ya = new Axis(ylo, yhi, log, py + ph, py);

        // title and axis labels
        g.setColor(Color.BLACK);
        FontMetrics fm = g.getFontMetrics();
        Font normal = g.getFont();
        g.setFont(normal.deriveFont(Font.BOLD, 14f));
        g.drawString(panel.title() + (log ? " (log scale)" : ""), px, TOP - 12);
        g.setFont(normal);
        g.drawString(panel.xLabel(), px + (pw - fm.stringWidth(panel.xLabel())) / 2, PANEL_HEIGHT - 10);
        Graphics2D gr = (Graphics2D) g.create();
        gr.rotate(-Math.PI / 2);
        gr.drawString(panel.yLabel(), -(py + (ph + fm.stringWidth(panel.yLabel())) / 2), x0 + 14);
        gr.dispose();

        // grid, ticks, tick labels
        for (double t : xa.ticks()) {
            int x = xa.pixel(t);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(x, py, x, py + ph);
            g.setColor(Color.BLACK);
            g.drawLine(x, py + ph, x, py + ph + 5);
            String s = label(t);
            g.drawString(s, x - fm.stringWidth(s) / 2, py + ph + 8 + fm.getAscent());
        }
        for (double t : ya.ticks()) {
            int y = ya.pixel(t);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(px, y, px + pw, y);
            g.setColor(Color.BLACK);
            g.drawLine(px - 5, y, px, y);
            String s = label(log ? Math.pow(10, t) : t);
            g.drawString(s, px - 8 - fm.stringWidth(s), y + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(px, py, pw, ph);
        if (empty) {
            String s = "no data";
            g.drawString(s, px + (pw - fm.stringWidth(s)) / 2, py + ph / 2);
            return;
        }

        // lines (no antialiasing: every drawn pixel has the series' exact colour)
        Graphics2D gl = (Graphics2D) g.create();
        gl.clipRect(px + 1, py + 1, pw - 1, ph - 1);
        gl.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        gl.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (int s = 0; s < data.size(); s++) {
            gl.setColor(color(s));
            int[] prev = null;
            for (double[] pt : data.get(s)) {
                if (!Double.isFinite(pt[0]) || !Double.isFinite(pt[1]) || (log && pt[1] <= 0)) {
                    prev = null;
                    continue;
                }
                int[] cur = {xa.pixel(pt[0]), ya.pixel(log ? Math.log10(pt[1]) : pt[1])};
                if (prev != null) {
                    gl.drawLine(prev[0], prev[1], cur[0], cur[1]);
                }
                gl.fillRect(cur[0] - 3, cur[1] - 3, 7, 7);   // a marker per logged point
                prev = cur;
            }
        }
        gl.dispose();
    }

    private static void legend(Graphics2D g, List<Series> series, int width) {
        FontMetrics fm = g.getFontMetrics();
        int x = LEFT;
        int y = PANEL_HEIGHT + 18;
        for (int s = 0; s < series.size(); s++) {
            String name = series.get(s).name();
            int itemW = 30 + fm.stringWidth(name) + 24;
            if (x + itemW > width - RIGHT && x > LEFT) {
                x = LEFT;
                y += 22;
            }
            g.setColor(color(s));
            g.fillRect(x, y - 7, 22, 6);
            g.setColor(Color.BLACK);
            g.drawString(name, x + 28, y);
            x += itemW;
        }
    }

    private static double[] padded(double lo, double hi) {
        if (lo == hi) {
            double d = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            return new double[]{lo - d, hi + d};
        }
        double d = (hi - lo) * 0.05;
        return new double[]{lo - d, hi + d};
    }

    /** A tick label: short, no trailing zeros. */
    static String label(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) {
            return String.format(Locale.ROOT, "%.0e", v);
        }
        String s = String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 1 ? "%.2f" : "%.4f", v);
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s;
    }

    /** Maps values (log10 of them on a log axis) to pixels between {@code p0} (at lo) and {@code p1} (at hi). */
    private record Axis(double lo, double hi, boolean log, int p0, int p1) {
        int pixel(double v) {
            return (int) Math.round(p0 + (v - lo) / (hi - lo) * (p1 - p0));
        }

        /** Nice ticks (1, 2, 5 x 10^k) inside [lo, hi]; on a log axis the powers of ten, or nice values when fewer than 2. */
        List<Double> ticks() {
            if (log) {
                List<Double> t = new ArrayList<>();
                for (double k = Math.ceil(lo - 1e-9); k <= hi + 1e-9; k++) {
                    t.add(k);
                }
                if (t.size() >= 3) {
                    return t;
                }
                List<Double> t125 = new ArrayList<>();   // 1, 2, 5 x 10^k
                for (double k = Math.floor(lo); k <= Math.ceil(hi); k++) {
                    for (double f : new double[]{1, 2, 5}) {
                        double v = k + Math.log10(f);
                        if (v >= lo - 1e-9 && v <= hi + 1e-9) {
                            t125.add(v);
                        }
                    }
                }
                if (t125.size() >= 2) {
                    return t125;
                }
                List<Double> lin = new ArrayList<>();
                for (double v : niceTicks(Math.pow(10, lo), Math.pow(10, hi))) {
                    if (v > 0) {
                        lin.add(Math.log10(v));
                    }
                }
                return lin;
            }
            return niceTicks(lo, hi);
        }
    }

    static List<Double> niceTicks(double lo, double hi) {
        double range = hi - lo;
        double raw = range / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        List<Double> t = new ArrayList<>();
        for (double v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
            t.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        }
        return t;
    }
}
