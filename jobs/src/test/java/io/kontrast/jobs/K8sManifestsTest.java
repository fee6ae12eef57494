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
                    // Every listener is TLS with SCRAM users, and ACLs apply.
                    JsonNode listeners = d.path("spec").path("kafka").path("listeners");
                    assertThat(listeners.size()).isPositive();
                    for (JsonNode l : listeners) {
                        assertThat(l.path("tls").asBoolean()).as("listener %s uses TLS", l.path("name")).isTrue();
                        assertThat(l.path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
                    }
                    assertThat(d.path("spec").path("kafka").path("authorization").path("type").asText()).isEqualTo("simple");
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

    /** The client settings of the kontrast-kafka-client ConfigMap. */
    static java.util.Properties clientSettings() throws Exception {
        for (JsonNode d : documents("kafka-users.yaml")) {
            if (d.path("kind").asText().equals("ConfigMap")) {
                java.util.Properties p = new java.util.Properties();
                p.load(new java.io.StringReader(d.path("data").path("client.properties").asText()));
                return p;
            }
        }
        throw new AssertionError("no ConfigMap in kafka-users.yaml");
    }

    /** A user's ACLs as "type:name:patternType:operation" strings. */
    static Set<String> acls(JsonNode user) {
        Set<String> out = new HashSet<>();
        for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
            JsonNode r = acl.path("resource");
            for (JsonNode op : acl.path("operations")) {
                out.add(r.path("type").asText() + ":" + r.path("name").asText() + ":" + r.path("patternType").asText("literal")
                        + ":" + op.asText());
            }
        }
        return out;
    }

    /** Whether {@code acls} grant {@code op} on a resource of this type and name (literal or by prefix). */
    static boolean grants(Set<String> acls, String type, String name, String op) {
        for (String a : acls) {
            String[] p = a.split(":", 4);
            if (p[0].equals(type) && p[3].equals(op)
                    && (p[2].equals("literal") ? p[1].equals(name) : name.startsWith(p[1]))) return true;
        }
        return false;
    }

    @Test
    void kafkaUsersHoldTheAclsTheJobsNeed() throws Exception {
        java.util.Map<String, Set<String>> users = new java.util.HashMap<>();
        for (JsonNode d : documents("kafka-users.yaml")) {
            if (!d.path("kind").asText().equals("KafkaUser")) continue;
            assertThat(d.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1beta2");
            assertThat(d.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo("kontrast");
            assertThat(d.path("spec").path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
            users.put(d.path("metadata").path("name").asText(), acls(d));
        }
        assertThat(users).containsKeys("kontrast-trainer", "kontrast-embed", "kontrast-consumer");
        String samples = KontrastOptions.SAMPLES_TOPIC.defaultValue();
        String snapshots = KontrastOptions.SNAPSHOTS_TOPIC.defaultValue();
        String dlq = KontrastOptions.DLQ_TOPIC.defaultValue();
        Set<String> trainer = users.get("kontrast-trainer");
        assertThat(grants(trainer, "topic", samples, "Read")).isTrue();
        assertThat(grants(trainer, "group", KontrastOptions.GROUP_ID.defaultValue(), "Read")).isTrue();
        assertThat(grants(trainer, "topic", snapshots, "Write")).isTrue();
        assertThat(grants(trainer, "topic", dlq, "Write")).isTrue();
        String model = KontrastOptions.MODEL_ID.defaultValue();
        assertThat(grants(trainer, "transactionalId", "kontrast-" + model, "Write")).isTrue();
        assertThat(grants(trainer, "transactionalId", TrainJob.deadLetterTransactionalIdPrefix(model), "Write")).isTrue();
        assertThat(grants(trainer, "topic", "embeddings", "Read")).as("the trainer reads only its samples").isFalse();
        Set<String> embed = users.get("kontrast-embed");
        assertThat(grants(embed, "topic", samples, "Read")).isTrue();
        assertThat(grants(embed, "topic", snapshots, "Read")).isTrue();
        assertThat(grants(embed, "group", "kontrast-embed", "Read")).isTrue();
        assertThat(grants(embed, "group", "kontrast-embed-snapshots", "Read")).isTrue();
        assertThat(grants(embed, "topic", "embeddings", "Write")).isTrue();
        assertThat(grants(embed, "transactionalId", "kontrast-embed-kontrast-embed", "Write")).isTrue();
        Set<String> consumer = users.get("kontrast-consumer");
        assertThat(grants(consumer, "topic", snapshots, "Read")).isTrue();
        assertThat(grants(consumer, "topic", snapshots, "Write")).isFalse();
        assertThat(grants(consumer, "topic", samples, "Read")).isFalse();
    }

    /**
     * Each job mounts, in both of its pods, the client settings at the path it reads them from, the
     * Secret of a Kafka user where the settings' DirectoryConfigProvider looks for the JAAS line,
     * and the cluster CA where the settings' truststore is.
     */
    @Test
    void jobsMountTheClientSettingsTheirUsersSecretAndTheCa() throws Exception {
        java.util.Properties client = clientSettings();
        assertThat(client.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(client.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
        assertThat(client.getProperty("config.providers.directory.class"))
                .isEqualTo("org.apache.kafka.common.config.provider.DirectoryConfigProvider");
        var jaas = java.util.regex.Pattern.compile("\\$\\{directory:(/[^:]+):sasl\\.jaas\\.config}").matcher(client.getProperty("sasl.jaas.config"));
        assertThat(jaas.matches()).as(client.getProperty("sasl.jaas.config")).isTrue();
        String userDir = jaas.group(1);
        Path truststore = Path.of(client.getProperty("ssl.truststore.location"));
        for (String[] job : new String[][] {{"flink-train.yaml", "kontrast-trainer"}, {"flink-embed.yaml", "kontrast-embed"}}) {
            JsonNode spec = documents(job[0]).get(0).path("spec");
            String configFile = job[0].contains("train") ? spec.path("flinkConfiguration").path("kontrast.kafka.config-file").asText()
                    : spec.path("job").path("args").toString().replaceAll(".*\"--kafka-config\",\"([^\"]+)\".*", "$1");
            assertThat(spec.path("flinkConfiguration").path("kontrast.kafka.bootstrap").asText()).endsWith(":9093");
            java.util.Map<String, String> mounts = new java.util.HashMap<>();
            JsonNode pod = spec.path("podTemplate").path("spec");
            for (JsonNode m : pod.path("containers").get(0).path("volumeMounts")) {
                mounts.put(m.path("mountPath").asText(), m.path("name").asText());
            }
            java.util.Map<String, JsonNode> volumes = new java.util.HashMap<>();
            for (JsonNode v : pod.path("volumes")) volumes.put(v.path("name").asText(), v);
            JsonNode settings = volumes.get(mounts.get(Path.of(configFile).getParent().toString()));
            assertThat(settings).as("%s: the volume at %s", job[0], configFile).isNotNull();
            assertThat(settings.path("configMap").path("name").asText()).isEqualTo("kontrast-kafka-client");
            assertThat(Path.of(configFile).getFileName().toString()).isEqualTo("client.properties");
            JsonNode user = volumes.get(mounts.get(userDir));
            assertThat(user).as("%s: the volume at %s", job[0], userDir).isNotNull();
            assertThat(user.path("secret").path("secretName").asText()).isEqualTo(job[1]);
            JsonNode ca = volumes.get(mounts.get(truststore.getParent().toString()));
            assertThat(ca).as("%s: the volume at %s", job[0], truststore.getParent()).isNotNull();
            assertThat(ca.path("secret").path("secretName").asText()).isEqualTo("kontrast-cluster-ca-cert");
            assertThat(ca.path("secret").path("items").toString()).contains("\"ca.crt\"");
        }
    }

    /** Nothing secret in any manifest: no password, no JAAS line, no Secret with data. */
    @Test
    void noManifestHoldsASecret() throws Exception {
        List<Path> files;
        try (var walk = Files.walk(K8S)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            String text = Files.readString(f);
            assertThat(text).as(f.toString()).doesNotContainPattern("(?i)password\\s*[=:]\\s*[^\\s$]")
                    .doesNotContain("LoginModule").doesNotContainPattern("(?i)BEGIN [A-Z ]*PRIVATE KEY");
            if (f.toString().endsWith(".yaml")) {
                for (JsonNode d : documents(K8S.relativize(f).toString())) {
                    if (d.path("kind").asText().equals("Secret")) {
                        assertThat(d.has("data") || d.has("stringData")).as("%s: a Secret with data", f).isFalse();
                    }
                }
            }
        }
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
