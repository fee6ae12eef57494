package io.kontrast.operators.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.client.Encoder;
import io.kontrast.client.Wire;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.operators.decode.ImageSample;
import io.kontrast.operators.publish.SnapshotCodec;
import io.kontrast.schemas.Embedding;
import io.kontrast.schemas.EncoderSnapshot;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Snapshot → restore of the embedding function's state: waiting samples and the current snapshot. */
class EmbedFunctionTest {
    static EncoderSnapshot snapshot(long version) {
        Nd4jRuntime.init();
        var mlp = new io.kontrast.math.nn.LayerNet("mlp", io.kontrast.math.nn.Presets.perceptron(new io.kontrast.math.nn.Shape(1, 28, 28), 1, 16, 8), 1);
        var params = mlp.newParams();
        mlp.init(params, mlp.newStats(), version);
        return SnapshotCodec.fromNetwork(new SnapshotCodec.Header("m", version, version, version, Instant.now(),
                new int[] {1, 28, 28}, 0.3f, 0.4f), mlp, params, mlp.newStats(), Map.of());
    }

    static ImageSample sample(int i) {
        SplittableRandom rnd = new SplittableRandom(i);
        float[] p = new float[784];
        for (int j = 0; j < p.length; j++) p[j] = (float) rnd.nextDouble();
        return new ImageSample("s" + i, i, 28, 28, p, i % 10);
    }

    static BroadcastOperatorTestHarness<ImageSample, byte[], Embedding> harness(OperatorSubtaskState restore) throws Exception {
        var h = new BroadcastOperatorTestHarness<>(
                new CoBroadcastWithNonKeyedOperator<>(new EmbedFunction("m"), List.of(EmbedFunction.SNAPSHOT_STATE)), 1, 1, 0);
        h.setup();
        if (restore != null) h.initializeState(restore);
        h.open();
        return h;
    }

    static float[] vector(Embedding e) {
        float[] v = new float[e.getVector().getShape().get(0)];
        e.getVector().getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    @Test
    void waitingSamplesSurviveARestoreAndAreEmbeddedByTheFirstSnapshot() throws Exception {
        var h = harness(null);
        h.processElement(sample(1), 0);
        h.processElement(sample(2), 0);
        assertThat(h.extractOutputValues()).isEmpty();
        OperatorSubtaskState saved = h.snapshot(1, 1);
        h.close();

        var restored = harness(saved);
        EncoderSnapshot v1 = snapshot(1);
        restored.processBroadcastElement(Wire.encode(EncoderSnapshot.getEncoder(), v1), 0);
        List<Embedding> out = restored.extractOutputValues();
        assertThat(out).extracting(Embedding::getSampleId).containsExactly("s1", "s2");
        assertThat(vector(out.get(0))).containsExactly(Encoder.fromSnapshot(v1).embed(sample(1).pixels));
        restored.close();
    }

    @Test
    void theCurrentSnapshotSurvivesARestoreAndOlderOnesAreIgnored() throws Exception {
        var h = harness(null);
        EncoderSnapshot v2 = snapshot(2);
        h.processBroadcastElement(Wire.encode(EncoderSnapshot.getEncoder(), v2), 0);
        OperatorSubtaskState saved = h.snapshot(1, 1);
        h.close();

        var restored = harness(saved);
        assertThat(restored.getBroadcastState(EmbedFunction.SNAPSHOT_STATE).get("latest"))
                .isEqualTo(Wire.encode(EncoderSnapshot.getEncoder(), v2));
        restored.processBroadcastElement(Wire.encode(EncoderSnapshot.getEncoder(), snapshot(1)), 0);
        restored.processElement(sample(3), 0);
        Embedding e = restored.extractOutputValues().get(0);
        assertThat(e.getSnapshotVersion()).isEqualTo(2);
        assertThat(vector(e)).containsExactly(Encoder.fromSnapshot(v2).embed(sample(3).pixels));
        restored.close();
    }
}
