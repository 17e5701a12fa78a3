package dev.pretext.eval;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The labelled fraction fine-tuning sees: stratified per class, seeded, train and validation disjoint. */
class FineTuneLabelSampleTest extends SparkTestBase {
    private static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType)
            .add("split", DataTypes.StringType).add("label", DataTypes.IntegerType);
    /** Class c has 40 + 23 c rows (uneven), plus 30 unlabelled rows. */
    private static List<Row> rows;
    private static Map<Integer, Integer> perClass;

    @BeforeAll
    static void data() {
        rows = new ArrayList<>();
        perClass = new HashMap<>();
        for (int c = 0; c < 5; c++) {
            int n = 40 + 23 * c;
            perClass.put(c, n);
            for (int i = 0; i < n; i++) {
                rows.add(RowFactory.create("train/" + c + "/" + i, "train", c));
            }
        }
        for (int i = 0; i < 30; i++) {
            rows.add(RowFactory.create("train/unlabelled/" + i, "train", -1));
        }
    }

    static Dataset<Row> table(List<Row> r, int partitions) {
        return spark.createDataFrame(r, SCHEMA).repartition(partitions);
    }

    record Sample(Map<String, String> role, Map<String, Integer> label) {
        Set<String> ids(String r) {
            Set<String> s = new HashSet<>();
            role.forEach((id, x) -> {
                if (x.equals(r)) {
                    s.add(id);
                }
            });
            return s;
        }

        long count(String r, int c) {
            return role.entrySet().stream().filter(e -> e.getValue().equals(r) && label.get(e.getKey()) == c).count();
        }
    }

    static Sample sample(Dataset<Row> t, double fraction, double val, long seed) {
        Map<String, String> role = new HashMap<>();
        Map<String, Integer> label = new HashMap<>();
        for (Row r : LabelSample.sample(t, fraction, val, seed).collectAsList()) {
            assertNull(role.put(r.getString(0), r.getString(2)), "an id sampled twice: " + r);
            label.put(r.getString(0), r.getInt(1));
        }
        return new Sample(role, label);
    }

    @Test
    void everyClassGivesItsShareAndTrainAndValidationAreDisjoint() {
        Sample s = sample(table(rows, 3), 0.3, 0.1, 42);
        for (int c = 0; c < 5; c++) {
            long k = Math.max(1, Math.round(0.3 * perClass.get(c)));
            long v = Math.min(k - 1, Math.round(0.1 * k));
            assertEquals(k - v, s.count(LabelSample.TRAIN, c), "class " + c);
            assertEquals(v, s.count(LabelSample.VALIDATION, c), "class " + c);
            assertTrue(v >= 1, "every class has validation images at this size");
        }
        Set<String> train = s.ids(LabelSample.TRAIN);
        Set<String> val = s.ids(LabelSample.VALIDATION);
        assertTrue(Collections.disjoint(train, val));
        assertEquals(s.role().size(), train.size() + val.size());
        assertTrue(s.role().keySet().stream().noneMatch(id -> id.contains("unlabelled")), "label -1 is never sampled");
        s.label().forEach((id, c) -> assertTrue(id.startsWith("train/" + c + "/"), id + " keeps its label"));
    }

    @Test
    void theSampleDependsOnTheSeedOnlyNotOnPartitioningOrRowOrder() {
        Sample a = sample(table(rows, 3), 0.1, 0.1, 42);
        List<Row> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, new Random(5));
        Sample b = sample(table(shuffled, 7), 0.1, 0.1, 42);
        assertEquals(a.role(), b.role());
        Sample other = sample(table(rows, 3), 0.1, 0.1, 43);
        assertNotEquals(a.role().keySet(), other.role().keySet(), "another seed, another sample");
        assertEquals(a.role().size(), other.role().size(), "of the same size");
        // a smaller fraction takes a prefix of the same per-class order: its images are among the larger one's
        Sample larger = sample(table(rows, 3), 0.5, 0.1, 42);
        assertTrue(larger.role().keySet().containsAll(a.role().keySet()));
    }

    @Test
    void theWholeSplitAtOneAndAtLeastOneTrainingImagePerClassAtTinyFractions() {
        Sample all = sample(table(rows, 2), 1.0, 0.1, 1);
        assertEquals(rows.size() - 30, all.role().size());
        Sample tiny = sample(table(rows, 2), 0.001, 0.1, 1);
        for (int c = 0; c < 5; c++) {
            assertEquals(1, tiny.count(LabelSample.TRAIN, c), "one image of class " + c);
            assertEquals(0, tiny.count(LabelSample.VALIDATION, c), "none left for validation");
        }
        Sample noVal = sample(table(rows, 2), 0.5, 0.0, 1);
        assertTrue(noVal.ids(LabelSample.VALIDATION).isEmpty());

        // rows() joins the roles back onto the full rows, columns as they were
        Dataset<Row> t = table(rows, 2);
        Dataset<Row> s = LabelSample.sample(t, 0.5, 0.1, 1);
        Dataset<Row> v = LabelSample.rows(t, s, LabelSample.VALIDATION);
        assertArrayEquals(t.columns(), v.columns());
        assertEquals(s.where(col(LabelSample.ROLE).equalTo(LabelSample.VALIDATION)).count(), v.count());
    }

    @Test
    void fractionsOutsideTheUnitIntervalAreRefused() {
        Dataset<Row> t = table(rows, 1);
        for (double f : new double[] {0, -0.1, 1.5, Double.NaN}) {
            UserError e = assertThrows(UserError.class, () -> LabelSample.sample(t, f, 0.1, 1));
            assertTrue(e.getMessage().contains("(0, 1]"), e.getMessage());
        }
        assertThrows(UserError.class, () -> LabelSample.sample(t, 0.5, 1.0, 1));
    }
}
