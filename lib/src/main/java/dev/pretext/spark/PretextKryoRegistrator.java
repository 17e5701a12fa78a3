package dev.pretext.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import dev.pretext.data.DataKryoRegistrator;
import org.nd4j.kryo.Nd4jRegistrator;

/**
 * Spark's Kryo registrator for Pretext: ND4J's (arrays, DataSets), plus Java records. Kryo 4
 * (Spark's kryo-shaded) cannot build its field serializer for a record ("can't get field offset on
 * a record class"), so every {@link Record} goes through Java serialization, which supports records.
 */
public class PretextKryoRegistrator extends Nd4jRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        super.registerClasses(kryo);
        new DataKryoRegistrator().registerClasses(kryo);   // compact serializers for the image records
        kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
    }
}
