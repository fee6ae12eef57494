package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.data.FashionMnist;
import io.kontrast.data.LabeledImages;
import io.kontrast.data.Samples;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.schemas.DeadLetter;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Streams of samples that are not images, end to end: {@code replay --dataset
 * fashion-mnist-vectors} (each image as 784 features) into {@code train --input-shape 784} (the
 * MLP by default, SCARF's views), and {@code fashion-mnist-rows} (each image as a sequence of its
 * 28 rows) into {@code train --input-shape 28x28} (the cnn1d by default, sequence views), and {@code
 * fashion-mnist-tokens} (28 INT32 row words) into {@code train --input-shape 28 --vocab 129} (an
 * embedding and the cnn1d, token views), and {@code sbm-graphs} (node neighbourhoods) into {@code
 * train --graph --input-shape 32x16} (the gcn, graph views); a snapshot whose input is {@code
 * [784]}, {@code [28, 28]}, {@code [28]} or the packed graph's {@code [32, 49]}, images sent to the job dead-lettered naming both shapes, and
 * the snapshot scored by {@code evaluate} and applied by the Python consumer.
 */
class FeatureStreamITCase extends WithKafka {
    static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = KontrastCli.run(args, new PrintStream(out, true), new PrintStream(out, true));
        assertThat(exit).as(String.join(" ", args) + "\n" + out).isZero();
        return out.toString();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"fashion-mnist-vectors, 784, expected [784], mlp",
        "fashion-mnist-rows, 28x28, 'expected a sequence [28, 28]', cnn1d",
        "fashion-mnist-tokens, 28, 'expected 28 tokens [28]', cnn1d",
        "sbm-graphs, 32x16, needs the parts, gcn"})
    void aStreamOfFeaturesTrainsItsKindsEncoderWithItsKindsViews(String dataset, String inputShape, String expectedShape,
            String encoder) throws Exception {
        boolean tokens = dataset.endsWith("tokens");
        boolean graphs = dataset.endsWith("graphs");
        String bootstrap = kafka.bootstrapServers();
        String samples = dataset + ".samples";
        String dlq = dataset + ".dlq";
        String snapshotTopic = dataset + ".snapshots";
        EmbeddedKafka.createTopics(bootstrap, EmbeddedKafka.kontrastTopics(samples, dlq, snapshotTopic));
        assertThat(run("replay", "--bootstrap", bootstrap, "--topic", samples, "--dataset", dataset, "--limit", "2560",
                "--with-labels")).contains("Sent 2560 samples of " + dataset + "/train");
        // Three images where vectors are expected.
        LabeledImages images = FashionMnist.load(FashionMnist.DEFAULT_DIR, "test").head(3);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(samples, Samples.encode(Samples.sample(images, i, "image-" + i, false))));
            }
        }

        String train = run("train", "--bootstrap", bootstrap, "--topic", samples, "--dlq-topic", dlq, "--snapshot-topic",
                snapshotTopic, "--input-shape", inputShape, "--checkpoint-dir", tmp.resolve("ckpt-" + dataset).toString(),
                "--checkpoint-interval", "2s", "--max-samples", "2560", "--snapshot-every", "10",
                "-D", "kontrast.kafka.group-id=" + dataset, "--vocab", tokens ? "129" : "0", graphs ? "--graph" : "--fresh");
        assertThat(train).contains("samples=2560");
        List<EncoderSnapshot> snapshots = SnapshotTopicReader.readAll(bootstrap, snapshotTopic, Duration.ofSeconds(30));
        EncoderSnapshot newest = snapshots.get(snapshots.size() - 1);
        assertThat(newest.getInputShape()).containsExactly(inputShape.equals("784") ? new Integer[] {784}
                : tokens ? new Integer[] {28} : graphs ? new Integer[] {32, 16 + 32 + 1} : new Integer[] {28, 28});
        assertThat(newest.getArchitecture().toString()).isEqualTo(encoder);
        assertThat(newest.getSamplesSeen()).isEqualTo(2560);

        List<DeadLetter> dead = new java.util.ArrayList<>();
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-" + dataset);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(dlq));
            long until = System.currentTimeMillis() + 30_000;
            while (dead.size() < 3 && System.currentTimeMillis() < until) {
                for (var r : consumer.poll(Duration.ofMillis(500))) dead.add(DeadLetter.getDecoder().decode(r.value()));
            }
        }
        assertThat(dead).hasSize(3).allSatisfy(d -> {
            // An image where a graph is expected has no parts at all.
            assertThat(d.getReason().toString()).isEqualTo(graphs ? "MISSING_FIELD" : "SHAPE_MISMATCH");
            assertThat(d.getMessage().toString()).contains(graphs ? "image-" : "[1, 28, 28]", expectedShape);
        });

        // Scored on the same kind, and the same encoder at init.
        String scored = run("evaluate", "--bootstrap", bootstrap, "--topic", snapshotTopic, "--dataset", dataset, "--bank-limit", "2000");
        String random = run("evaluate", "--features", "random", "--input-shape", inputShape, "--dataset", dataset,
                "--bank-limit", "2000");
        assertThat(scored).contains("\"dataset\": \"" + dataset + "\"", "\"samples_seen\": 2560");
        assertThat(knn(scored)).isGreaterThan(0.5);
        assertThat(knn(random)).isGreaterThan(0.5);

        // The Python consumer takes [n, 784] float32 rows (each sample as on the wire) and agrees with Java.
        LabeledImages vectors = dataset.endsWith("vectors") ? images.asVectors() : tokens ? images.asRowWords()
                : graphs ? io.kontrast.data.SbmGraphs.load("test").head(3) : images.asRows();
        ByteBuffer x = ByteBuffer.allocate(3 * vectors.pixelsPerImage() * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 3; i++) for (float v : vectors.image(i)) x.putFloat(v);
        Files.write(tmp.resolve("x.f32"), x.array()); // the two kinds' runs write in turn
        Path root = Path.of(System.getProperty("kontrast.root"));
        Process py = new ProcessBuilder(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3",
                root.resolve("clients/python/kontrast_snapshot.py").toString(), "--bootstrap", bootstrap,
                "--topic", snapshotTopic, "--schemas", root.resolve("schemas/src/main/avro/io/kontrast/schemas").toString(),
                "--images", tmp.resolve("x.f32").toString(), "--out", tmp.resolve("e.f32").toString())
                .redirectErrorStream(true).start();
        String pyOut = new String(py.getInputStream().readAllBytes());
        assertThat(py.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(py.exitValue()).as(pyOut).isZero();
        INDArray expected = SnapshotFeatures.extract(newest, vectors);
        ByteBuffer e = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("e.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(e.remaining()).isEqualTo(expected.length() * 4);
        for (int i = 0; i < expected.length(); i++) {
            assertThat((double) e.getFloat()).isCloseTo(expected.getDouble(i), org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    /**
     * Paired samples end to end: {@code replay --dataset fashion-mnist-halves} (each image as its
     * top and bottom halves, two parts of one record) into {@code train --parts
     * top=1x14x28,bottom=1x14x28 --objective clip}; each tower is published as an encoder of its
     * own, {@code <model>.top} and {@code <model>.bottom}, at the same versions, and {@code
     * evaluate} scores retrieval of one half from the other, which beats the untrained towers'.
     */
    @org.junit.jupiter.api.Test
    void aStreamOfPairsTrainsATowerPerPart() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        String dataset = "fashion-mnist-halves";
        String samples = dataset + ".samples";
        String snapshotTopic = dataset + ".snapshots";
        EmbeddedKafka.createTopics(bootstrap, EmbeddedKafka.kontrastTopics(samples, dataset + ".dlq", snapshotTopic));
        assertThat(run("replay", "--bootstrap", bootstrap, "--topic", samples, "--dataset", dataset, "--limit", "2560",
                "--with-labels")).contains("Sent 2560 samples of " + dataset + "/train");
        String train = run("train", "--bootstrap", bootstrap, "--topic", samples, "--dlq-topic", dataset + ".dlq",
                "--snapshot-topic", snapshotTopic, "--parts", "top=1x14x28,bottom=1x14x28", "--objective", "clip",
                "--model-id", "halves", "--checkpoint-dir", tmp.resolve("ckpt-" + dataset).toString(),
                "--checkpoint-interval", "2s", "--max-samples", "2560", "--snapshot-every", "10",
                "-D", "kontrast.kafka.group-id=" + dataset);
        assertThat(train).contains("samples=2560");
        List<EncoderSnapshot> snapshots = SnapshotTopicReader.readAll(bootstrap, snapshotTopic, Duration.ofSeconds(30));
        List<EncoderSnapshot> tops = snapshots.stream().filter(x -> x.getModelId().toString().equals("halves.top")).toList();
        List<EncoderSnapshot> bottoms = snapshots.stream().filter(x -> x.getModelId().toString().equals("halves.bottom")).toList();
        assertThat(tops).isNotEmpty();
        assertThat(tops).extracting(EncoderSnapshot::getVersion).isEqualTo(bottoms.stream().map(EncoderSnapshot::getVersion).toList());
        EncoderSnapshot top = tops.get(tops.size() - 1);
        assertThat(top.getInputShape()).containsExactly(1, 14, 28);
        assertThat(top.getObjective().toString()).isEqualTo("clip");
        assertThat(top.getSamplesSeen()).isEqualTo(2560);
        assertThat(top.getMetrics()).containsKey("temperature");

        String scored = run("evaluate", "--bootstrap", bootstrap, "--topic", snapshotTopic, "--model-id", "halves",
                "--dataset", dataset, "--bank-limit", "2000");
        String random = run("evaluate", "--features", "random", "--dataset", dataset, "--bank-limit", "2000");
        assertThat(scored).contains("\"model_id\": \"halves\"", "\"samples_seen\": 2560", "top_to_bottom_recall10");
        assertThat(recall10(scored)).isGreaterThan(recall10(random) + 0.05);
        assertThat(knn(scored)).isGreaterThan(0.5);

        // A downstream service embeds one part of the paired records with its tower.
        run("embed", "--bootstrap", bootstrap, "--topic", samples, "--snapshot-topic", snapshotTopic, "--embeddings-topic",
                dataset + ".embeddings", "--dlq-topic", dataset + ".embed-dlq", "--model-id", "halves.top", "--part", "top",
                "-D", "kontrast.input.shape=1x14x28", "--max-samples", "64", "--checkpoint-interval", "1s",
                "--checkpoint-dir", tmp.resolve("embed-" + dataset).toString());
        // Each record is embedded with the tower's version current when it arrived.
        java.util.Map<Long, io.kontrast.client.Encoder> towerByVersion = new java.util.HashMap<>();
        for (EncoderSnapshot t : tops) towerByVersion.put(t.getVersion(), io.kontrast.client.Encoder.fromSnapshot(t));
        LabeledImages halves = io.kontrast.data.FashionMnist.load(io.kontrast.data.FashionMnist.DEFAULT_DIR, "train").head(2560).asHalves();
        List<io.kontrast.schemas.Embedding> embedded = new java.util.ArrayList<>();
        TrainJobITCase.readRaw(bootstrap, dataset + ".embeddings", 64).forEach(r -> {
            try {
                embedded.add(io.kontrast.schemas.Embedding.getDecoder().decode(r.value()));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(embedded).hasSizeGreaterThanOrEqualTo(64);
        LabeledImages topHalves = halves.half(0);
        for (var e : embedded) {
            io.kontrast.client.Encoder tower = towerByVersion.get(e.getSnapshotVersion());
            assertThat(tower).as("a version of the top tower").isNotNull();
            String[] id = e.getSampleId().toString().split("/"); // <set>/<split>/<index>/e<epoch>
            int i = Integer.parseInt(id[id.length - 2]);
            float[] actual = new float[tower.embeddingDim()];
            e.getVector().getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(actual);
            assertThat(actual).containsExactly(tower.embed(topHalves.image(i)));
        }
    }

    static double recall10(String json) {
        return Double.parseDouble(json.replaceAll("(?s).*\"top_to_bottom_recall10\": ([0-9.]+).*", "$1"));
    }

    static double knn(String json) {
        return Double.parseDouble(json.replaceAll("(?s).*\"knn200\": ([0-9.]+).*", "$1"));
    }
}
