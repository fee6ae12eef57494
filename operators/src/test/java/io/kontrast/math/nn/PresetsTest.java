package io.kontrast.math.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kontrast.math.Nd4jRuntime;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class PresetsTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    private static void assertClose(INDArray actual, INDArray expected) {
        double scale = Math.max(1e-3, expected.norm2Number().doubleValue());
        assertThat(actual.distance2(expected) / scale).as("relative distance").isLessThan(1e-5);
    }

    /**
     * The mlp's linear layers apply their ReLUs in the bias pass and undo them in backward, and
     * with lanes split each backward GEMM pair over two threads: the same outputs, representation
     * and gradients as every layer on its own on one thread.
     */
    @Test
    void theMlpsFusedPassesAndLanesMatchTheLayersOnTheirOwn() {
        Shape shape = new Shape(3, 6, 5);
        LayerNet fused = new LayerNet("mlp", Presets.perceptron(shape, 1, 32, 24, 16), 1);
        LayerNet plain = new LayerNet("mlp", Presets.perceptron(shape, 1, 32, 24, 16), 1).unfused();
        INDArray params = fused.newParams();
        fused.init(params, fused.newStats(), 7);
        SplittableRandom rnd = new SplittableRandom(2);
        INDArray x = LayerGradientTest.random(rnd, DataType.FLOAT, 12, shape.size());
        INDArray dOut = LayerGradientTest.random(rnd, DataType.FLOAT, 12, 16);
        LayerNet.Workspace wf = fused.newWorkspace(12);
        LayerNet.Workspace wp = plain.newWorkspace(12);
        assertClose(fused.forward(params, null, x, wf, true).dup(), plain.forward(params, null, x, wp, true).dup());
        assertClose(fused.representation(wf).dup(), plain.representation(wp).dup());
        INDArray gf = fused.newParams();
        INDArray gp = plain.newParams();
        fused.backward(params, x, wf, dOut.dup(), gf);
        plain.backward(params, x, wp, dOut.dup(), gp);
        assertClose(gf, gp);
        assertThat(fused.concurrentForward()).isTrue();
        try (io.kontrast.math.Lanes lanes = io.kontrast.math.Lanes.forMachine("test-lane")) {
            assertThat(lanes).as("two lanes on a machine with two cores").isNotNull();
            INDArray gl = fused.newParams();
            fused.forward(params, null, x, wf, true);
            fused.backward(params, x, wf, dOut.dup(), gl, lanes);
            assertClose(gl, gp);
        }
    }

    @Test
    void evaluationUsesRunningStatisticsThatTrainingUpdates() {
        LayerNet net = new LayerNet("cnn", Presets.cnn(new Shape(1, 8, 8), 3, 4, 5, 3, true, false), 1);
        INDArray params = net.newParams();
        INDArray stats = net.newStats();
        net.init(params, stats, 5);
        INDArray x = LayerGradientTest.random(new SplittableRandom(1), DataType.FLOAT, 64, 64).muli(3).addi(1);
        var ws = net.newWorkspace(64);
        INDArray initial = stats.dup();
        // Many training passes on one batch: the running statistics converge to its statistics,
        // and evaluation then reproduces the training-mode output.
        for (int i = 0; i < 200; i++) net.forward(params, stats, x, ws, true);
        assertThat(stats).isNotEqualTo(initial);
        INDArray train = net.forward(params, null, x, ws, true).dup();
        INDArray eval = net.forward(params, stats, x, ws, false).dup();
        // Running variances are unbiased, batch variances are not: the two agree to about 1/n.
        assertThat(train.distance2(eval) / train.norm2Number().doubleValue()).isLessThan(0.05);
        // A null statistics buffer in training leaves the statistics alone.
        INDArray before = stats.dup();
        net.forward(params, null, x, ws, true);
        assertThat(stats).isEqualTo(before);
    }

    @Test
    void theResnetPresetFitsImagesOfSeveralSizes() {
        for (Shape in : new Shape[] {new Shape(3, 32, 32), new Shape(3, 64, 64), new Shape(1, 28, 28)}) {
            LayerNet net = new LayerNet("resnet", Presets.resnet(in, 8, 16), 2);
            INDArray p = net.newParams();
            INDArray s = net.newStats();
            net.init(p, s, 1);
            var ws = net.newWorkspace(4);
            INDArray out = net.forward(p, s, LayerGradientTest.random(new SplittableRandom(2), DataType.FLOAT, 4, in.size()), ws, true);
            assertThat(out.shape()).containsExactly(4, 16);
            assertThat(net.representationDim()).isEqualTo(32);
            assertThat(Double.isFinite(out.sumNumber().doubleValue())).isTrue();
        }
    }

    @Test
    void aLayerThatDoesNotFitItsInputIsNamedInTheError() {
        EncoderSpec linearOnImage = new EncoderSpec(new Shape(3, 8, 8),
                java.util.List.of(LayerSpec.conv2d(4, 3, 1, 1), LayerSpec.linear(5)), java.util.List.of());
        assertThatThrownBy(() -> new LayerNet("x", linearOnImage, 1))
                .hasMessageContaining("backbone.1 (linear)").hasMessageContaining("flatten");
        EncoderSpec bigKernel = new EncoderSpec(new Shape(3, 4, 4), java.util.List.of(LayerSpec.conv2d(4, 7, 1, 0)), java.util.List.of());
        assertThatThrownBy(() -> new LayerNet("x", bigKernel, 1)).hasMessageContaining("backbone.0 (conv2d)");
        EncoderSpec residualShape = new EncoderSpec(new Shape(3, 8, 8), java.util.List.of(
                LayerSpec.residual(java.util.List.of(LayerSpec.conv2d(4, 3, 2, 1)), java.util.List.of())), java.util.List.of());
        assertThatThrownBy(() -> new LayerNet("x", residualShape, 1)).hasMessageContaining("backbone.0 (residual)")
                .hasMessageContaining("shortcut");
    }
}
