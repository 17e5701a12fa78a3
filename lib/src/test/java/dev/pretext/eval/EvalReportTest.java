package dev.pretext.eval;

import dev.pretext.UserError;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalReportTest {

    private static EvalReport sample() {
        Map<Double, Double> grid = new LinkedHashMap<>();
        grid.put(1e-4, 0.81);
        grid.put(1e-3, 0.84);
        grid.put(1e-2, 0.83);
        return new EvalReport("embedding", 10, 512, 5000, 4010, 990, 8000, 1e-3, grid,
                0.7125, 0.97, 200, 0.07, 0.6875, new ConfusionMatrix(new long[][]{{3, 1}, {0, 4}}));
    }

    @Test
    void mapViewHasStableSnakeCaseKeys() {
        Map<String, Object> m = sample().toMap();
        assertEquals(0.7125, m.get("linear_top1"));
        assertEquals(0.97, m.get("linear_top5"));
        assertEquals(0.6875, m.get("knn_top1"));
        assertEquals(1e-3, m.get("chosen_reg_param"));
        assertEquals(8000L, m.get("test_count"));
        assertEquals(990L, m.get("validation_count"));
        List<?> grid = (List<?>) m.get("validation");
        assertEquals(3, grid.size());
        assertEquals(Map.of("reg_param", 1e-4, "accuracy", 0.81), grid.get(0));
        assertEquals(List.of(List.of(3L, 1L), List.of(0L, 4L)), m.get("confusion"));
    }

    @Test
    void jsonRoundTrip() {
        EvalReport r = sample();
        String json = r.toJson();
        assertTrue(json.contains("\"linear_top1\" : 0.7125"), json);
        EvalReport back = EvalReport.fromJson(json);
        assertEquals(r, back);
        assertEquals(new ConfusionMatrix(new long[][]{{3, 1}, {0, 4}}), back.confusion());
        assertEquals(List.copyOf(r.validationAccuracy().keySet()), List.copyOf(back.validationAccuracy().keySet()));
    }

    @Test
    void malformedJsonIsAUserError() {
        assertThrows(UserError.class, () -> EvalReport.fromJson("{not json"));
        assertThrows(UserError.class, () -> EvalReport.fromJson("{\"layer\":\"x\",\"validation\":[]}"));
    }
}
