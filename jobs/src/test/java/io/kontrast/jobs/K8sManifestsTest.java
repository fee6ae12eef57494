package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.kontrast.operators.KontrastOptions;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

/**
 * Nothing can apply the manifests here, so this checks what would break a deployment: API
 * versions, image and jar paths that match the build, state backend and HA settings, GPU limits,
 * topic settings, and that the job arguments and kontrast options are ones the CLI accepts.
 */
class K8sManifestsTest {
    static final Path K8S = Path.of(System.getProperty("kontrast.root")).resolve("k8s");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static List<JsonNode> documents(String file) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser p = new YAMLFactory().createParser(K8S.resolve(file).toFile())) {
            var it = YAML.readValues(p, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isEmpty()) docs.add(n);
            }
        }
        return docs;
    }

    static Set<String> kontrastKeys() throws Exception {
        Set<String> keys = new HashSet<>();
        for (Field f : KontrastOptions.class.getFields()) {
            keys.add(((ConfigOption<?>) f.get(null)).key());
        }
        return keys;
    }

    static void assertFlinkDeployment(JsonNode d, String command) throws Exception {
        assertThat(d.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
        assertThat(d.path("kind").asText()).isEqualTo("FlinkDeployment");
        JsonNode spec = d.path("spec");
        assertThat(spec.path("flinkVersion").asText()).isEqualTo("v2_2");
        assertThat(spec.path("image").asText()).startsWith("kontrast:0.1.0");
        JsonNode conf = spec.path("flinkConfiguration");
        assertThat(conf.path("state.backend.type").asText()).isEqualTo("rocksdb");
        assertThat(conf.path("execution.checkpointing.incremental").asText()).isEqualTo("true");
        assertThat(conf.path("high-availability.type").asText()).isEqualTo("kubernetes");
        assertThat(conf.path("classloader.parent-first-patterns.additional").asText()).contains("org.nd4j.", "org.bytedeco.");
        assertThat(conf.path("metrics.reporter.prom.factory.class").asText())
                .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        Set<String> known = kontrastKeys();
        conf.fieldNames().forEachRemaining(k -> {
            if (k.startsWith("kontrast.")) assertThat(known).as("option %s", k).contains(k);
        });
        JsonNode job = spec.path("job");
        assertThat(job.path("jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/kontrast.jar");
        assertThat(job.path("entryClass").asText()).isEqualTo(KontrastCli.class.getName());
        assertThat(job.path("upgradeMode").asText()).isIn("last-state", "savepoint");
        List<String> args = new ArrayList<>();
        job.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args.get(0)).isEqualTo(command);
        var parsed = (command.equals("train") ? TrainCommand.args() : EmbedCommand.args())
                .parse(args.subList(1, args.size()).toArray(String[]::new));
        assertThat(parsed.help()).isFalse();
        boolean env = false;
        boolean blas = false;
        for (JsonNode c : spec.path("taskManager").path("podTemplate").path("spec").path("containers")) {
            assertThat(c.path("name").asText()).isEqualTo("flink-main-container");
            for (JsonNode e : c.path("env")) {
                env |= e.path("name").asText().equals("OMP_WAIT_POLICY") && e.path("value").asText().equals("PASSIVE");
                blas |= e.path("name").asText().equals("OPENBLAS_THREAD_TIMEOUT") && e.path("value").asText().equals("4");
            }
        }
        assertThat(env).as("OMP_WAIT_POLICY=PASSIVE on the TaskManager").isTrue();
        assertThat(blas).as("OPENBLAS_THREAD_TIMEOUT=4 on the TaskManager").isTrue();
    }

    @Test
    void trainingDeploymentRunsOnAGpuTaskManager() throws Exception {
        List<JsonNode> docs = documents("flink-train.yaml");
        assertThat(docs).hasSize(1);
        JsonNode d = docs.get(0);
        assertFlinkDeployment(d, "train");
        assertThat(d.path("spec").path("image").asText()).endsWith("-cuda");
        assertThat(d.path("spec").path("job").path("upgradeMode").asText()).isEqualTo("last-state");
        JsonNode limits = d.path("spec").path("taskManager").path("podTemplate").path("spec")
                .path("containers").get(0).path("resources").path("limits");
        assertThat(limits.path("nvidia.com/gpu").asInt()).isEqualTo(1);
    }

    @Test
    void embeddingDeploymentIsValid() throws Exception {
        List<JsonNode> docs = documents("flink-embed.yaml");
        assertThat(docs).hasSize(1);
        assertFlinkDeployment(docs.get(0), "embed");
    }

    @Test
    void kafkaResourcesCarryTheTopicSettingsSnapshotsNeed() throws Exception {
        List<JsonNode> docs = documents("kafka.yaml");
        Set<String> topics = new HashSet<>();
        boolean kafka = false;
        for (JsonNode d : docs) {
            assertThat(d.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1beta2");
            switch (d.path("kind").asText()) {
                case "Kafka" -> {
                    kafka = true;
                    JsonNode c = d.path("spec").path("kafka").path("config");
                    assertThat(c.path("message.max.bytes").asLong()).isGreaterThanOrEqualTo(TrainJob.MAX_SNAPSHOT_BYTES);
                    assertThat(c.path("transaction.max.timeout.ms").asLong()).isGreaterThan(600_000);
                    assertThat(d.path("metadata").path("annotations").path("strimzi.io/kraft").asText()).isEqualTo("enabled");
                }
                case "KafkaNodePool" -> assertThat(d.path("spec").path("roles").toString()).contains("broker", "controller");
                case "KafkaTopic" -> {
                    String name = d.path("metadata").path("name").asText();
                    topics.add(name);
                    assertThat(d.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo("kontrast");
                    if (name.equals(KontrastOptions.SNAPSHOTS_TOPIC.defaultValue())) {
                        assertThat(d.path("spec").path("config").path("max.message.bytes").asLong())
                                .isGreaterThanOrEqualTo(TrainJob.MAX_SNAPSHOT_BYTES);
                    }
                }
                default -> throw new AssertionError("unexpected kind " + d.path("kind"));
            }
        }
        assertThat(kafka).isTrue();
        assertThat(topics).contains(KontrastOptions.SAMPLES_TOPIC.defaultValue(), KontrastOptions.DLQ_TOPIC.defaultValue(),
                KontrastOptions.SNAPSHOTS_TOPIC.defaultValue(), "embeddings");
    }

    @Test
    void dockerfilePutsTheJarWhereTheDeploymentsLookForIt() throws Exception {
        String docker = Files.readString(K8S.resolve("Dockerfile"));
        assertThat(docker).contains("COPY --from=build --chown=flink:flink /src/jobs/target/kontrast.jar /opt/flink/usrlib/kontrast.jar");
        assertThat(docker).contains("ARG FLINK_IMAGE=flink:2.2.1").contains("java17");
        assertThat(docker).contains("ENV OMP_WAIT_POLICY=PASSIVE").contains("ENV OPENBLAS_THREAD_TIMEOUT=4")
                .contains("ENV JDK_JAVA_OPTIONS=\"--add-modules=jdk.incubator.vector -XX:+UseTransparentHugePages\"");
        for (String module : List.of("schemas", "client", "operators", "jobs")) {
            assertThat(docker).contains("COPY " + module + " " + module);
        }
    }
}
