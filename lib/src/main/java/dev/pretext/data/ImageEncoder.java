package dev.pretext.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Locale;

import javax.imageio.IIOImage;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageWriterSpi;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import dev.pretext.UserError;

/**
 * Encodes {@link DecodedImage}s for the images table: {@code png} (8-bit RGB, lossless) or {@code jpeg} with an
 * explicit quality 1..100 (default 90), baseline (not progressive), 4:2:0 chroma, carrying only the JFIF header
 * (no EXIF, no ICC, no thumbnail). Like {@link ImageDecoder} it uses JDK's own writers even when other ImageIO
 * plugins are on the classpath, so the bytes do not depend on the classpath; a new writer per call keeps it
 * thread-safe.
 */
public final class ImageEncoder implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final int DEFAULT_JPEG_QUALITY = 90;

    private static final String VALID = "use png, jpeg or jpeg:Q with Q a whole number from 1 to 100";

    private final String encoding;
    private final int quality;

    private ImageEncoder(String encoding, int quality) {
        this.encoding = encoding;
        this.quality = quality;
    }

    public static ImageEncoder png() {
        return new ImageEncoder(ImageRecord.PNG, 0);
    }

    public static ImageEncoder jpeg(int quality) {
        if (quality < 1 || quality > 100) {
            throw new UserError("JPEG quality " + quality + " is out of range; use a whole number from 1 to 100");
        }
        return new ImageEncoder(ImageRecord.JPEG, quality);
    }

    /**
     * The encoder for an encoding name ({@code png}, {@code jpeg}, also {@code jpg}) and a JPEG quality (ignored
     * for png).
     */
    public static ImageEncoder of(String encoding, int jpegQuality) {
        String e = encoding == null ? "" : encoding.trim().toLowerCase(Locale.ROOT);
        return switch (e) {
            case "png" -> png();
            case "jpeg", "jpg" -> jpeg(jpegQuality);
            default -> throw new UserError("image encoding '" + encoding + "' is not valid; " + VALID);
        };
    }

    /** Parses {@code png}, {@code jpeg} (quality 90) or {@code jpeg:Q}; {@link #toString()} gives this form back. */
    public static ImageEncoder parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        if (colon < 0) {
            return of(s, DEFAULT_JPEG_QUALITY);
        }
        String kind = s.substring(0, colon).trim();
        if (!kind.equals("jpeg") && !kind.equals("jpg")) {
            throw new UserError("image encoding '" + text + "' is not valid; " + VALID);
        }
        try {
            return jpeg(Integer.parseInt(s.substring(colon + 1).trim()));
        } catch (NumberFormatException e) {
            throw new UserError("image encoding '" + text + "': quality is not a whole number; " + VALID);
        }
    }

    /** {@link ImageRecord#PNG} or {@link ImageRecord#JPEG}, the value for {@link ImageRecord#encoding()}. */
    public String encoding() {
        return encoding;
    }

    /** JPEG quality 1..100; 0 for png. */
    public int quality() {
        return quality;
    }

    /** The encoded file; it decodes to the same size, and for png to the same bytes. */
    public byte[] encode(DecodedImage img) {
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
        byte[] rgb = img.rgb();
        for (int i = 0; i < rgb.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        ImageWriter writer = newWriter();
        try {
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (ImageRecord.JPEG.equals(encoding)) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(quality / 100f);
                param.setProgressiveMode(ImageWriteParam.MODE_DISABLED);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(1024, rgb.length / 8));
            try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
                writer.setOutput(out);
                // No metadata object: the JPEG writer then writes its default JFIF header and nothing else.
                writer.write(null, new IIOImage(bi, null, null), param);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            // Writing to memory does not fail for I/O reasons: this is a writer defect, not a user error.
            throw new UncheckedIOException("cannot encode a " + img.width() + "x" + img.height() + " image as "
                    + encoding, e);
        } finally {
            writer.dispose();
        }
    }

    private ImageWriter newWriter() {
        Iterator<ImageWriterSpi> it = IIORegistry.getDefaultInstance().getServiceProviders(ImageWriterSpi.class, true);
        ImageWriterSpi chosen = null;
        while (it.hasNext()) {
            ImageWriterSpi spi = it.next();
            boolean claims = false;
            for (String n : spi.getFormatNames()) {
                claims |= n.equalsIgnoreCase(encoding);
            }
            if (claims && (chosen == null || spi.getClass().getName().startsWith("com.sun.imageio.plugins."))) {
                chosen = spi;
                if (spi.getClass().getName().startsWith("com.sun.imageio.plugins.")) {
                    break;
                }
            }
        }
        if (chosen == null) {
            throw new IllegalStateException("no " + encoding + " ImageIO writer in this Java runtime");
        }
        try {
            return chosen.createWriterInstance();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a " + encoding + " writer", e);
        }
    }

    @Override
    public String toString() {
        return ImageRecord.JPEG.equals(encoding) ? "jpeg:" + quality : "png";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageEncoder e && e.encoding.equals(encoding) && e.quality == quality;
    }

    @Override
    public int hashCode() {
        return encoding.hashCode() * 31 + quality;
    }
}
