package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.client.Encoder;
import io.kontrast.data.LabeledImages;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.math.nn.EncoderSpec;
import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.LayerSpec;
import io.kontrast.math.nn.Presets;
import io.kontrast.math.nn.Shape;
import io.kontrast.operators.publish.SnapshotCodec;
import io.kontrast.schemas.EncoderSnapshot;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code evaluate}'s batched feature extraction (ND4J, NCHW) agrees with the Java client on
 * colour images, for the resnet preset and for a list with every other layer kind.
 */
class SnapshotFeaturesTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet", "every-kind"})
    void batchedFeaturesMatchTheJavaClient(String encoder) {
        Shape shape = new Shape(3, 16, 16);
        EncoderSpec spec = encoder.equals("resnet") ? Presets.resnet(shape, 4, 8)
                : new EncoderSpec(shape, List.of(LayerSpec.batchNorm(), LayerSpec.conv2d(4, 3, 1, 1), LayerSpec.avgPool2d(2, 2),
                        LayerSpec.residual(List.of(LayerSpec.conv2d(4, 3, 1, 1), LayerSpec.batchNorm(), LayerSpec.relu()), List.of()),
                        LayerSpec.maxPool2d(3, 2), LayerSpec.flatten(), LayerSpec.batchNorm(), LayerSpec.linear(6),
                        LayerSpec.l2Normalize()), List.of(LayerSpec.linear(4)));
        EncoderSnapshot s = snapshot(new LayerNet(encoder, spec, 1), new int[] {3, 16, 16}, 3);
        LabeledImages set = new LabeledImages("rgb", 3, 16, 16, randomBytes(20 * shape.size(), 4), new int[20], null);
        int n = set.size();

        INDArray batched = SnapshotFeatures.extract(s, set);
        Encoder client = Encoder.fromSnapshot(s);
        for (int i = 0; i < n; i++) {
            // The set's pixels are interleaved; the client takes [C, H, W].
            float[] hwc = set.image(i);
            float[] chw = new float[hwc.length];
            for (int p = 0; p < 256; p++) for (int c = 0; c < 3; c++) chw[c * 256 + p] = hwc[p * 3 + c];
            float[] expected = client.embed(chw);
            float[] actual = batched.getRow(i).toFloatVector();
            for (int j = 0; j < expected.length; j++) {
                assertThat(actual[j]).isCloseTo(expected[j], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }

    /** A snapshot of {@code net} initialised from {@code seed}, its batch norm statistics moved off 0 and 1. */
    private static EncoderSnapshot snapshot(LayerNet net, int[] inputShape, long seed) {
        INDArray params = net.newParams();
        INDArray stats = net.newStats();
        net.init(params, stats, seed);
        stats.addi(org.nd4j.linalg.factory.Nd4j.rand(stats.dataType(), stats.shape()).muli(0.5));
        return SnapshotCodec.fromNetwork(new SnapshotCodec.Header("f", 1, 1, 1, Instant.now(), inputShape, 0.45f, 0.25f), net,
                params, stats, Map.of());
    }

    private static byte[] randomBytes(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) rnd.nextInt(256);
        return b;
    }

    /** Sequences through a stack of GRUs that output every step, flattened, and through a pooled GRU. */
    @ParameterizedTest
    @ValueSource(strings = {"flattened", "pooled"})
    void everyStepGrusMatchTheJavaClient(String encoder) {
        Shape shape = Shape.sequence(7, 3);
        EncoderSpec spec = new EncoderSpec(shape, encoder.equals("flattened")
                ? List.of(LayerSpec.gru(5, true), LayerSpec.batchNorm(), LayerSpec.gru(4, true), LayerSpec.flatten())
                : List.of(LayerSpec.gru(6, true), LayerSpec.globalAvgPool(), LayerSpec.batchNorm()), List.of(LayerSpec.linear(4)));
        EncoderSnapshot s = snapshot(new LayerNet(encoder, spec, 1), new int[] {7, 3}, 5);
        // Sequences of 7 steps of 3 features, step after step, as the client takes [T, F].
        int n = 12;
        LabeledImages set = new LabeledImages("seq", 3, 1, 7, randomBytes(n * shape.size(), 6), new int[n], null);
        INDArray batched = SnapshotFeatures.extract(s, set);
        Encoder client = Encoder.fromSnapshot(s);
        assertThat(batched.columns()).isEqualTo(client.embeddingDim());
        for (int i = 0; i < n; i++) {
            float[] expected = client.embed(set.image(i));
            float[] actual = batched.getRow(i).toFloatVector();
            for (int j = 0; j < expected.length; j++) {
                assertThat(actual[j]).isCloseTo(expected[j], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }
    /**
     * A graph's centre after rounds of neighbourhood means: a path 0 - 1 - 2 and an absent node,
     * worked out by hand; with no rounds, the centre's own features (the raw ones).
     */
    @org.junit.jupiter.api.Test
    void propagatedFeaturesAreTheCentresNeighbourhoodMeans() {
        int nodes = io.kontrast.data.SbmGraphs.MAX_NODES;
        int f = io.kontrast.data.SbmGraphs.FEATURES;
        int row = io.kontrast.data.SbmGraphs.ROW;
        byte[] packed = new byte[nodes * row];
        float[][] x = new float[3][f];
        for (int v = 0; v < 4; v++) {
            for (int c = 0; c < f; c++) {
                int b = 128 + 3 * v + c - 8;
                packed[v * row + c] = (byte) b;
                if (v < 3) x[v][c] = (b - 128) / 32f;
            }
            packed[v * row + f + nodes] = (byte) (v < 3 ? 255 : 0);
        }
        int[][] edges = {{0, 1}, {1, 2}, {2, 3}}; // the last one to the absent node 3
        for (int[] e : edges) {
            packed[e[0] * row + f + e[1]] = (byte) 255;
            packed[e[1] * row + f + e[0]] = (byte) 255;
        }
        LabeledImages set = new LabeledImages("tiny-graphs", 1, nodes, row, packed, new int[] {0}, null);
        INDArray p = SnapshotFeatures.propagated(set, 2);
        assertThat(p.shape()).containsExactly(1L, 3L * f);
        for (int c = 0; c < f; c++) {
            double hop1Centre = (x[0][c] + x[1][c]) / 2;
            double hop1Middle = (x[0][c] + x[1][c] + x[2][c]) / 3;
            assertThat(p.getDouble(0, c)).isCloseTo(x[0][c], org.assertj.core.data.Offset.offset(1e-6));
            assertThat(p.getDouble(0, f + c)).isCloseTo(hop1Centre, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(p.getDouble(0, 2 * f + c)).isCloseTo((hop1Centre + hop1Middle) / 2, org.assertj.core.data.Offset.offset(1e-6));
        }
        LabeledImages sbm = io.kontrast.data.SbmGraphs.load("test").head(20);
        assertThat(SnapshotFeatures.propagated(sbm, 0)).isEqualTo(SnapshotFeatures.raw(sbm));
    }
}
