package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.data.Samples;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.operators.publish.SnapshotCodec;
import io.kontrast.schemas.DeadLetter;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The whole training job against a real broker: replay the synthetic dataset with some garbage
 * mixed in, run {@code kontrast train} to a sample budget, and read what it published.
 */
class TrainJobITCase extends WithKafka {
    static final int BATCH = 64;
    static final int STEPS = 300;

    @Test
    void trainPublishesCommittedSnapshotsWithIncreasingVersionsAndFallingLoss() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        EmbeddedKafka.createTopics(bootstrap, EmbeddedKafka.kontrastTopics("samples", "samples.dlq", "encoder-snapshots"));
        var images = SyntheticShapes.generate(2000, 11, "synthetic/train");
        List<byte[]> garbage = List.of("not avro".getBytes(), new byte[] {(byte) 0xC3, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9}, new byte[0]);
        long samples = (long) BATCH * STEPS;
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
            int epochs = (int) (samples / images.size()) + 1;
            int n = 0;
            for (int e = 0; e < epochs; e++) {
                for (int i = 0; i < images.size(); i++) {
                    String id = "syn/" + i + "/e" + e;
                    p.send(new ProducerRecord<>("samples", id.getBytes(), Samples.encode(Samples.sample(images, i, id, true))));
                    if (++n % 5000 == 1 && n / 5000 < garbage.size()) {
                        p.send(new ProducerRecord<>("samples", "bad".getBytes(), garbage.get(n / 5000)));
                    }
                }
            }
        }

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int exit = KontrastCli.run(new String[] {
                "train", "--bootstrap", bootstrap,
                "--checkpoint-dir", tmp.resolve("checkpoints").toString(),
                "--checkpoint-interval", "2s",
                "--batch-size", Integer.toString(BATCH), "--queue-size", "1024",
                "--snapshot-every", "25", "--max-samples", Long.toString(samples),
                "-D", "kontrast.optimizer.warmup-steps=20"},
                new PrintStream(log, true), System.err);
        assertThat(exit).as(log.toString()).isZero();

        List<EncoderSnapshot> snapshots = SnapshotTopicReader.readAll(bootstrap, "encoder-snapshots", Duration.ofSeconds(30));
        assertThat(snapshots).hasSizeGreaterThanOrEqualTo(STEPS / 25);
        for (int i = 0; i < snapshots.size(); i++) {
            assertThat(snapshots.get(i).getVersion()).isEqualTo(i + 1L);
            assertThat(SnapshotCodec.verify(snapshots.get(i))).isTrue();
        }
        EncoderSnapshot last = snapshots.get(snapshots.size() - 1);
        assertThat(last.getSamplesSeen()).isEqualTo(samples);
        assertThat(last.getStep()).isEqualTo(STEPS);
        // MoCo's loss first rises while the queue fills with real keys and the key encoder moves,
        // then falls as the encoder learns. With learning switched off (lr ~ 0) it plateaus
        // instead: on this run 6.65 at its peak and 6.64 at the end, against 5.9 and 5.7 here.
        double peak = snapshots.stream().mapToDouble(x -> x.getMetrics().get("loss")).max().orElseThrow();
        String trajectory = snapshots.stream()
                .map(x -> String.format("%d:%.3f", x.getStep(), x.getMetrics().get("loss"))).toList().toString();
        assertThat(last.getMetrics().get("loss")).as(trajectory).isLessThan(peak - 0.1);

        // A Kafka client that is not part of the project (kcat, librdkafka) reads every committed
        // snapshot ("<size> <value>" each, as values are binary), and the Python consumer decodes
        // the newest with the .avsc files alone.
        Path fromKcat = tmp.resolve("kcat-snapshot.bin");
        Process kcat = new ProcessBuilder("kcat", "-b", bootstrap, "-t", "encoder-snapshots", "-C", "-o", "beginning",
                "-e", "-q", "-X", "isolation.level=read_committed", "-X", "fetch.message.max.bytes=67108864", "-f", "%S %s")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] stream = kcat.getInputStream().readAllBytes();
        assertThat(kcat.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(kcat.exitValue()).isZero();
        byte[] newest = null;
        int records = 0;
        for (int pos = 0; pos < stream.length; records++) {
            int space = pos;
            while (stream[space] != ' ') space++;
            int size = Integer.parseInt(new String(stream, pos, space - pos, java.nio.charset.StandardCharsets.US_ASCII));
            newest = java.util.Arrays.copyOfRange(stream, space + 1, space + 1 + size);
            pos = space + 1 + size;
        }
        assertThat(records).isEqualTo(snapshots.size());
        Files.write(fromKcat, newest);
        Path root = Path.of(System.getProperty("kontrast.root"));
        Path imageFile = tmp.resolve("one-image.f32");
        ByteBuffer img = ByteBuffer.allocate(784 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : SyntheticShapes.generate(1, 3, "x").image(0)) img.putFloat(v);
        Files.write(imageFile, img.array());
        Process py = new ProcessBuilder(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3",
                root.resolve("clients/python/kontrast_snapshot.py").toString(),
                "--schemas", root.resolve("schemas/src/main/avro/io/kontrast/schemas").toString(),
                "--snapshot", fromKcat.toString(), "--images", imageFile.toString(), "--out", tmp.resolve("e.f32").toString())
                .redirectErrorStream(true).start();
        String pyOut = new String(py.getInputStream().readAllBytes());
        assertThat(py.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(py.exitValue()).as(pyOut).isZero();
        assertThat(pyOut).contains("\"version\": " + last.getVersion());

        // Every garbage record is a dead letter with its original bytes and a reason.
        List<DeadLetter> dead = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readRaw(bootstrap, "samples.dlq", garbage.size())) {
            dead.add(DeadLetter.getDecoder().decode(r.value()));
        }
        assertThat(dead).extracting(DeadLetter::getReason).containsExactlyInAnyOrder("NOT_AVRO", "UNKNOWN_SCHEMA", "EMPTY");
        assertThat(dead).allSatisfy(d -> assertThat(d.getTopic()).isEqualTo("samples"));
        assertThat(dead.get(0).getValue()).isNotNull();

        assertReportDrawn(bootstrap, snapshots, tmp.resolve("report"));
    }

    /**
     * {@code report} draws the run: a page naming the model and its newest version, a curve per
     * metric the snapshots carry, and an embedding map whose points take a colour per class.
     */
    static void assertReportDrawn(String bootstrap, List<EncoderSnapshot> snapshots, Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = KontrastCli.run(new String[] {"report", "--bootstrap", bootstrap, "--out", dir.toString(),
            "--dataset", "synthetic", "--map-samples", "600"}, new PrintStream(out, true), System.err);
        assertThat(exit).as(out.toString()).isZero();
        EncoderSnapshot last = snapshots.get(snapshots.size() - 1);
        String page = Files.readString(dir.resolve("index.html"));
        assertThat(page).contains(last.getModelId().toString(), "version " + last.getVersion(), "<img src=\"loss.png\"",
                "<img src=\"map.png\"", "<img src=\"throughput.png\"");
        for (String png : new String[] {"loss.png", "embedding-std.png", "throughput.png", "map.png"}) {
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(dir.resolve(png).toFile());
            assertThat(img).as(png).isNotNull();
            assertThat(img.getWidth()).as(png).isEqualTo(ReportCommand.WIDTH);
        }
        // The plot (left of the legend) shows points of the ten synthetic classes in ten palette colours.
        java.awt.image.BufferedImage map = javax.imageio.ImageIO.read(dir.resolve("map.png").toFile());
        java.util.Set<Integer> classColours = new java.util.HashSet<>();
        for (int y = 0; y < map.getHeight(); y++) {
            for (int x = 0; x < map.getWidth() * 7 / 10; x++) {
                int rgb = map.getRGB(x, y) & 0xFFFFFF;
                for (int c = 0; c < 10; c++) if (rgb == (ReportCommand.PALETTE[c].getRGB() & 0xFFFFFF)) classColours.add(c);
            }
        }
        assertThat(classColours).hasSizeGreaterThanOrEqualTo(9);
    }

    @Test
    void snapshotsDecodeWithTheSchemaFilesAlone() throws Exception {
        // What a client in any language does: parse the .avsc files, check the fingerprint, read.
        Path dir = Path.of(System.getProperty("kontrast.schemas.dir"));
        Schema.Parser p2 = new Schema.Parser();
        Schema snapshot = null;
        for (String name : List.of("Tensor", "NamedTensor", "Layer", "EncoderSnapshot")) {
            snapshot = p2.parse(dir.resolve("io/kontrast/schemas/" + name + ".avsc").toFile());
        }
        var images = SyntheticShapes.generate(1, 1, "x");
        var mlp = new io.kontrast.math.nn.LayerNet("mlp", io.kontrast.math.nn.Presets.perceptron(new io.kontrast.math.nn.Shape(1, 28, 28), 1, 8, 4), 1);
        io.kontrast.math.Nd4jRuntime.init();
        var params = mlp.newParams();
        mlp.init(params, mlp.newStats(), 3);
        EncoderSnapshot s = SnapshotCodec.fromNetwork(new SnapshotCodec.Header("m", 7, 70, 700, java.time.Instant.now(),
                new int[] {1, 28, 28}, 0.3f, 0.4f), mlp, params, mlp.newStats(), Map.of("loss", 1.0));
        ByteBuffer wire = EncoderSnapshot.getEncoder().encode(s);
        byte[] bytes = new byte[wire.remaining()];
        wire.get(bytes);
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(fingerprint).isEqualTo(SchemaNormalization.parsingFingerprint64(snapshot));
        GenericRecord r = new GenericDatumReader<GenericRecord>(snapshot)
                .read(null, DecoderFactory.get().binaryDecoder(bytes, 10, bytes.length - 10, null));
        assertThat(r.get("version")).isEqualTo(7L);
        assertThat(((List<?>) r.get("weights"))).hasSize(4);
        assertThat(images.size()).isEqualTo(1);
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    }

    static List<ConsumerRecord<byte[], byte[]>> readRaw(String bootstrap, String topic, int atLeast) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "t-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                // Snapshots and dead letters are written in transactions.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < atLeast && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }

    /** Every committed record of a topic: read (read_committed) up to the end offsets of now. */
    static List<ConsumerRecord<byte[], byte[]>> readAllCommitted(String bootstrap, String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "t-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            var parts = c.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            var end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }
}
