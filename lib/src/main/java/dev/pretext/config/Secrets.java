package dev.pretext.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credentials kept out of what a run writes and prints: the saved {@code config.conf}, the report
 * and log lines. A key looks like a credential when its name (case ignored, {@code - _ .} alike)
 * contains {@code secret}, {@code password}/{@code passwd}, {@code token}, {@code credential},
 * {@code api key}, {@code access key}, {@code private key}, {@code account key}, {@code signature}
 * or {@code sas}, or is an {@code fs.s3a.*key*} setting (e.g. {@code spark.hadoop.fs.s3a.access.key},
 * {@code spark.ssl.keyPassword}, {@code fs.azure.account.key.X}). Its value is replaced by
 * {@link #REDACTED}. The password of a URI ({@code s3a://id:secret@bucket/...}) is redacted
 * wherever it appears.
 */
public final class Secrets {
    public static final String REDACTED = "***redacted***";

    private static final Pattern KEY = Pattern.compile(
            "secret|password|passwd|token|credential|api\\.?key|access\\.?key|private\\.?key|account\\.key"
                    + "|signature|(^|\\.)sas(\\.|$)|(^|\\.)fs\\.s3a\\..*key");
    /** {@code scheme://user:password@host}: the password. */
    private static final Pattern URI_PASSWORD = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s:@\"']+:)([^@/\\s\"']+)@");
    /** {@code key=value}, {@code key: value}, {@code "key" : "value"} in free text (logs, messages). */
    private static final Pattern ASSIGNMENT = Pattern.compile(
            "(\"?)([A-Za-z0-9_.\\-]+)(\"?\\s*[=:]\\s*)(\"[^\"]*\"|[^\\s,;}\\]\"]+)");
    private static final ConfigRenderOptions RENDER =
            ConfigRenderOptions.defaults().setOriginComments(false).setJson(false);

    private Secrets() {
    }

    /** Whether a key (a config path, a Spark or Hadoop property, a JSON field) names a credential. */
    public static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT).replace('-', '.').replace('_', '.').replace("\"", "");
        return KEY.matcher(k).find();
    }

    /** A value with any URI password replaced. */
    public static String redactValue(String value) {
        return value == null ? null : URI_PASSWORD.matcher(value).replaceAll("$1" + REDACTED + "@");
    }

    /**
     * A rendered HOCON config (as saved in {@code config.conf}) with the values of credential keys
     * and URI passwords redacted; the text itself when there is nothing to redact.
     */
    public static String redactedConfig(String rendered) {
        Config c;
        try {
            c = ConfigFactory.parseString(rendered).resolve();
        } catch (ConfigException e) {
            return redactText(rendered);
        }
        Config out = c;
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            ConfigValue v = e.getValue();
            if (isSecretKey(e.getKey())) {
                out = out.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(REDACTED));
            } else if (v.valueType() == ConfigValueType.STRING) {
                String s = (String) v.unwrapped();
                String r = redactValue(s);
                if (!r.equals(s)) {
                    out = out.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(r));
                }
            } else if (v.valueType() == ConfigValueType.LIST) {
                List<Object> items = new ArrayList<>();
                boolean changed = false;
                for (Object o : (List<?>) v.unwrapped()) {
                    Object r = o instanceof String s ? redactValue(s) : o;
                    changed |= !java.util.Objects.equals(r, o);
                    items.add(r);
                }
                if (changed) {
                    out = out.withValue(e.getKey(), ConfigValueFactory.fromIterable(items));
                }
            }
        }
        return out == c ? rendered : out.root().render(RENDER);
    }

    /**
     * A saved config without its redacted values, so that a later command that layers it under
     * new settings takes those values from the defaults, --conf and --set, never the placeholder.
     */
    public static String withoutRedacted(String rendered) {
        Config c;
        try {
            c = ConfigFactory.parseString(rendered).resolve();
        } catch (ConfigException e) {
            return rendered;
        }
        Config out = c;
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            Object v = e.getValue().unwrapped();
            if (v instanceof String s && s.contains(REDACTED)) {
                out = out.withoutPath(e.getKey());
            }
        }
        return out == c ? rendered : out.root().render(RENDER);
    }

    /** Free text (a log line, a message, markdown) with credential assignments and URI passwords redacted. */
    public static String redactText(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = ASSIGNMENT.matcher(redactValue(text));
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String replacement = isSecretKey(m.group(2))
                    ? m.group(1) + m.group(2) + m.group(3) + (m.group(4).startsWith("\"") ? "\"" + REDACTED + "\"" : REDACTED)
                    : m.group();
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** A JSON-like tree (maps, lists, values; e.g. report.json) with credential keys' values and URI passwords redacted. */
    public static Object redactTree(Object node) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k),
                    isSecretKey(String.valueOf(k)) && !(v instanceof Map) && !(v instanceof List) && v != null
                            ? REDACTED : redactTree(v)));
            return out;
        }
        if (node instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(redactTree(v)));
            return out;
        }
        if (node instanceof String s) {
            return redactText(s);
        }
        return node;
    }
}
