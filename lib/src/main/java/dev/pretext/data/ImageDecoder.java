package dev.pretext.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

import dev.pretext.UserError;

/**
 * Decodes one image file (JPEG, PNG, GIF or BMP, recognised by content, not by name) to 8-bit RGB
 * with {@code javax.imageio}, or says in words why it cannot.
 *
 * <p>What it does with each kind of input, and why:
 * <ul>
 * <li>8-bit RGB (JPEG, PNG), palette PNG/GIF, packed BMP: the stored RGB values, unchanged.</li>
 * <li>Grayscale (8- or 16-bit PNG, 1-component JPEG): the stored gray value replicated to R, G and B. We read the
 * raster samples ourselves because {@code BufferedImage.getRGB} treats Java's gray colour space as linear and
 * applies an sRGB gamma curve to it (gray 128 would come out as about 186).</li>
 * <li>16-bit samples: {@code round(v / 257)}, which maps 0..65535 onto 0..255 exactly at both ends.</li>
 * <li>Alpha: dropped. The stored colour of each pixel is kept as it is, not composited on any background, so a fully
 * transparent pixel keeps whatever colour the file holds for it.</li>
 * <li>CMYK and YCCK JPEG (4 components): the raw components are read with {@link ImageReader#readRaster}; YCCK is
 * turned into CMYK with the JPEG YCbCr equations (as libjpeg does); when the file has an Adobe APP14 marker the
 * components are taken as inverted (Photoshop stores 255 for "no ink"); then
 * {@code R = (255 - C)(255 - K) / 255}, likewise G from M and B from Y. This is the naive device conversion without
 * the embedded ICC profile: colours are close but not press-accurate, which is fine for training data.</li>
 * <li>ICC profiles in general are ignored: stored RGB values are taken as sRGB.</li>
 * <li>EXIF orientation is ignored on purpose: pixels come out in stored order, never rotated ("EXIF-free"), so the
 * same file gives the same array whatever tool wrote its metadata.</li>
 * </ul>
 *
 * <p>Failures (see {@link Failure}): an empty file, content that is no readable image format, a header or data that
 * the reader rejects, a truncated file (the JPEG reader decodes what it has and only warns "Premature end of JPEG
 * file"; any reader warning other than libjpeg's recoverable "extraneous bytes before marker" counts as corrupt), and
 * images over the pixel limit, which are refused from their header alone, before any pixel is decoded.
 *
 * <p>Readers are JDK's own ({@code com.sun.imageio.plugins.*}) whenever present, even if other plugins on the
 * classpath (e.g. TwelveMonkeys, brought by DataVec) rank themselves first, so that pixels do not depend on the
 * classpath. A new reader is made per call and disposed, so one decoder may be shared by threads.
 */
