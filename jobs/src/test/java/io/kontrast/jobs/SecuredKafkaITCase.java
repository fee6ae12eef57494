package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.client.Encoder;
import io.kontrast.client.SnapshotClient;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.FileReader;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * replay → train → snapshots → embed, export, the snapshot client and kcat, end to end against a SASL_SSL
 * broker (TLS + SCRAM-SHA-512), every command given the broker's client.properties with
 * --kafka-config. A client with a wrong password is refused at once with a message that says
 * so, and no command prints the password.
 */
class SecuredKafkaITCase {
    @TempDir
    static Path tmp;

    static EmbeddedKafka kafka;
    static Path config;
    static String password;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.startSecured(0, tmp.resolve("kafka"));
        config = kafka.security().clientPropertiesFile();
        password = Files.readString(tmp.resolve("kafka").resolve("security.password")).trim();
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    static String run(int expectedExit, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = KontrastCli.run(args, new PrintStream(out, true), new PrintStream(out, true));
        assertThat(exit).as(out.toString()).isEqualTo(expectedExit);
        assertThat(out.toString()).as("no command prints the password").doesNotContain(password);
        return out.toString();
    }

    @Test
    void everyCommandWorksOverSaslSslWithTheWrittenClientSettings() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        // Without its topic, replay says so at once.
        assertThat(run(2, "replay", "--bootstrap", bootstrap, "--kafka-config", config.toString(), "--dataset", "synthetic",
                "--limit", "10")).contains("cannot write to topic samples");
        EmbeddedKafka.createTopics(kafka.clientProperties(), EmbeddedKafka.kontrastTopics("samples", "samples.dlq", "encoder-snapshots"));
        run(0, "replay", "--bootstrap", bootstrap, "--kafka-config", config.toString(), "--dataset", "synthetic",
                "--limit", "1000", "--epochs", "3");
        String train = run(0, "train", "--bootstrap", bootstrap, "--kafka-config", config.toString(),
                "--checkpoint-dir", tmp.resolve("ckpt").toString(), "--checkpoint-interval", "1s",
                "--batch-size", "64", "--queue-size", "1024", "--snapshot-every", "10", "--max-samples", Integer.toString(64 * 30));
        assertThat(train).contains("Training ended: FINISHED, samples=1920");

