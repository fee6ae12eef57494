package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.client.Encoder;
import io.kontrast.data.LabeledImages;
import io.kontrast.data.Samples;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.operators.publish.SnapshotCodec;
import io.kontrast.schemas.EncoderSnapshot;
import io.kontrast.schemas.Embedding;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The embedding job switches snapshot versions mid-stream, drops no sample, and never goes back. */
class EmbedJobITCase extends WithKafka {
    static EncoderSnapshot snapshot(long version) {
        Nd4jRuntime.init();
        var mlp = new io.kontrast.math.nn.LayerNet("mlp", io.kontrast.math.nn.Presets.perceptron(new io.kontrast.math.nn.Shape(1, 28, 28), 1, 32, 16), 1);
        var params = mlp.newParams();
        mlp.init(params, mlp.newStats(), version);
        return SnapshotCodec.fromNetwork(new SnapshotCodec.Header("embed-test", version, version * 100, version * 1000,
                Instant.now(), new int[] {1, 28, 28}, 0.286f, 0.353f), mlp, params, mlp.newStats(), Map.of());
    }

    static void send(KafkaProducer<byte[], byte[]> p, String topic, byte[] value) throws Exception {
        p.send(new ProducerRecord<>(topic, value)).get();
    }

    @Test
    void switchesVersionMidStreamWithoutDroppingASample() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        EmbeddedKafka.createTopics(bootstrap, EmbeddedKafka.kontrastTopics("samples", "samples.dlq", "encoder-snapshots"));
        LabeledImages images = SyntheticShapes.generate(1500, 4, "synthetic/test");
        EncoderSnapshot v1 = snapshot(1);
        EncoderSnapshot v2 = snapshot(2);
        Map<Long, Encoder> encoders = Map.of(1L, Encoder.fromSnapshot(v1), 2L, Encoder.fromSnapshot(v2));

        try (KafkaProducer<byte[], byte[]> p = TrainJobITCase.producer(bootstrap)) {
            // 300 samples arrive before any snapshot exists: they must wait, not vanish.
            for (int i = 0; i < 300; i++) {
                p.send(new ProducerRecord<>("samples", Samples.encode(Samples.sample(images, i, "a/" + i, true))));
            }
            p.flush();

            ByteArrayOutputStream log = new ByteArrayOutputStream();
            CompletableFuture<Integer> job = CompletableFuture.supplyAsync(() -> KontrastCli.run(new String[] {
                    "embed", "--bootstrap", bootstrap, "--max-samples", "1500", "--checkpoint-interval", "1s",
                    "--checkpoint-dir", tmp.resolve("ckpt").toString(), "--model-id", "embed-test"},
                    new PrintStream(log, true), System.err));

            Thread.sleep(3000);
            send(p, "encoder-snapshots", EncoderSnapshot.getEncoder().encode(v1).array());
            for (int i = 300; i < 800; i++) {
                p.send(new ProducerRecord<>("samples", Samples.encode(Samples.sample(images, i, "a/" + i, true))));
            }
            p.flush();
            waitForEmbeddings(bootstrap, 500);
            send(p, "encoder-snapshots", EncoderSnapshot.getEncoder().encode(v2).array());
            // A stale version and garbage after the switch change nothing.
            send(p, "encoder-snapshots", EncoderSnapshot.getEncoder().encode(snapshot(1)).array());
            send(p, "encoder-snapshots", "garbage".getBytes());
            Thread.sleep(2000);
            for (int i = 800; i < 1500; i++) {
                p.send(new ProducerRecord<>("samples", Samples.encode(Samples.sample(images, i, "b/" + i, true))));
            }
            p.flush();
            assertThat(job.get(4, TimeUnit.MINUTES)).as(log.toString()).isZero();
        }

        List<Embedding> out = new ArrayList<>();
        TrainJobITCase.readRaw(bootstrap, "embeddings", 1500).forEach(r -> {
            try {
                out.add(Embedding.getDecoder().decode(r.value()));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        Set<String> ids = new HashSet<>();
        Map<Long, Integer> perVersion = new HashMap<>();
        long previous = 0;
        for (Embedding e : out) {
            ids.add(e.getSampleId());
            perVersion.merge(e.getSnapshotVersion(), 1, Integer::sum);
            assertThat(e.getSnapshotVersion()).as("versions never go back").isGreaterThanOrEqualTo(previous);
            previous = e.getSnapshotVersion();
            String[] parts = e.getSampleId().split("/");
            float[] expected = encoders.get(e.getSnapshotVersion()).embed(images.image(Integer.parseInt(parts[1])));
            float[] actual = new float[expected.length];
            e.getVector().getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(actual);
            assertThat(actual).containsExactly(expected);
        }
        assertThat(out).hasSize(1500);
        assertThat(ids).hasSize(1500);
        assertThat(perVersion).containsKeys(1L, 2L);
        assertThat(perVersion.get(1L)).isGreaterThanOrEqualTo(500);
        assertThat(out.get(out.size() - 1).getSnapshotVersion()).isEqualTo(2L);
    }

    static void waitForEmbeddings(String bootstrap, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            if (TrainJobITCase.readRaw(bootstrap, "embeddings", n).size() >= n) return;
            Thread.sleep(500);
        }
        throw new AssertionError("no " + n + " embeddings within 2 minutes");
    }
}
