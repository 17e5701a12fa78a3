package dev.pretext.export;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes NumPy's {@code .npy} format, version 1.0, for a 2-D little-endian float32 array in C
 * order: the magic {@code \x93NUMPY}, version bytes 1 0, a little-endian uint16 header length, an
 * ASCII dict ({@code descr}, {@code fortran_order}, {@code shape}) padded with spaces and ended by a
 * newline so that the data starts at a multiple of 64 bytes, then the rows. {@code numpy.load}
 * reads it without pickle.
 */
public final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;

    private Npy() {
    }

    /** The whole header (magic to newline) of a {@code rows x cols} float32 array. */
    public static byte[] header(long rows, long cols) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int preamble = MAGIC.length + 2 + 2;
        int unpadded = preamble + dict.length() + 1;
        int padded = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
        String text = dict + " ".repeat(padded - unpadded) + "\n";
        if (text.length() > 0xFFFF) {
            throw new IllegalArgumentException("npy v1.0 header too long: " + text.length());
        }
        ByteBuffer b = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
        b.put(text.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    /**
     * A {@code rows x cols} float32 file written row by row: {@link #row} exactly {@code rows}
     * times, then {@link #close}, which fails when fewer rows came.
     */
    public static final class Writer implements AutoCloseable {
        private final DataOutputStream out;
        private final long rows;
        private final int cols;
        private final ByteBuffer buf;
        private long written;

        public Writer(OutputStream out, long rows, int cols) throws IOException {
            this.out = new DataOutputStream(out);
            this.rows = rows;
            this.cols = cols;
            this.buf = ByteBuffer.allocate(4 * cols).order(ByteOrder.LITTLE_ENDIAN);
            this.out.write(header(rows, cols));
        }

        /** One row, each value rounded to float32. */
        public void row(double[] values) throws IOException {
            if (values.length != cols) {
                throw new IllegalArgumentException("row " + written + " has " + values.length + " values, expected " + cols);
            }
            if (written == rows) {
                throw new IllegalStateException("more than the " + rows + " rows of the header");
            }
            buf.clear();
            for (double v : values) {
                buf.putFloat((float) v);
            }
            out.write(buf.array(), 0, buf.position());
            written++;
        }

        @Override
        public void close() throws IOException {
            out.close();
            if (written != rows) {
                throw new IllegalStateException("wrote " + written + " rows, the header says " + rows);
            }
        }
    }
}
