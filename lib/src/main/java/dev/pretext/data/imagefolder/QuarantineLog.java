package dev.pretext.data.imagefolder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;

import dev.pretext.UserError;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.QuarantinedItem;

/**
 * Collects bad inputs from the executors in the same pass that writes the good ones, so no input is
 * decoded twice. Spark may run a task more than once (a lost executor, a recomputed stage): items and
 * per-unit counts are keyed (by input source, by unit) and de-duplicated on the driver, so a re-run
 * never counts an input twice.
 */
final class QuarantineLog implements java.io.Serializable {
    /** How many inputs a unit of work (an inner tar, a byte range of a tar) held. */
    record UnitCount(String unit, long inputs) implements java.io.Serializable {
    }

    private final OnCorrupt policy;
    private final CollectionAccumulator<QuarantinedItem> items;
    private final CollectionAccumulator<UnitCount> units;

    QuarantineLog(SparkContext sc, OnCorrupt policy) {
        this.policy = policy;
        this.items = sc.collectionAccumulator("pretext.quarantine");
        this.units = sc.collectionAccumulator("pretext.inputs-per-unit");
    }

    /** On an executor: a bad input. Under FAIL this ends the job with the input and the reason. */
    void bad(QuarantinedItem q) {
        if (policy == OnCorrupt.FAIL) {
            throw new UserError("bad input " + q.source() + ": " + q.reason()
                    + " (use --on-corrupt skip to quarantine bad inputs and go on)");
        }
        items.add(q);
    }

    /** On the driver, while planning: a bad input found early. Under FAIL it ends the job at once. */
    void failOnDriver(String source, String reason) {
        if (policy == OnCorrupt.FAIL) {
            bad(new QuarantinedItem(source, reason));
        }
    }

    /** On an executor: a unit of work finished after seeing this many inputs. */
    void unitDone(String unit, long inputs) {
        units.add(new UnitCount(unit, inputs));
    }

    /** On the driver after the job: the bad inputs, one per source. */
    List<QuarantinedItem> quarantined() {
        Map<String, QuarantinedItem> m = new LinkedHashMap<>();
        for (QuarantinedItem q : items.value()) {
            m.putIfAbsent(q.source(), q);
        }
        return new ArrayList<>(m.values());
    }

    /** On the driver after the job: inputs seen over the units of one input (unit keys start with it). */
    long inputsInUnits(String input) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (UnitCount u : units.value()) {
            if (u.unit().startsWith(input + "#")) {
                m.putIfAbsent(u.unit(), u.inputs());
            }
        }
        return m.values().stream().mapToLong(Long::longValue).sum();
    }
}
