package io.kontrast.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kontrast.schemas.DType;
import io.kontrast.schemas.EncoderSnapshot;
import io.kontrast.schemas.Layer;
import io.kontrast.schemas.NamedTensor;
import io.kontrast.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SnapshotClientTest {
    /** A 4 -> 2 linear + relu backbone whose weights are all {@code w}, biases 0. */
    static EncoderSnapshot snapshot(String model, long version, float w) {
        ByteBuffer wd = ByteBuffer.allocate(4 * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 8; i++) wd.putFloat(w);
        wd.flip();
        List<NamedTensor> weights = List.of(
                NamedTensor.newBuilder().setName("backbone.0.weight").setTensor(Tensor.newBuilder()
                        .setShape(List.of(4, 2)).setDtype(DType.FLOAT32).setData(wd).build()).build(),
                NamedTensor.newBuilder().setName("backbone.0.bias").setTensor(Tensor.newBuilder()
                        .setShape(List.of(2)).setDtype(DType.FLOAT32).setData(ByteBuffer.allocate(8)).build()).build());
        return EncoderSnapshot.newBuilder()
                .setModelId(model).setVersion(version).setStep(version * 10).setSamplesSeen(version * 100)
                .setCreatedAt(Instant.now()).setArchitecture("mlp").setObjective("moco-v2")
                .setInputShape(List.of(1, 2, 2)).setInputMean(0f).setInputStd(1f).setEmbeddingDim(2)
                .setLayers(List.of(
                        Layer.newBuilder().setName("backbone.0").setKind("linear").setPart("backbone").setAttributes(Map.of()).build(),
                        Layer.newBuilder().setName("backbone.0.relu").setKind("relu").setPart("backbone").setAttributes(Map.of()).build()))
                .setWeights(weights).setMetrics(Map.of()).setChecksum(Checksums.of(weights)).build();
    }

    static byte[] wire(EncoderSnapshot s) throws Exception {
        ByteBuffer b = EncoderSnapshot.getEncoder().encode(s);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static SnapshotClient offline(String model) {
        // A client whose consumer never reaches a broker; snapshots are offered directly.
        return SnapshotClient.start("127.0.0.1:1", "encoder-snapshots", model,
                Map.of("reconnect.backoff.ms", 10_000, "reconnect.backoff.max.ms", 10_000));
    }

    @Test
    void embedsWithTheNewestVersionAndNeverGoesBack() throws Exception {
        try (SnapshotClient c = offline("m")) {
            assertThatThrownBy(() -> c.embed(new float[4])).isInstanceOf(IllegalStateException.class);
            List<Long> heard = new ArrayList<>();
            c.addListener(ch -> heard.add(ch.current().version()));
            assertThat(c.offer(wire(snapshot("m", 2, 1f)), "t")).isTrue();
            assertThat(c.embed(new float[] {1, 1, 1, 1})).containsExactly(4f, 4f);
            assertThat(c.offer(wire(snapshot("m", 1, 5f)), "t")).isFalse(); // older
            assertThat(c.offer(wire(snapshot("m", 2, 5f)), "t")).isFalse(); // same
            assertThat(c.offer(wire(snapshot("other", 9, 5f)), "t")).isFalse(); // another model
            assertThat(c.offer(wire(snapshot("m", 3, -1f)), "t")).isTrue();
            assertThat(c.embed(new float[] {1, 1, 1, 1})).containsExactly(0f, 0f); // relu
            assertThat(heard).containsExactly(2L, 3L);
            assertThat(c.version()).isEqualTo(3);
        }
    }

    @Test
    void badOrTruncatedSnapshotsAreRejectedAndTheCurrentOneStays() throws Exception {
        try (SnapshotClient c = offline("m")) {
            c.offer(wire(snapshot("m", 1, 1f)), "t");
            byte[] good = wire(snapshot("m", 2, 2f));
            assertThat(c.offer(Arrays.copyOf(good, good.length / 2), "t")).isFalse();
            EncoderSnapshot tampered = snapshot("m", 3, 2f);
            tampered.getWeights().get(0).getTensor().getData().putFloat(0, 100f);
            assertThat(c.offer(wire(tampered), "t")).isFalse();
            assertThat(c.offer(new byte[] {1, 2, 3}, "t")).isFalse();
            assertThat(c.offer(null, "t")).isFalse();
            assertThat(c.rejectedCount()).isEqualTo(4);
            assertThat(c.version()).isEqualTo(1);
            assertThatThrownBy(() -> Encoder.fromSnapshot(tampered)).hasMessageContaining("checksum");
        }
    }

    @Test
    void swapsAtomicallyWhileOtherThreadsEmbed() throws Exception {
        try (SnapshotClient c = offline(null)) {
            c.offer(wire(snapshot("m", 1, 1f)), "t");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> problem = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    while (!stop.get()) {
                        float[] e = c.embed(new float[] {1, 1, 1, 1});
                        // Both values come from one version: never a mix of two.
                        if (e[0] != e[1] || e[0] % 4 != 0) problem.set(Arrays.toString(e));
                    }
                });
                th.start();
                threads.add(th);
            }
            for (int v = 2; v <= 200; v++) {
                c.offer(wire(snapshot("m", v, v)), "t");
            }
            stop.set(true);
            for (Thread th : threads) th.join();
            assertThat(problem.get()).isNull();
            assertThat(c.version()).isEqualTo(200);
            assertThat(c.embed(new float[] {1, 1, 1, 1})).containsExactly(800f, 800f);
        }
    }
}
