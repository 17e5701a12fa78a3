package dev.pretext.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import dev.pretext.UserError;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Whether a run may resume with a new configuration: the new resolved config against the
 * {@code config.conf} the run already holds. Only the keys of {@link #MAY_CHANGE} may differ
 * (how long to train, how to evaluate, where Spark runs); any other difference (model, method,
 * data, augmentation, batch size, optimiser, ...) would train a different model into the same
 * checkpoints, and is refused before anything in the run directory changes.
 */
public final class ResumeConfig {
    /** Keys (exact, or prefixes ending in '.') that may change when a run resumes. */
    public static final List<String> MAY_CHANGE = List.of("train.epochs", "train.max-seconds", "eval.", "spark.",
            "run.dir", "run.id", "describe.", "patches.", "retrain.");

    private ResumeConfig() {
    }

    /** Throws a {@link UserError} naming every key that may not change and its old and new values. */
    public static void check(String runName, String oldRendered, String newRendered) {
        Map<String, String> old = flatten(oldRendered);
        Map<String, String> now = flatten(newRendered);
        TreeSet<String> keys = new TreeSet<>(old.keySet());
        keys.addAll(now.keySet());
        StringBuilder bad = new StringBuilder();
        for (String k : keys) {
            String a = old.get(k);
            String b = now.get(k);
            if (!Objects.equals(a, b) && !mayChange(k)) {
                bad.append(bad.length() == 0 ? "" : "; ").append(k).append(" was ").append(a == null ? "(unset)" : a)
                        .append(", now ").append(b == null ? "(unset)" : b);
            }
        }
        if (bad.length() > 0) {
            throw new UserError("run " + runName + " cannot resume with a different model or data configuration: "
                    + bad + ". On resume only train.epochs, train.max-seconds, eval.*, spark.* may change;"
                    + " use the run's values, or a new --run-id");
        }
    }

    static boolean mayChange(String key) {
        for (String m : MAY_CHANGE) {
            if (m.endsWith(".") ? key.startsWith(m) : key.equals(m)) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> flatten(String rendered) {
        Config c;
        try {
            c = ConfigFactory.parseString(rendered).resolve();
        } catch (ConfigException e) {
            throw new UserError("the run's config.conf cannot be read (" + e.getMessage()
                    + "); use a new --run-id", e);
        }
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            out.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
        }
        return out;
    }
}
