package io.kontrast.operators.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.Presets;
import io.kontrast.math.nn.Shape;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.schemas.EncoderSnapshot;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class SnapshotCodecTest {
    @Test
    void snapshotHoldsEveryLayerWeightInOrderWithAValidChecksum() throws Exception {
        Nd4jRuntime.init();
        LayerNet mlp = new LayerNet("mlp", Presets.perceptron(new Shape(1, 2, 3), 1, 5, 4, 3), 1);
        var params = mlp.newParams();
        mlp.init(params, mlp.newStats(), 1);
        float[] flat = params.toFloatVector();
        EncoderSnapshot s = SnapshotCodec.fromNetwork(
                new SnapshotCodec.Header("m", 2, 20, 640, Instant.now(), new int[] {1, 2, 3}, 0.1f, 0.2f),
                mlp, params, mlp.newStats(), Map.of("loss", 3.0));
        assertThat(s.getLayers()).extracting(l -> l.getName() + ":" + l.getKind())
                .containsExactly("backbone.0:flatten", "backbone.1:linear", "backbone.2:relu", "head.0:linear", "head.1:relu", "head.2:linear");
        assertThat(s.getWeights()).extracting(w -> w.getName())
                .containsExactly("backbone.1.weight", "backbone.1.bias", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias");
        assertThat(s.getEmbeddingDim()).isEqualTo(5);
        var w = s.getWeights().get(2).getTensor();
        assertThat(w.getShape()).containsExactly(5, 4);
        // Row-major [in, out], little-endian: element (1, 2) is flat[offset + 1 * 4 + 2].
        float e12 = w.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).getFloat(4 * (4 + 2));
        long offset = mlp.params().stream().filter(p -> p.name().equals("head.0.weight")).findFirst().orElseThrow().offset();
        assertThat(e12).isEqualTo(flat[(int) offset + 6]);
        assertThat(SnapshotCodec.verify(s)).isTrue();

        EncoderSnapshot decoded = EncoderSnapshot.getDecoder().decode(EncoderSnapshot.getEncoder().encode(s));
        assertThat(SnapshotCodec.verify(decoded)).isTrue();
        decoded.getWeights().get(0).getTensor().getData().put(0, (byte) 1);
        assertThat(SnapshotCodec.verify(decoded)).isFalse();
    }

    /**
     * Per-channel input statistics are published as a leading backbone batch_norm layer, {@code x
     * · 1/std + (−mean/std)} per channel, with the scalar normalisation 0 and 1; the checksum
     * covers its weights.
     */
    @Test
    void perChannelStatisticsLeadTheBackboneAsABatchNorm() {
        Nd4jRuntime.init();
        LayerNet mlp = new LayerNet("mlp", Presets.perceptron(Shape.vector(6), 1, 5, 4, 3), 1);
        var params = mlp.newParams();
        mlp.init(params, mlp.newStats(), 1);
        var stats = new io.kontrast.operators.views.ChannelStats(new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f},
                new float[] {1f, 2f, 4f, 0.5f, 0.25f, 8f});
        EncoderSnapshot s = SnapshotCodec.fromNetwork(
                new SnapshotCodec.Header("m", 2, 20, 640, Instant.now(), new int[] {6}, 0.35f, 2.6f, stats), mlp,
                params, mlp.newStats(), Map.of());
        assertThat(s.getLayers()).extracting(l -> l.getName() + ":" + l.getKind() + ":" + l.getPart())
                .startsWith("input_norm:batch_norm:backbone", "backbone.0:flatten:backbone", "backbone.1:linear:backbone");
        assertThat(s.getWeights()).extracting(w -> w.getName()).startsWith("input_norm.weight", "input_norm.bias", "backbone.1.weight");
        float[] scale = new float[6];
        float[] shift = new float[6];
        s.getWeights().get(0).getTensor().getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(scale);
        s.getWeights().get(1).getTensor().getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(shift);
        for (int c = 0; c < 6; c++) {
            assertThat(scale[c]).isEqualTo(1f / stats.std(c));
            assertThat(shift[c]).isEqualTo(-stats.mean(c) / stats.std(c), org.assertj.core.data.Offset.offset(1e-6f));
        }
        assertThat(s.getInputMean()).isZero();
        assertThat(s.getInputStd()).isEqualTo(1f);
        assertThat(s.getEmbeddingDim()).isEqualTo(5);
        assertThat(SnapshotCodec.verify(s)).isTrue();
    }

    /**
     * The published head, applied to the published representation, gives the network's own
     * projection in inference mode: batch norm in the backbone and the head is folded correctly.
     */
    @ParameterizedTest(name = "head batch norm={0}")
    @ValueSource(booleans = {false, true})
    void cnnHeadFoldsItsBatchNorm(boolean headBatchNorm) {
        Nd4jRuntime.init();
        LayerNet cnn = new LayerNet("cnn", Presets.cnn(new Shape(1, 8, 8), 3, 4, 6, 5, true, headBatchNorm), 1);
        INDArray params = cnn.newParams();
        INDArray stats = cnn.newStats();
        cnn.init(params, stats, 3);
        SplittableRandom rnd = new SplittableRandom(4);
        params.addi(Nd4j.createFromArray(randoms(rnd, (int) cnn.paramCount(), 0.3)));
        // Running statistics away from their initial values: training passes on shifted inputs.
        var ws = cnn.newWorkspace(4);
        for (int i = 0; i < 5; i++) {
            cnn.forward(params, stats, Nd4j.createFromArray(randoms(rnd, 4 * 64, 2.0)).reshape(4, 64).addi(0.5), ws, true);
        }
        INDArray x = Nd4j.createFromArray(randoms(rnd, 4 * 64, 1.0)).reshape(4, 64);
        INDArray projection = cnn.forward(params, stats, x, ws, false).dup();
        INDArray representation = cnn.representation(ws).dup();

        EncoderSnapshot s = SnapshotCodec.fromLayers(
                new SnapshotCodec.Header("m", 1, 1, 4, Instant.now(), new int[] {1, 8, 8}, 0f, 1f), cnn, params, stats, Map.of());
        Map<String, INDArray> w = new java.util.HashMap<>();
        for (var t : s.getWeights()) {
            float[] v = new float[t.getTensor().getData().remaining() / 4];
            t.getTensor().getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            w.put(t.getName(), Nd4j.createFromArray(v).reshape(t.getTensor().getShape().stream().mapToLong(i -> i).toArray()));
        }
        // The head's layers, applied as schemas/README.md documents them.
        INDArray out = representation;
        int linears = 0;
        for (var l : s.getLayers()) {
            if (!l.getPart().equals("head")) continue;
            String name = l.getName();
            switch (l.getKind()) {
                case "relu" -> out = Transforms.relu(out, true);
                case "linear" -> {
                    out = out.mmul(w.get(name + ".weight")).addiRowVector(w.get(name + ".bias"));
                    linears++;
                }
                case "batch_norm" -> out = out.mulRowVector(w.get(name + ".weight")).addiRowVector(w.get(name + ".bias"));
                default -> throw new AssertionError("unexpected head layer " + l.getKind());
            }
        }
        assertThat(linears).isEqualTo(2);
        assertThat(out.shape()).isEqualTo(projection.shape());
        for (int i = 0; i < out.length(); i++) {
            assertThat(out.getDouble(i)).isCloseTo(projection.getDouble(i), org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    private static float[] randoms(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }
}
