package dev.pretext.data;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Kryo serialisers for this package's Java records. Spark's Kryo (4.x) builds a FieldSerializer
 * that asks Unsafe for field offsets, which Java 16+ refuses for records ("can't get field offset
 * on a record class"), so collecting or shuffling a {@code JavaRDD<ImageRecord>} fails under
 * {@code spark.serializer=KryoSerializer} unless these are registered. Add this class to
 * {@code spark.kryo.registrator} (a comma-separated list, e.g. after
 * {@code org.nd4j.kryo.Nd4jRegistrator}).
 */
public final class DataKryoRegistrator implements KryoRegistrator {

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(ImageRecord.class, new ImageRecordSerializer());
        kryo.register(QuarantinedItem.class, new QuarantinedItemSerializer());
        kryo.register(ReadResult.class, new ReadResultSerializer());
    }

    static final class ImageRecordSerializer extends Serializer<ImageRecord> {
        ImageRecordSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output out, ImageRecord r) {
            out.writeString(r.id());
            out.writeString(r.split());
            out.writeInt(r.label(), false);
            out.writeInt(r.label2(), false);
            out.writeInt(r.height(), true);
            out.writeInt(r.width(), true);
            out.writeInt(r.channels(), true);
            out.writeString(r.encoding());
            byte[] data = r.data();
            out.writeInt(data == null ? -1 : data.length, false);
            if (data != null) {
                out.writeBytes(data);
            }
            out.writeString(r.source());
        }

        @Override
        public ImageRecord read(Kryo kryo, Input in, Class<ImageRecord> type) {
            String id = in.readString();
            String split = in.readString();
            int label = in.readInt(false);
            int label2 = in.readInt(false);
            int h = in.readInt(true);
            int w = in.readInt(true);
            int c = in.readInt(true);
            String enc = in.readString();
            int n = in.readInt(false);
            byte[] data = n < 0 ? null : in.readBytes(n);
            return new ImageRecord(id, split, label, label2, h, w, c, enc, data, in.readString());
        }
    }

    static final class QuarantinedItemSerializer extends Serializer<QuarantinedItem> {
        QuarantinedItemSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output out, QuarantinedItem q) {
            out.writeString(q.source());
            out.writeString(q.reason());
        }

        @Override
        public QuarantinedItem read(Kryo kryo, Input in, Class<QuarantinedItem> type) {
            return new QuarantinedItem(in.readString(), in.readString());
        }
    }

    static final class ReadResultSerializer extends Serializer<ReadResult> {
        ReadResultSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output out, ReadResult r) {
            kryo.writeObjectOrNull(out, r.image(), ImageRecord.class);
            kryo.writeObjectOrNull(out, r.quarantined(), QuarantinedItem.class);
        }

        @Override
        public ReadResult read(Kryo kryo, Input in, Class<ReadResult> type) {
            ImageRecord image = kryo.readObjectOrNull(in, ImageRecord.class);
            return new ReadResult(image, kryo.readObjectOrNull(in, QuarantinedItem.class));
        }
    }
}
