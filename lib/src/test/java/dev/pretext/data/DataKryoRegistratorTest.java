package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;

import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;

import scala.reflect.ClassTag$;

class DataKryoRegistratorTest {

    private static SerializerInstance kryo(boolean withRegistrator) {
        SparkConf conf = new SparkConf(false);
        if (withRegistrator) {
            conf.set("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator," + DataKryoRegistrator.class.getName());
        }
        return new KryoSerializer(conf).newInstance();
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(SerializerInstance s, T value) {
        ByteBuffer buf = s.serialize(value, ClassTag$.MODULE$.apply(Object.class));
        return (T) s.deserialize(buf, ClassTag$.MODULE$.apply(Object.class));
    }

    @Test
    void recordsRoundTripThroughSparksKryo() {
        SerializerInstance s = kryo(true);
        ImageRecord r = new ImageRecord("cifar10/train/000001", "train", 3, -1, 2, 2, 3, "raw",
                new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, (byte) 255}, "data_batch_1.bin#1");
        ImageRecord back = roundTrip(s, r);
        assertEquals(r.id(), back.id());
        assertEquals(r.label2(), back.label2());
        assertEquals(r.source(), back.source());
        assertArrayEquals(r.data(), back.data());

        ReadResult bad = roundTrip(s, ReadResult.bad("x.bin#2", "label 99"));
        assertNull(bad.image());
        assertEquals(new QuarantinedItem("x.bin#2", "label 99"), bad.quarantined());
        ReadResult good = roundTrip(s, ReadResult.good(r));
        assertEquals(3, good.image().label());
    }

    /** Why the registrator exists: without it Kryo cannot handle Java records at all. */
    @Test
    void withoutTheRegistratorKryoFailsOnRecords() {
        SerializerInstance s = kryo(false);
        assertThrows(Exception.class, () -> roundTrip(s, new QuarantinedItem("a", "b")));
    }
}
