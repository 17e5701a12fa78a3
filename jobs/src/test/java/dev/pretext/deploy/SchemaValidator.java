package dev.pretext.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A small JSON Schema validator of our own for the Kubernetes manifests in {@code deploy/k8s}: the
 * subset of draft 2020-12 that {@code deploy/k8s/schema/*.schema.json} uses, and nothing more.
 * Keywords: {@code type} (one or a list), {@code properties}, {@code additionalProperties} (false or
 * a schema), {@code required}, {@code enum}, {@code const}, {@code pattern}, {@code items},
 * {@code minItems}, {@code minimum}, {@code maximum}, {@code minProperties}, {@code $ref}
 * ({@code #/$defs/NAME}), {@code anyOf}; annotations ({@code description}, {@code title},
 * {@code $comment}, {@code $schema}, {@code $id}, {@code $defs}) are skipped. A schema keyword it
 * does not know is an error, so that the schema cannot rely on a rule that is silently not checked.
 * Errors name the JSON pointer of the offending value.
 */
public final class SchemaValidator {
    private static final Set<String> ANNOTATIONS = Set.of("description", "title", "$comment", "$schema", "$id",
            "$defs", "examples");
    private static final Set<String> KEYWORDS = Set.of("type", "properties", "additionalProperties", "required",
            "enum", "const", "pattern", "items", "minItems", "minimum", "maximum", "minProperties", "$ref", "anyOf");

    private final JsonNode root;

    public SchemaValidator(JsonNode root) {
        this.root = root;
    }

    /** Every violation of the schema by {@code doc}; empty when it is valid. */
    public List<String> validate(JsonNode doc) {
        List<String> errors = new ArrayList<>();
        check(root, doc, "", errors);
        return errors;
    }

    private void check(JsonNode schema, JsonNode value, String at, List<String> errors) {
        if (schema.isBoolean()) {
            if (!schema.asBoolean()) {
                errors.add(where(at) + ": not allowed here");
            }
            return;
        }
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYWORDS.contains(k) && !ANNOTATIONS.contains(k)) {
                throw new IllegalArgumentException("schema keyword '" + k + "' is not supported (at " + where(at) + ")");
            }
        }
        if (schema.has("$ref")) {
            check(resolve(schema.get("$ref").asText()), value, at, errors);
        }
        if (schema.has("anyOf")) {
            boolean any = false;
            List<String> all = new ArrayList<>();
            for (JsonNode alt : schema.get("anyOf")) {
                List<String> e = new ArrayList<>();
                check(alt, value, at, e);
                if (e.isEmpty()) {
                    any = true;
                    break;
                }
                all.addAll(e);
            }
            if (!any) {
                errors.add(where(at) + ": matches none of the allowed forms (" + String.join("; ", all) + ")");
            }
        }
        if (schema.has("type") && !typeMatches(schema.get("type"), value)) {
            errors.add(where(at) + ": expected " + schema.get("type") + ", got " + kind(value) + " " + value);
            return;
        }
        if (schema.has("const") && !schema.get("const").equals(value)) {
            errors.add(where(at) + ": must be " + schema.get("const") + ", got " + value);
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode e : schema.get("enum")) {
                found |= e.equals(value);
            }
            if (!found) {
                errors.add(where(at) + ": " + value + " is not one of " + schema.get("enum"));
            }
        }
        if (schema.has("pattern") && value.isTextual()
                && !Pattern.compile(schema.get("pattern").asText()).matcher(value.asText()).find()) {
            errors.add(where(at) + ": '" + value.asText() + "' does not match " + schema.get("pattern").asText());
        }
        if (value.isNumber()) {
            if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
                errors.add(where(at) + ": " + value + " is below the minimum " + schema.get("minimum"));
            }
            if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
                errors.add(where(at) + ": " + value + " is above the maximum " + schema.get("maximum"));
            }
        }
        if (value.isArray()) {
            if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
                errors.add(where(at) + ": needs at least " + schema.get("minItems") + " item(s)");
            }
            if (schema.has("items")) {
                for (int i = 0; i < value.size(); i++) {
                    check(schema.get("items"), value.get(i), at + "/" + i, errors);
                }
            }
        }
        if (value.isObject()) {
            checkObject(schema, value, at, errors);
        }
    }

    private void checkObject(JsonNode schema, JsonNode value, String at, List<String> errors) {
        if (schema.has("required")) {
            for (JsonNode r : schema.get("required")) {
                if (!value.has(r.asText())) {
                    errors.add(where(at) + ": missing required key '" + r.asText() + "'");
                }
            }
        }
        if (schema.has("minProperties") && value.size() < schema.get("minProperties").asInt()) {
            errors.add(where(at) + ": needs at least " + schema.get("minProperties") + " key(s)");
        }
        JsonNode props = schema.path("properties");
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String child = at + "/" + f.getKey().replace("~", "~0").replace("/", "~1");
            if (props.has(f.getKey())) {
                check(props.get(f.getKey()), f.getValue(), child, errors);
            } else if (schema.has("additionalProperties")) {
                JsonNode extra = schema.get("additionalProperties");
                if (extra.isBoolean() && !extra.asBoolean()) {
                    errors.add(where(at) + ": unknown key '" + f.getKey() + "'" + suggestion(f.getKey(), props));
                } else {
                    check(extra, f.getValue(), child, errors);
                }
            }
        }
    }

    /** "did you mean" for a misspelled key: the known key with the smallest edit distance, if close. */
    private static String suggestion(String key, JsonNode props) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (Iterator<String> it = props.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            int d = distance(key.toLowerCase(), k.toLowerCase());
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best != null && bestD <= Math.max(2, key.length() / 4) ? " (did you mean '" + best + "'?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private JsonNode resolve(String ref) {
        if (!ref.startsWith("#/")) {
            throw new IllegalArgumentException("only local references (#/...) are supported: " + ref);
        }
        JsonNode n = root.at(ref.substring(1));
        if (n.isMissingNode()) {
            throw new IllegalArgumentException("reference " + ref + " does not resolve");
        }
        return n;
    }

    private static boolean typeMatches(JsonNode type, JsonNode value) {
        if (type.isArray()) {
            for (JsonNode t : type) {
                if (typeMatches(t, value)) {
                    return true;
                }
            }
            return false;
        }
        return switch (type.asText()) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "boolean" -> value.isBoolean();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "null" -> value.isNull();
            default -> throw new IllegalArgumentException("unknown type " + type);
        };
    }

    private static String kind(JsonNode v) {
        return v.isObject() ? "object" : v.isArray() ? "array" : v.isTextual() ? "string" : v.isBoolean() ? "boolean"
                : v.isIntegralNumber() ? "integer" : v.isNumber() ? "number" : "null";
    }

    private static String where(String at) {
        return at.isEmpty() ? "/" : at;
    }
}