public final class ImageDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    /** 40 megapixels: above any ImageNet photo (the largest are about 12.5 MP), small enough for a 1 GB executor. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** Why an image could not be decoded. */
    public enum Failure {
        /** The file has no bytes. */
        EMPTY,
        /** The content is none of the readable formats. */
        NOT_AN_IMAGE,
        /** A readable format, but a variant we do not turn into RGB (e.g. an unusual colour space). */
        UNSUPPORTED,
        /** The reader rejected the data, or warned that data was missing (truncated file). */
        CORRUPT,
        /** More pixels than the limit; refused from the header alone. */
        TOO_LARGE
    }

    /** The outcome of one decode: an image, or a failure kind with a reason meant for people. */
    public static final class Result implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final DecodedImage image;
        private final Failure failure;
        private final String reason;

        private Result(String name, DecodedImage image, Failure failure, String reason) {
            this.name = name;
            this.image = image;
            this.failure = failure;
            this.reason = reason;
        }

        public boolean isOk() {
            return image != null;
        }

        /** The file name the result is about, as given to the decoder. */
        public String name() {
            return name;
        }

        /** The pixels; only for a successful result. */
        public DecodedImage image() {
            if (image == null) {
                throw new IllegalStateException(name + ": no image, decoding failed: " + reason);
            }
            return image;
        }

        /** The failure kind, or null when decoding succeeded. */
        public Failure failure() {
            return failure;
        }

        /** What was wrong, without the file name (callers put the name in their own lineage); null when ok. */
        public String reason() {
            return reason;
        }

        /** The pixels, or a {@link UserError} naming the file and what was wrong with it. */
        public DecodedImage orThrow() {
            if (image == null) {
                throw new UserError("image '" + name + "': " + reason);
            }
            return image;
        }

        @Override
        public String toString() {
            return isOk() ? name + ": " + image : name + ": " + failure + ": " + reason;
        }
    }

    private final long maxPixels;

    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** @param maxPixels largest accepted width * height */
    public ImageDecoder(long maxPixels) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be at least 1, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    public long maxPixels() {
        return maxPixels;
    }

    /** Reads the whole stream (not closing it) and decodes it; I/O errors of the stream itself propagate. */
    public Result decode(InputStream in, String name) throws IOException {
        return decode(in.readAllBytes(), name);
    }

    /** Decodes the bytes of one file called {@code name} (used only in messages). Never throws for bad content. */
    public Result decode(byte[] data, String name) {
        if (data.length == 0) {
            return fail(name, Failure.EMPTY, "empty file (0 bytes)");
        }
        Format format = Format.sniff(data);
        if (format == null) {
            return fail(name, Failure.NOT_AN_IMAGE, "not an image: content starts with " + preview(data)
                    + "; readable formats: JPEG, PNG, GIF, BMP");
        }
        ImageReaderSpi spi = format.spi();
        if (spi == null) {
            return fail(name, Failure.UNSUPPORTED, "no " + format.label + " reader in this Java runtime");
        }
        ImageReader reader;
        try {
            reader = spi.createReaderInstance();
        } catch (IOException e) {
            return fail(name, Failure.UNSUPPORTED, "cannot create a " + format.label + " reader: " + e.getMessage());
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        try (ImageInputStream iis = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            // Metadata is ignored: we never rotate by EXIF and do not apply ICC profiles.
            reader.setInput(iis, true, true);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width < 1 || height < 1) {
                return fail(name, Failure.CORRUPT, format.label + " header gives size " + width + "x" + height);
            }
            if ((long) width * height > maxPixels) {
                return fail(name, Failure.TOO_LARGE, "image is " + width + "x" + height + " = "
                        + ((long) width * height) + " pixels, over the limit of " + maxPixels + " pixels");
            }
            if ((long) width * height * 3 > MAX_ARRAY) {
                return fail(name, Failure.TOO_LARGE, "image is " + width + "x" + height
                        + ", too large for one RGB array (at most " + (MAX_ARRAY / 3) + " pixels)");
            }
            Decoded decoded;
            JpegMarkers jpeg = format == Format.JPEG ? JpegMarkers.scan(data) : null;
            if (jpeg != null && jpeg.components == 4) {
                decoded = fourComponent(reader.readRaster(0, null), jpeg);
            } else {
                decoded = toRgb(reader.read(0), format);
            }
            String lost = dataLossWarning(warnings);
            if (lost != null) {
                return fail(name, Failure.CORRUPT, "corrupt or truncated " + format.label + ": " + lost);
            }
            if (decoded.unsupported != null) {
                return fail(name, Failure.UNSUPPORTED, decoded.unsupported);
            }
            return new Result(name, decoded.image, null, null);
        } catch (IOException | RuntimeException e) {
            // Readers signal bad data with IIOException, but also with unchecked exceptions from deep inside
            // (index and argument errors on malformed headers): all of them mean the file is unusable.
            String lost = dataLossWarning(warnings);
            return fail(name, Failure.CORRUPT, "corrupt or truncated " + format.label + ": " + describe(e)
                    + (lost == null ? "" : " (reader warned: " + lost + ")"));
        } finally {
            reader.dispose();
        }
    }

    private static Result fail(String name, Failure failure, String reason) {
        return new Result(name, null, failure, reason);
    }

    /** An image, or why its layout is not supported. */
    private record Decoded(DecodedImage image, String unsupported) {
        static Decoded of(DecodedImage image) {
            return new Decoded(image, null);
        }

        static Decoded unsupported(String why) {
            return new Decoded(null, why);
        }
    }

    private static Decoded toRgb(BufferedImage img, Format format) {
        ColorModel cm = img.getColorModel();
        int h = img.getHeight(), w = img.getWidth();
        if (cm instanceof IndexColorModel || cm instanceof DirectColorModel) {
            // Palette entries and packed RGB words are sRGB values that getRGB returns unchanged.
            return Decoded.of(viaGetRgb(img));
        }
        if (!(cm instanceof ComponentColorModel)) {
            return Decoded.unsupported(format.label + " with colour model " + cm.getClass().getSimpleName()
                    + " is not supported");
        }
        Raster raster = img.getRaster();
        int dataType = raster.getDataBuffer().getDataType();
        if (dataType != DataBuffer.TYPE_BYTE && dataType != DataBuffer.TYPE_USHORT) {
            return Decoded.unsupported(format.label + " with non-integer samples (data type " + dataType
                    + ") is not supported");
        }
        int csType = cm.getColorSpace().getType();
        int colours = cm.getNumColorComponents();
        int[] bandOf;
        if (csType == ColorSpace.TYPE_GRAY && colours == 1) {
            bandOf = new int[] {0, 0, 0};
        } else if (csType == ColorSpace.TYPE_RGB && colours == 3) {
            bandOf = new int[] {0, 1, 2};
        } else {
            return Decoded.unsupported(format.label + " with " + colours + " colour components in colour space type "
                    + csType + " is not supported (readable: gray, RGB, palette, CMYK/YCCK JPEG)");
        }
        int bands = raster.getNumBands();
        int[] scale = new int[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = cm.getComponentSize(bandOf[c]);
        }
        byte[] out = new byte[h * w * 3];
        int[] row = new int[w * bands];
        int minX = raster.getMinX(), minY = raster.getMinY();
        for (int y = 0; y < h; y++) {
            raster.getPixels(minX, minY + y, w, 1, row);
            int o = y * w * 3;
            for (int x = 0; x < w; x++) {
                int base = x * bands;
                for (int c = 0; c < 3; c++) {
                    out[o++] = (byte) to8Bit(row[base + bandOf[c]], scale[c]);
                }
            }
        }
        return Decoded.of(new DecodedImage(h, w, out));
    }

    /** A sample of {@code bits} bits mapped to 0..255, rounded to nearest; 16-bit gives round(v / 257). */
    static int to8Bit(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        long max = (1L << bits) - 1;
        return (int) ((v * 510L + max) / (2 * max));
    }

    private static DecodedImage viaGetRgb(BufferedImage img) {
        int h = img.getHeight(), w = img.getWidth();
        byte[] out = new byte[h * w * 3];
        int[] line = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, line, 0, w);
            int o = y * w * 3;
            for (int x = 0; x < w; x++) {
                int p = line[x];
                out[o++] = (byte) (p >> 16);
                out[o++] = (byte) (p >> 8);
                out[o++] = (byte) p;
            }
        }
        return new DecodedImage(h, w, out);
    }

    /** CMYK or YCCK JPEG components to RGB; see the class comment for the formulas and their limits. */
    private static Decoded fourComponent(Raster raster, JpegMarkers jpeg) {
        if (raster.getNumBands() != 4) {
            return Decoded.unsupported("JPEG with 4 components decoded to " + raster.getNumBands() + " bands");
        }
        int h = raster.getHeight(), w = raster.getWidth();
        boolean ycck = jpeg.adobeTransform == 2;
        boolean inverted = jpeg.adobeTransform >= 0;
        byte[] out = new byte[h * w * 3];
        int[] row = new int[w * 4];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            int o = y * w * 3;
            for (int x = 0; x < w; x++) {
                int a = row[4 * x], b = row[4 * x + 1], c = row[4 * x + 2], k = row[4 * x + 3];
                int cyan, magenta, yellow;
                if (ycck) {
                    double cb = b - 128.0, cr = c - 128.0;
                    cyan = 255 - clamp(a + 1.402 * cr);
                    magenta = 255 - clamp(a - 0.344136 * cb - 0.714136 * cr);
                    yellow = 255 - clamp(a + 1.772 * cb);
                } else {
                    cyan = a;
                    magenta = b;
                    yellow = c;
                }
                if (inverted) {
                    cyan = 255 - cyan;
                    magenta = 255 - magenta;
                    yellow = 255 - yellow;
                    k = 255 - k;
                }
                out[o++] = (byte) (((255 - cyan) * (255 - k) + 127) / 255);
                out[o++] = (byte) (((255 - magenta) * (255 - k) + 127) / 255);
                out[o++] = (byte) (((255 - yellow) * (255 - k) + 127) / 255);
            }
        }
        return Decoded.of(new DecodedImage(h, w, out));
    }

    private static int clamp(double v) {
        long r = Math.round(v);
        return r < 0 ? 0 : r > 255 ? 255 : (int) r;
    }

    /** The first warning that means pixels are missing or wrong, or null. */
    private static String dataLossWarning(List<String> warnings) {
        for (String w : warnings) {
            // libjpeg skips stray bytes between segments and decodes everything: not a loss of data.
            if (w == null || !w.toLowerCase(Locale.ROOT).contains("extraneous bytes before marker")) {
                return String.valueOf(w);
            }
        }
        return null;
    }

    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            s.append(": ").append(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
        }
        return s.toString();
    }

    /** The first bytes as hex, and as text when they are printable, for "not an image" messages. */
    static String preview(byte[] data) {
        int n = Math.min(8, data.length);
        StringBuilder hex = new StringBuilder();
        boolean printable = true;
        for (int i = 0; i < n; i++) {
            int b = data[i] & 0xff;
            hex.append(i == 0 ? "" : " ").append(String.format("%02x", b));
            printable &= b >= 0x20 && b < 0x7f || b == '\n' || b == '\r' || b == '\t';
        }
        String text = printable ? "'" + new String(data, 0, n, StandardCharsets.US_ASCII)
                .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "' (" + hex + ")" : hex.toString();
        return text;
    }

    /** Formats recognised by their magic bytes, each bound to one reader provider. */
    private enum Format {
        JPEG("JPEG", "jpeg"),
        PNG("PNG", "png"),
        GIF("GIF", "gif"),
        BMP("BMP", "bmp");

        final String label;
        final String imageIoName;
        private volatile ImageReaderSpi spi;

        Format(String label, String imageIoName) {
            this.label = label;
            this.imageIoName = imageIoName;
        }

        static Format sniff(byte[] d) {
            if (starts(d, 0xff, 0xd8, 0xff)) {
                return JPEG;
            }
            if (starts(d, 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a)) {
                return PNG;
            }
            if (starts(d, 'G', 'I', 'F', '8')) {
                return GIF;
            }
            if (starts(d, 'B', 'M') && d.length >= 26) {
                return BMP;
            }
            return null;
        }

        private static boolean starts(byte[] d, int... magic) {
            if (d.length < magic.length) {
                return false;
            }
            for (int i = 0; i < magic.length; i++) {
                if ((d[i] & 0xff) != magic[i]) {
                    return false;
                }
            }
            return true;
        }

        /** JDK's provider for this format if installed, else the first one that claims the format. */
        ImageReaderSpi spi() {
            ImageReaderSpi s = spi;
            if (s == null) {
                Iterator<ImageReaderSpi> it = IIORegistry.getDefaultInstance()
                        .getServiceProviders(ImageReaderSpi.class, true);
                ImageReaderSpi first = null;
                while (it.hasNext() && s == null) {
                    ImageReaderSpi candidate = it.next();
                    if (!claims(candidate)) {
                        continue;
                    }
                    if (candidate.getClass().getName().startsWith("com.sun.imageio.plugins.")) {
                        s = candidate;
                    } else if (first == null) {
                        first = candidate;
                    }
                }
                s = s != null ? s : first;
                spi = s;
            }
            return s;
        }

        private boolean claims(ImageReaderSpi candidate) {
            for (String n : candidate.getFormatNames()) {
                if (n.equalsIgnoreCase(imageIoName)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** What the JPEG header says about colour: component count and Adobe APP14 transform (-1: no marker). */
    private static final class JpegMarkers {
        int components = -1;
        int adobeTransform = -1;

        /** Walks the marker segments up to the first scan; malformed headers just end the walk. */
        static JpegMarkers scan(byte[] d) {
            JpegMarkers m = new JpegMarkers();
            int i = 2;
            while (i + 4 <= d.length) {
                if ((d[i] & 0xff) != 0xff) {
                    break;
                }
                int marker = d[i + 1] & 0xff;
                if (marker == 0xff) {
                    i++; // fill byte
                    continue;
                }
                if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
                    i += 2; // markers without a length
                    continue;
                }
                if (marker == 0xda || marker == 0xd9) {
                    break;
                }
                int len = ((d[i + 2] & 0xff) << 8) | (d[i + 3] & 0xff);
                int payload = i + 4;
                if (len < 2 || payload + len - 2 > d.length) {
                    break;
                }
                boolean sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
                if (sof && len >= 8) {
                    m.components = d[payload + 5] & 0xff;
                } else if (marker == 0xee && len >= 14
                        && new String(d, payload, 5, StandardCharsets.US_ASCII).equals("Adobe")) {
                    m.adobeTransform = d[payload + 11] & 0xff;
                }
                i += 2 + len;
            }
            return m;
        }
    }
}
