package dev.pretext.data;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Image and tar files for the decoder, encoder and tar tests, written in their real formats. */
final class ImageFiles {
    private ImageFiles() {
    }

    /** RGB pixel function: (x, y) -> 0xRRGGBB. */
    interface Pixels {
        int rgb(int x, int y);
    }

    /** A smooth test pattern (JPEG-friendly): R follows x, G follows y, B constant. */
    static int gradient(int x, int y, int w, int h) {
        return ((x * 255 / Math.max(1, w - 1)) << 16) | ((y * 255 / Math.max(1, h - 1)) << 8) | 77;
    }

    static BufferedImage rgbImage(int w, int h, Pixels p) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, p.rgb(x, y));
            }
        }
        return img;
    }

    static byte[] jpeg(BufferedImage img, int quality) throws IOException {
        ImageWriter w = jdkWriter("jpeg");
        ImageWriteParam param = w.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality / 100f);
        return write(w, new IIOImage(img, null, null), param);
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", out)) {
            throw new IOException("no PNG writer for " + img);
        }
        return out.toByteArray();
    }

    /** 8-bit grayscale PNG with value v(x, y) & 0xff. */
    static byte[] grayPng8(int w, int h, Pixels v) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setSample(x, y, 0, v.rgb(x, y) & 0xff);
            }
        }
        return png(img);
    }

    /** 16-bit grayscale PNG with value v(x, y) & 0xffff. */
    static byte[] grayPng16(int w, int h, Pixels v) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setSample(x, y, 0, v.rgb(x, y) & 0xffff);
            }
        }
        return png(img);
    }

    /** 16-bit RGB PNG; sample(x, y, band) gives 0..65535. */
    static byte[] rgbPng16(int w, int h, Sample16 sample) throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int b = 0; b < 3; b++) {
                    r.setSample(x, y, b, sample.value(x, y, b));
                }
            }
        }
        return png(new BufferedImage(cm, r, false, null));
    }

    interface Sample16 {
        int value(int x, int y, int band);
    }

    /** Palette PNG: pixel (x, y) takes palette entry index(x, y) of {@code palette} (0xRRGGBB entries). */
    static byte[] palettePng(int w, int h, int[] palette, Pixels index) throws IOException {
        byte[] r = new byte[palette.length], g = new byte[palette.length], b = new byte[palette.length];
        for (int i = 0; i < palette.length; i++) {
            r[i] = (byte) (palette[i] >> 16);
            g[i] = (byte) (palette[i] >> 8);
            b[i] = (byte) palette[i];
        }
        IndexColorModel cm = new IndexColorModel(8, palette.length, r, g, b);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, cm);
        WritableRaster raster = img.getRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raster.setSample(x, y, 0, index.rgb(x, y));
            }
        }
        return png(img);
    }

    /** RGBA PNG: colour p(x, y), alpha a(x, y). */
    static byte[] rgbaPng(int w, int h, Pixels p, Pixels alpha) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (alpha.rgb(x, y) << 24) | (p.rgb(x, y) & 0xffffff));
            }
        }
        return png(img);
    }

    /** 8-bit grayscale JPEG (one component). */
    static byte[] grayJpeg(int w, int h, Pixels v) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, v.rgb(x, y) & 0xff);
            }
        }
        return jpeg(img, 95);
    }

    /** How a 4-component JPEG stores its ink. */
    enum FourComponent {
        /** CMYK as ink amounts, no Adobe marker. */
        PLAIN_CMYK,
        /** Adobe APP14 transform 0: CMYK, inverted (255 = no ink), as Photoshop writes it. */
        ADOBE_CMYK,
        /** Adobe APP14 transform 2: inverted CMY stored as YCbCr, plus inverted K. */
        ADOBE_YCCK
    }

    /**
     * A 4-component JPEG whose pixel (x, y) has ink {@code ink(x, y)} = 0xCCMMYYKK (0..255 each, 255 = full ink).
     * The JDK writer stores a 4-band raster's samples as given (no colour transform, no APP14), so the components
     * are computed here and the Adobe marker inserted after SOI for the Adobe variants.
     */
    static byte[] fourComponentJpeg(int w, int h, FourComponent kind, Pixels ink) throws IOException {
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = ink.rgb(x, y);
                int[] cmyk = {(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
                if (kind != FourComponent.PLAIN_CMYK) {
                    for (int i = 0; i < 4; i++) {
                        cmyk[i] = 255 - cmyk[i];
                    }
                }
                if (kind == FourComponent.ADOBE_YCCK) {
                    // libjpeg's encoder: R = 255 - C (C as stored), then the usual RGB -> YCbCr.
                    double rr = 255 - cmyk[0], gg = 255 - cmyk[1], bb = 255 - cmyk[2];
                    cmyk[0] = clamp(0.299 * rr + 0.587 * gg + 0.114 * bb);
                    cmyk[1] = clamp(-0.168736 * rr - 0.331264 * gg + 0.5 * bb + 128);
                    cmyk[2] = clamp(0.5 * rr - 0.418688 * gg - 0.081312 * bb + 128);
                }
                r.setPixel(x, y, cmyk);
            }
        }
        ImageWriter wr = jdkWriter("jpeg");
        if (!wr.canWriteRasters()) {
            throw new IOException("the JDK JPEG writer cannot write rasters");
        }
        ImageWriteParam param = wr.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.98f);
        byte[] plain = write(wr, new IIOImage(r, null, null), param);
        if (kind == FourComponent.PLAIN_CMYK) {
            return plain;
        }
        return withAdobeMarker(plain, kind == FourComponent.ADOBE_YCCK ? 2 : 0);
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    /** The JPEG with an Adobe APP14 segment (version 100, given transform) inserted right after SOI. */
    static byte[] withAdobeMarker(byte[] jpeg, int transform) {
        byte[] seg = {(byte) 0xff, (byte) 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform};
        byte[] out = new byte[jpeg.length + seg.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(seg, 0, out, 2, seg.length);
        System.arraycopy(jpeg, 2, out, 2 + seg.length, jpeg.length - 2);
        return out;
    }

    private static ImageWriter jdkWriter(String format) throws IOException {
        Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName(format);
        ImageWriter any = null;
        while (it.hasNext()) {
            ImageWriter w = it.next();
            if (w.getClass().getName().startsWith("com.sun.imageio.")) {
                return w;
            }
            any = any == null ? w : any;
        }
        if (any == null) {
            throw new IOException("no " + format + " writer");
        }
        return any;
    }

    private static byte[] write(ImageWriter w, IIOImage image, ImageWriteParam param) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            w.setOutput(out);
            w.write(null, image, param);
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }

    // ---- tar

    /** A minimal tar writer for tests: ustar headers, GNU long names, pax paths, directories, links. */
    static final class Tar {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        /** A regular file with a ustar header (names over 100 bytes are split into prefix/name). */
        Tar file(String name, byte[] data) {
            String prefix = "";
            String n = name;
            if (utf8(name).length > 100) {
                int slash = name.lastIndexOf('/', name.length() - 1);
                while (slash > 0 && (utf8(name.substring(slash + 1)).length > 100
                        || utf8(name.substring(0, slash)).length > 155)) {
                    slash = name.lastIndexOf('/', slash - 1);
                }
                if (slash <= 0) {
                    throw new IllegalArgumentException("name does not fit ustar: " + name);
                }
                prefix = name.substring(0, slash);
                n = name.substring(slash + 1);
            }
            header(n, prefix, data.length, '0', "", true);
            data(data);
            return this;
        }

        /** A regular file whose name goes in a preceding GNU 'L' member (GNU magic). */
        Tar gnuLongName(String name, byte[] data) {
            byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
            header("././@LongLink", "", nameBytes.length, 'L', "", false);
            data(nameBytes);
            header(name.substring(0, Math.min(99, name.length())), "", data.length, '0', "", false);
            data(data);
            return this;
        }

        /** A regular file whose name goes in a preceding pax 'x' header. */
        Tar paxPath(String name, byte[] data) {
            byte[] record = paxRecord("path", name);
            header("PaxHeaders/x", "", record.length, 'x', "", true);
            data(record);
            header("truncated-name", "", data.length, '0', "", true);
            data(data);
            return this;
        }

        Tar directory(String name) {
            header(name.endsWith("/") ? name : name + "/", "", 0, '5', "", true);
            return this;
        }

        Tar symlink(String name, String target) {
            header(name, "", 0, '2', target, true);
            return this;
        }

        /** Any header with the given size and type, followed by {@code data} (for odd cases). */
        Tar raw(String name, char type, byte[] data) {
            header(name, "", data.length, type, "", true);
            data(data);
            return this;
        }

        /** The two zero blocks that end an archive. */
        Tar end() {
            out.writeBytes(new byte[1024]);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private static byte[] paxRecord(String key, String value) {
            byte[] body = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
            int len = body.length;
            while (String.valueOf(len).length() + body.length != len) {
                len = String.valueOf(len).length() + body.length;
            }
            return (len + " " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
        }

        private void data(byte[] data) {
            out.writeBytes(data);
            out.writeBytes(new byte[(512 - data.length % 512) % 512]);
        }

        private void header(String name, String prefix, long size, char type, String link, boolean posix) {
            out.writeBytes(header(name, prefix, size, type, link, posix, 0));
        }

        /** One header block; {@code checksumDelta} is added to the stored checksum to make a bad one. */
        static byte[] header(String name, String prefix, long size, char type, String link, boolean posix,
                             int checksumDelta) {
            byte[] h = new byte[512];
            put(h, 0, 100, utf8(name));
            put(h, 100, 8, ascii("0000644\0"));
            put(h, 108, 8, ascii("0001750\0"));
            put(h, 116, 8, ascii("0001750\0"));
            put(h, 124, 12, ascii(String.format("%011o\0", size)));
            put(h, 136, 12, ascii(String.format("%011o\0", 1700000000L)));
            h[156] = (byte) type;
            put(h, 157, 100, utf8(link));
            put(h, 257, 8, posix ? ascii("ustar\u000000") : ascii("ustar  \0"));
            put(h, 265, 32, ascii("user"));
            put(h, 297, 32, ascii("group"));
            if (posix) {
                put(h, 345, 155, utf8(prefix));
            }
            for (int i = 148; i < 156; i++) {
                h[i] = ' ';
            }
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, 8, ascii(String.format("%06o\0 ", sum + checksumDelta)));
            return h;
        }

        /** Rewrites the checksum of the header block at {@code off} of {@code archive} after a test edited it. */
        static void fixChecksum(byte[] archive, int off) {
            for (int i = 148; i < 156; i++) {
                archive[off + i] = ' ';
            }
            long sum = 0;
            for (int i = 0; i < 512; i++) {
                sum += archive[off + i] & 0xff;
            }
            System.arraycopy(ascii(String.format("%06o\0 ", sum)), 0, archive, off + 148, 8);
        }

        /** Appends bytes as they are (e.g. a prebuilt header block). */
        Tar append(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        private static void put(byte[] h, int off, int len, byte[] v) {
            if (v.length > len) {
                throw new IllegalArgumentException("field of " + len + " bytes cannot hold " + v.length);
            }
            System.arraycopy(v, 0, h, off, v.length);
        }

        private static byte[] ascii(String s) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }

        private static byte[] utf8(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
    }
}
