package dev.pretext.deploy;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests in deploy/k8s against the JSON Schema of the Spark operator's fields
 * (deploy/k8s/schema, written from the operator's API reference), checked offline with our own
 * validator: each manifest is valid, misspelled or misplaced keys planted in copies of them fail
 * with a message naming the key, and what Pretext needs of them holds (Forbid and history limits
 * for the nightly schedule, the GPU variant's nvidia.com/gpu and memory-backed /dev/shm, non-root
 * security contexts, the jar path and image targets of deploy/docker/Dockerfile).
 */
class K8sManifestsTest {
    private static final Path ROOT = Path.of("..");
    private static final Path K8S = ROOT.resolve("deploy/k8s");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SchemaValidator validator() throws IOException {
        return new SchemaValidator(JSON.readTree(K8S.resolve("schema/sparkoperator-v1beta2.schema.json").toFile()));
    }

    private static JsonNode manifest(String name) throws IOException {
        return YAML.readTree(K8S.resolve(name).toFile());
    }

    private static List<String> manifests() throws IOException {
        try (Stream<Path> s = Files.list(K8S)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void everyManifestIsValidAgainstTheOperatorSchema() throws IOException {
        List<String> names = manifests();
        assertEquals(List.of("pretext-pipeline-gpu.yaml", "pretext-pipeline.yaml", "pretext-retrain-nightly.yaml"),
                names);
        SchemaValidator v = validator();
        for (String n : names) {
            assertEquals(List.of(), v.validate(manifest(n)), n);
        }
    }

    /** A copy of a manifest with one key renamed (path of parent objects, old key, new key). */
    private static JsonNode rename(JsonNode doc, String parentPointer, String from, String to) {
        JsonNode copy = doc.deepCopy();
        ObjectNode parent = (ObjectNode) copy.at(parentPointer);
        assertTrue(parent.has(from), parentPointer + " has " + from);
        parent.set(to, parent.remove(from));
        return copy;
    }

    @Test
    void misspelledKeysFailWithTheKeyNamed() throws IOException {
        SchemaValidator v = validator();
        JsonNode pipeline = manifest("pretext-pipeline.yaml");
        JsonNode gpu = manifest("pretext-pipeline-gpu.yaml");
        JsonNode nightly = manifest("pretext-retrain-nightly.yaml");
        record Plant(JsonNode doc, String parent, String from, String to) {
        }
        List<Plant> plants = List.of(
                new Plant(pipeline, "/spec", "mainApplicationFile", "mainApplicationfile"),
                new Plant(pipeline, "/spec/executor", "instances", "instance"),
                new Plant(pipeline, "/spec/driver", "memoryOverhead", "memoryOverHead"),
                new Plant(pipeline, "/spec/driver/securityContext", "runAsNonRoot", "runAsNonroot"),
                new Plant(gpu, "/spec/executor/gpu", "quantity", "quantitiy"),
                new Plant(gpu, "/spec/volumes/0/emptyDir", "medium", "meduim"),
                new Plant(gpu, "/spec/executor/volumeMounts/0", "mountPath", "mountpath"),
                new Plant(nightly, "/spec", "concurrencyPolicy", "concurrencypolicy"),
                new Plant(nightly, "/spec", "successfulRunHistoryLimit", "successfulRunsHistoryLimit"),
                new Plant(nightly, "/spec/template/executor", "cores", "core"),
                new Plant(nightly, "/metadata", "namespace", "namepsace"));
        for (Plant p : plants) {
            List<String> errors = v.validate(rename(p.doc(), p.parent(), p.from(), p.to()));
            assertFalse(errors.isEmpty(), "a misspelled key '" + p.to() + "' under " + p.parent() + " passed");
            String all = String.join("\n", errors);
            assertTrue(all.contains("unknown key '" + p.to() + "'"), all);
            assertTrue(all.contains("did you mean '" + p.from() + "'?"), all);
        }
        // a SparkApplication key inside the schedule's spec (not its template) is misplaced
        ObjectNode misplaced = nightly.deepCopy();
        ((ObjectNode) misplaced.get("spec")).put("mainClass", "dev.pretext.cli.Main");
        assertTrue(String.join("\n", v.validate(misplaced)).contains("unknown key 'mainClass'"));
    }

    @Test
    void wrongValuesAndMissingKeysFail() throws IOException {
        SchemaValidator v = validator();
        JsonNode nightly = manifest("pretext-retrain-nightly.yaml");
        ObjectNode bad = nightly.deepCopy();
        ((ObjectNode) bad.get("spec")).put("concurrencyPolicy", "Forbidden");
        assertTrue(String.join("\n", v.validate(bad)).contains("\"Forbidden\" is not one of"));
        ObjectNode noTemplate = nightly.deepCopy();
        ((ObjectNode) noTemplate.get("spec")).remove("template");
        assertTrue(String.join("\n", v.validate(noTemplate)).contains("missing required key 'template'"));
        ObjectNode cores = manifest("pretext-pipeline.yaml").deepCopy();
        ((ObjectNode) cores.at("/spec/executor")).put("cores", "4");
        assertTrue(String.join("\n", v.validate(cores)).contains("/spec/executor/cores: expected \"integer\""));
        ObjectNode spark4 = manifest("pretext-pipeline.yaml").deepCopy();
        ((ObjectNode) spark4.get("spec")).put("sparkVersion", "4.0.0");
        assertTrue(String.join("\n", v.validate(spark4)).contains("does not match"));
    }

    @Test
    void theNightlyScheduleForbidsOverlapAndKeepsHistory() throws IOException {
        JsonNode n = manifest("pretext-retrain-nightly.yaml");
        assertEquals("ScheduledSparkApplication", n.get("kind").asText());
        assertEquals("Forbid", n.at("/spec/concurrencyPolicy").asText());
        assertTrue(n.at("/spec/successfulRunHistoryLimit").asInt() >= 1);
        assertTrue(n.at("/spec/failedRunHistoryLimit").asInt() >= 1);
        assertEquals(5, n.at("/spec/schedule").asText().split(" ").length, "a daily cron line");
        assertEquals("retrain", n.at("/spec/template/arguments/0").asText());
        assertEquals("Never", n.at("/spec/template/restartPolicy/type").asText());
    }

    @Test
    void theGpuVariantAsksForGpusAndAMemoryBackedDevShm() throws IOException {
        JsonNode g = manifest("pretext-pipeline-gpu.yaml");
        assertEquals("nvidia.com/gpu", g.at("/spec/executor/gpu/name").asText());
        assertEquals(1, g.at("/spec/executor/gpu/quantity").asInt());
        String shm = null;
        for (JsonNode vol : g.at("/spec/volumes")) {
            if (vol.at("/emptyDir/medium").asText().equals("Memory")) {
                shm = vol.get("name").asText();
            }
        }
        assertNotNull(shm, "a memory-backed emptyDir");
        boolean mounted = false;
        for (JsonNode m : g.at("/spec/executor/volumeMounts")) {
            mounted |= m.get("name").asText().equals(shm) && m.get("mountPath").asText().equals("/dev/shm");
        }
        assertTrue(mounted, "mounted at /dev/shm on the executors");
        assertTrue(g.at("/spec/image").asText().endsWith("-cuda"), g.at("/spec/image").asText());
        assertTrue(g.at("/spec/arguments").toString().contains("train.trainer=shared"));
    }

    /** The pod specs of a manifest (driver and executor, of the template for a schedule). */
    private static List<JsonNode> pods(JsonNode doc) {
        JsonNode spec = doc.get("kind").asText().equals("ScheduledSparkApplication") ? doc.at("/spec/template")
                : doc.get("spec");
        return List.of(spec.get("driver"), spec.get("executor"));
    }

    @Test
    void everyPodRunsAsNonRootWithoutPrivilegeEscalation() throws IOException {
        for (String n : manifests()) {
            for (JsonNode pod : pods(manifest(n))) {
                assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean(), n);
                assertTrue(pod.at("/podSecurityContext/runAsNonRoot").asBoolean(), n);
                assertTrue(pod.at("/securityContext/runAsUser").asInt() > 0, n);
                assertFalse(pod.at("/securityContext/allowPrivilegeEscalation").asBoolean(true), n);
                assertEquals("ALL", pod.at("/securityContext/capabilities/drop/0").asText(), n);
            }
        }
    }

    @Test
    void manifestsAndDockerfileAgreeOnJarUserAndTargets() throws IOException {
        String docker = Files.readString(ROOT.resolve("deploy/docker/Dockerfile"));
        // the official Spark 3.5 image for Java 17
        Matcher base = Pattern.compile("ARG SPARK_IMAGE=spark:(3\\.5\\.\\d+)-scala2\\.12-java17-ubuntu").matcher(docker);
        assertTrue(base.find(), "base image");
        String sparkVersion = base.group(1);
        List<String> stages = new ArrayList<>();
        Matcher from = Pattern.compile("(?m)^FROM \\S+ AS (\\w+)$").matcher(docker);
        while (from.find()) {
            stages.add(from.group(1));
        }
        assertEquals(List.of("spark", "cpu", "cuda"), stages);
        // each image stage ends as a numeric non-root user, the one the manifests run as
        for (String stage : List.of("cpu", "cuda")) {
            int at = docker.indexOf("AS " + stage + "\n");
            int next = docker.indexOf("\nFROM ", at);
            String body = next < 0 ? docker.substring(at) : docker.substring(at, next);
            Matcher user = Pattern.compile("(?m)^USER (\\S+)$").matcher(body);
            String last = null;
            while (user.find()) {
                last = user.group(1);
            }
            assertEquals("185", last, stage + " must end as USER 185");
            assertTrue(body.contains("/opt/pretext/pretext-jobs-shaded.jar"), stage);
            assertTrue(body.contains("ENTRYPOINT [\"/opt/entrypoint.sh\"]"), stage);
        }
        for (String n : manifests()) {
            JsonNode doc = manifest(n);
            JsonNode spec = doc.get("kind").asText().equals("ScheduledSparkApplication") ? doc.at("/spec/template")
                    : doc.get("spec");
            assertEquals("local:///opt/pretext/pretext-jobs-shaded.jar", spec.get("mainApplicationFile").asText(), n);
            assertEquals("dev.pretext.cli.Main", spec.get("mainClass").asText(), n);
            assertEquals(sparkVersion, spec.get("sparkVersion").asText(), n + ": the image's Spark version");
            String image = spec.get("image").asText();
            assertTrue(stages.contains(image.substring(image.lastIndexOf('-') + 1)), n + ": " + image);
            for (JsonNode pod : pods(doc)) {
                assertEquals(185, pod.at("/securityContext/runAsUser").asInt(), n);
            }
            // the conf files the arguments name are in the image (conf/ is copied to /opt/pretext/conf)
            for (JsonNode arg : spec.get("arguments")) {
                String a = arg.asText();
                if (a.startsWith("/opt/pretext/conf/")) {
                    assertTrue(Files.exists(ROOT.resolve("conf").resolve(a.substring("/opt/pretext/conf/".length()))), a);
                }
            }
        }
    }
}
