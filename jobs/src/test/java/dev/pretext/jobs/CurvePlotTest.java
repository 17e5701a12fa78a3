package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurvePlotTest {
    @TempDir
    Path dir;

    private static final List<CurvePlot.Panel> PANELS = List.of(
            new CurvePlot.Panel("loss", "training seconds", "loss"),
            new CurvePlot.Panel("effective rank", "training seconds", "effective rank"));

    @Test
    void writesAPngWithBothPanelsAndEverySeriesColourInsideThePlots() throws Exception {
        List<CurvePlot.Series> series = List.of(
                new CurvePlot.Series("simclr", List.of(new double[][]{{1, 5.2}, {2, 4.8}, {3, 4.1}},
                        new double[][]{{1, 20}, {2, 25}, {3, 31}})),
                new CurvePlot.Series("barlow", List.of(new double[][]{{1.5, 900}, {3, 400}, {4.5, 250}},
                        new double[][]{{1.5, 10}, {3, 12}, {4.5, 13}})),
                // a diverged run: NaN points are skipped, its one finite point still shows
                new CurvePlot.Series("byol (diverged)", List.of(new double[][]{{2, 0.9}, {4, Double.NaN}},
                        new double[][]{{2, 3}, {4, Double.NaN}})));
        Path png = dir.resolve("plot.png");
        CurvePlot.write(png, PANELS, series);
        assertTrue(Files.size(png) > 1000);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "the PNG decodes");
        assertEquals(2 * CurvePlot.PANEL_WIDTH, img.getWidth());
        assertEquals(CurvePlot.PANEL_HEIGHT + CurvePlot.LEGEND_HEIGHT, img.getHeight());
        for (int s = 0; s < series.size(); s++) {
            Color c = CurvePlot.color(s);
            for (int panel = 0; panel < 2; panel++) {
                int n = count(img, c.getRGB(), panel * CurvePlot.PANEL_WIDTH, (panel + 1) * CurvePlot.PANEL_WIDTH,
                        0, CurvePlot.PANEL_HEIGHT);
                assertTrue(n >= 20, "series " + s + " drawn in panel " + panel + ": " + n + " pixels");
            }
            int legend = count(img, c.getRGB(), 0, img.getWidth(), CurvePlot.PANEL_HEIGHT, img.getHeight());
            assertTrue(legend > 0, "series " + s + " in the legend");
        }
        assertTrue(count(img, Color.BLACK.getRGB(), 0, img.getWidth(), 0, img.getHeight()) > 500,
                "axes, ticks and labels");
    }

    @Test
    void emptySeriesAndNoDataStillGiveAPicture() throws Exception {
        Path png = dir.resolve("empty.png");
        CurvePlot.write(png, PANELS, List.of(new CurvePlot.Series("mocov2 (failed)",
                List.of(new double[0][], new double[0][]))));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * CurvePlot.PANEL_WIDTH, img.getWidth());
    }

    @Test
    void ticksAreNiceNumbersInsideTheRange() {
        assertEquals(List.of(0.0, 2.0, 4.0, 6.0, 8.0, 10.0), CurvePlot.niceTicks(0, 10));
        List<Double> t = CurvePlot.niceTicks(-0.93, -0.41);
        assertTrue(t.size() >= 3 && t.get(0) >= -0.93 && t.get(t.size() - 1) <= -0.41, t.toString());
        assertEquals("0.5", CurvePlot.label(0.5));
        assertEquals("120", CurvePlot.label(120));
        assertEquals("2", CurvePlot.label(2.0));
    }

    private static int count(BufferedImage img, int rgb, int x0, int x1, int y0, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                if ((img.getRGB(x, y) & 0xffffff) == (rgb & 0xffffff)) {
                    n++;
                }
            }
        }
        return n;
    }
}