        Properties client = new Properties();
        try (FileReader r = new FileReader(config.toFile())) {
            client.load(r);
        }
        client.setProperty("bootstrap.servers", bootstrap);
        List<EncoderSnapshot> snapshots = SnapshotTopicReader.readAll(client, "encoder-snapshots", Duration.ofSeconds(30));
        assertThat(snapshots).extracting(EncoderSnapshot::getVersion).containsExactly(1L, 2L, 3L);
        Encoder newest;
        try (SnapshotClient c = SnapshotClient.start(client, "encoder-snapshots", null)) {
            assertThat(c.awaitEncoder(Duration.ofSeconds(60))).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (c.encoder().version() < 3 && System.nanoTime() < deadline) Thread.sleep(100);
            newest = c.encoder();
            assertThat(newest.version()).as("the client caught up with the newest version").isEqualTo(3L);
        }
        // embed, over the same settings: embeddings of the committed snapshots, read_committed.
        run(0, "embed", "--bootstrap", bootstrap, "--kafka-config", config.toString(), "--max-samples", "300",
                "--checkpoint-dir", tmp.resolve("ckpt-embed").toString(), "--checkpoint-interval", "1s");
        Properties reader = new Properties();
        reader.putAll(client);
        reader.put("group.id", "check-embeddings");
        reader.put("auto.offset.reset", "earliest");
        reader.put("isolation.level", "read_committed");
        reader.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        reader.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        int embedded = 0;
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(reader)) {
            consumer.subscribe(List.of("embeddings"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (embedded < 300 && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    // The snapshot stream is read from its start: early samples may get an older version.
                    assertThat(io.kontrast.schemas.Embedding.getDecoder().decode(r.value()).getSnapshotVersion()).isBetween(1L, 3L);
                    embedded++;
                }
            }
        }
        assertThat(embedded).isGreaterThanOrEqualTo(300);

        // kcat (librdkafka), an outside client, reads the committed snapshots with kcat.conf.
        Process kcat = new ProcessBuilder("kcat", "-F", kafka.security().kcatConfigFile().toString(), "-b", bootstrap,
                "-C", "-t", "encoder-snapshots", "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_committed",
                "-f", "%o %S\\n").redirectErrorStream(true).start();
        String listing = new String(kcat.getInputStream().readAllBytes());
        assertThat(kcat.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(listing.lines().filter(l -> l.matches("\\d+ \\d+")).count()).as(listing).isEqualTo(3);

        // The Python consumer, another outside client, reads the newest snapshot straight from the
        // topic with the same librdkafka settings, and embeds as the Java client does.
        float[] image = io.kontrast.data.SyntheticShapes.generate(1, 3, "x").image(0);
        java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(image.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : image) img.putFloat(v);
        Files.write(tmp.resolve("one-image.f32"), img.array());
        Path root = Path.of(System.getProperty("kontrast.root"));
        Process py = new ProcessBuilder(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3",
                root.resolve("clients/python/kontrast_snapshot.py").toString(),
                "--schemas", root.resolve("schemas/src/main/avro/io/kontrast/schemas").toString(),
                "--bootstrap", bootstrap, "--kafka-config", kafka.security().kcatConfigFile().toString(),
                "--images", tmp.resolve("one-image.f32").toString(), "--out", tmp.resolve("python.f32").toString())
                .redirectErrorStream(true).start();
        String pyOut = new String(py.getInputStream().readAllBytes());
        assertThat(py.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(py.exitValue()).as(pyOut).isZero();
        assertThat(pyOut).contains("\"version\": 3").doesNotContain(password);
        java.nio.FloatBuffer fromPython = java.nio.ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("python.f32")))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] fromJava = newest.embed(image);
        assertThat(fromPython.remaining()).isEqualTo(fromJava.length);
        for (int i = 0; i < fromJava.length; i++) {
            assertThat((double) fromPython.get(i)).as("embedding[%d]", i)
                    .isCloseTo(fromJava[i], org.assertj.core.data.Offset.offset(1e-3 * Math.max(1, Math.abs(fromJava[i]))));
        }

        Path onnx = tmp.resolve("model.onnx");
        run(0, "export", "--bootstrap", bootstrap, "--kafka-config", config.toString(), "--out", onnx.toString());
        assertThat(Files.size(onnx)).isPositive();

        // A wrong password: refused at once, and said so.
        Path wrong = tmp.resolve("wrong.properties");
        Files.writeString(wrong, Files.readString(config).replace(password, "not-the-password"));
        String refused = run(2, "train", "--bootstrap", bootstrap, "--kafka-config", wrong.toString(),
                "--checkpoint-dir", tmp.resolve("ckpt-wrong").toString(), "--max-samples", "640");
        assertThat(refused).contains("cannot reach Kafka", "Authentication failed");
        // A missing file: the option is named.
        String missing = run(2, "train", "--bootstrap", bootstrap, "--kafka-config", tmp.resolve("nope.properties").toString(),
                "--checkpoint-dir", tmp.resolve("ckpt-missing").toString());
        assertThat(missing).contains("kontrast.kafka.config-file (--kafka-config): cannot read");
    }

    /**
     * A train process as users run it (the product's logging), with the password in the
     * --kafka-config file and a jaas.config given with -D as well: neither its log, nor the
     * configuration views of Flink's REST API, nor its checkpoints contain the password.
     */
    @Test
    void thePasswordIsInNoLogNoConfigurationViewAndNoCheckpoint() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        // Topics of its own, so that the other test's versions stay 1..3 whichever runs first.
        EmbeddedKafka.createTopics(kafka.clientProperties(), EmbeddedKafka.kontrastTopics("secret-samples", "secret.dlq", "secret-snapshots"));
        run(0, "replay", "--bootstrap", bootstrap, "--kafka-config", config.toString(), "--dataset", "synthetic", "--limit", "1000",
                "--topic", "secret-samples");
        int restPort = EmbeddedKafka.freePort();
        Path log = tmp.resolve("secret-train.log");
        Path checkpoints = tmp.resolve("ckpt-secret");
        Process train = FailoverITCase.start(List.of("train", "--bootstrap", bootstrap, "--kafka-config", config.toString(),
                "--checkpoint-dir", checkpoints.toString(), "--checkpoint-interval", "1s", "--batch-size", "64", "--snapshot-every", "5",
                "--queue-size", "1024", "--model-id", "secret", "-D", "kontrast.kafka.group-id=secret",
                "--topic", "secret-samples", "--dlq-topic", "secret.dlq", "--snapshot-topic", "secret-snapshots",
                "-D", "rest.port=" + restPort,
                "-D", "kontrast.kafka.properties.sasl.jaas.config=" + BrokerSecurityAccess.jaas(password)), log);
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            String jobs = "";
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!jobs.contains("RUNNING") && System.nanoTime() < deadline) {
                Thread.sleep(500);
                try {
                    jobs = get(http, restPort, "/jobs/overview");
                } catch (java.io.IOException notYet) {
                    // the REST endpoint is still starting
                }
            }
            assertThat(jobs).as(Files.readString(log)).contains("RUNNING");
            String jobId = jobs.replaceAll("(?s).*\"jid\":\"([0-9a-f]+)\".*", "$1");
            // Wait for a few checkpoints, so that there is something to search.
            while (FailoverITCase.committedWith(client(bootstrap), "secret-snapshots").isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            assertThat(FailoverITCase.committedWith(client(bootstrap), "secret-snapshots")).as("a snapshot was committed").isNotEmpty();
            for (String path : List.of("/jobmanager/config", "/jobs/" + jobId + "/config", "/jobs/" + jobId + "/jobmanager/config")) {
                String body = get(http, restPort, path);
                assertThat(body).as(path).isNotEmpty().doesNotContain(password);
            }
            assertThat(get(http, restPort, "/jobs/" + jobId + "/jobmanager/config")).contains("kontrast.kafka.config-file");
        } finally {
            train.destroy();
            train.waitFor();
        }
        assertThat(Files.readString(log)).as("the log").contains("Job ").doesNotContain(password);
        try (var files = Files.walk(checkpoints)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .as(f.toString()).doesNotContain(password);
            }
        }
    }

    /**
     * The Kubernetes client settings (the kontrast-kafka-client ConfigMap) work as they are: with
     * the mount paths pointed at a directory holding the user's JAAS line as a file (as Strimzi's
     * Secret is mounted) and at the CA, Kafka's DirectoryConfigProvider fills in the credentials,
     * and replay writes to the secured broker with them.
     */
    @Test
    void theManifestsClientSettingsTakeTheirSecretsFromMountedFiles() throws Exception {
        Path user = Files.createDirectories(tmp.resolve("mounted/kafka-user"));
        Path ca = Files.createDirectories(tmp.resolve("mounted/kafka-ca"));
        Files.writeString(user.resolve("sasl.jaas.config"), BrokerSecurityAccess.jaas(password));
        Files.copy(tmp.resolve("kafka").resolve("ca.pem"), ca.resolve("ca.crt"));
        Properties settings = K8sManifestsTest.clientSettings();
        Properties local = new Properties();
        for (String key : settings.stringPropertyNames()) {
            local.setProperty(key, settings.getProperty(key).replace("/etc/kontrast/kafka-user", user.toString())
                    .replace("/etc/kontrast/kafka-ca", ca.toString()));
        }
        assertThat(local.toString()).doesNotContain(password);
        Path file = tmp.resolve("mounted/client.properties");
        try (var out = Files.newBufferedWriter(file)) {
            local.store(out, null);
        }
        EmbeddedKafka.createTopics(kafka.clientProperties(), EmbeddedKafka.kontrastTopics("mounted-samples", "mounted.dlq", "mounted-snapshots"));
        String out = run(0, "replay", "--bootstrap", kafka.bootstrapServers(), "--kafka-config", file.toString(), "--dataset", "synthetic",
                "--limit", "300", "--topic", "mounted-samples");
        assertThat(out).contains("Sent 300");
        // A wrong JAAS line in the mounted file is refused.
        Files.writeString(user.resolve("sasl.jaas.config"), BrokerSecurityAccess.jaas(password + "x"));
        assertThat(run(2, "replay", "--bootstrap", kafka.bootstrapServers(), "--kafka-config", file.toString(), "--dataset", "synthetic",
                "--limit", "10", "--topic", "mounted-samples")).containsIgnoringCase("auth");
    }

    static String get(java.net.http.HttpClient http, int port, String path) throws Exception {
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    static Properties client(String bootstrap) throws Exception {
        Properties client = new Properties();
        try (FileReader r = new FileReader(config.toFile())) {
            client.load(r);
        }
        client.setProperty("bootstrap.servers", bootstrap);
        return client;
    }

    /** The JAAS line of the broker's user. */
    static final class BrokerSecurityAccess {
        static String jaas(String password) {
            return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"kontrast\" password=\"" + password + "\";";
        }
    }
}
