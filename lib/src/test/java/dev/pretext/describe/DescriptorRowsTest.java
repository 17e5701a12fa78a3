package dev.pretext.describe;

import dev.pretext.UserError;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DescriptorRowsTest {

    @Test
    void schemaHasKeyColumnsThenOneFloatArrayPerColumn() {
        StructType s = DescriptorRows.schema(List.of("hog", "teacher_r18"));
        assertArrayEquals(new String[]{"id", "split", "label", "height", "width", "hog", "teacher_r18"}, s.fieldNames());
        ArrayType t = (ArrayType) s.apply("hog").dataType();
        assertEquals(DataTypes.FloatType, t.elementType());
    }

    @Test
    void schemaRefusesNoColumnsAndClashes() {
        assertThrows(UserError.class, () -> DescriptorRows.schema(List.of()));
        UserError twice = assertThrows(UserError.class, () -> DescriptorRows.schema(List.of("hog", "HOG")));
        assertTrue(twice.getMessage().contains("HOG"), twice.getMessage());
        assertThrows(UserError.class, () -> DescriptorRows.schema(List.of("label")));
    }

    @Test
    void teacherColumnsAreSanitised() {
        assertEquals("teacher_resnet_50_clip", DescriptorRows.teacherColumn("ResNet-50 (CLIP)"));
        assertEquals("teacher_a_b", DescriptorRows.teacherColumn("__a.b__"));
        assertThrows(UserError.class, () -> DescriptorRows.teacherColumn("--"));
    }

    @Test
    void teacherSpecsParseLayerAndNameAndKeepUriPorts() {
        var norm = TeacherNets.normalization();
        Teacher plain = Teacher.parse("/models/simclr-r18.zip", norm, 64);
        assertEquals("/models/simclr-r18.zip", plain.model());
        assertNull(plain.layer());
        assertEquals("teacher_simclr_r18", plain.column());

        Teacher full = Teacher.parse("hdfs://nn:8020/m/net.zip:dense_1=clip", norm, 64);
        assertEquals("hdfs://nn:8020/m/net.zip", full.model());
        assertEquals("dense_1", full.layer());
        assertEquals("teacher_clip", full.column());

        Teacher port = Teacher.parse("hdfs://nn:8020/runs/a", norm, 64);
        assertEquals("hdfs://nn:8020/runs/a", port.model());
        assertNull(port.layer());
        assertEquals("teacher_a", port.column());

        Teacher named = Teacher.parse("runs/b/=x", norm, 64);
        assertEquals("runs/b/", named.model());
        assertEquals("teacher_x", named.column());

        assertThrows(UserError.class, () -> Teacher.parse("m.zip:", norm, 64));
        assertThrows(UserError.class, () -> Teacher.parse("m.zip=", norm, 64));
        assertThrows(UserError.class, () -> Teacher.parse(" ", norm, 64));
        assertThrows(UserError.class, () -> Teacher.parse("m.zip", norm, 0));
        assertThrows(UserError.class, () -> Teacher.parse("m.zip", dev.pretext.eval.PixelNormalization.unit(1), 8));
    }
}
