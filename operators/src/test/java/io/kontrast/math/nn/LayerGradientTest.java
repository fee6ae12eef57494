package io.kontrast.math.nn;

import static io.kontrast.math.nn.LayerSpec.avgPool2d;
import static io.kontrast.math.nn.LayerSpec.batchNorm;
import static io.kontrast.math.nn.LayerSpec.conv1d;
import static io.kontrast.math.nn.LayerSpec.conv2d;
import static io.kontrast.math.nn.LayerSpec.flatten;
import static io.kontrast.math.nn.LayerSpec.globalAvgPool;
import static io.kontrast.math.nn.LayerSpec.gru;
import static io.kontrast.math.nn.LayerSpec.l2Normalize;
import static io.kontrast.math.nn.LayerSpec.linear;
import static io.kontrast.math.nn.LayerSpec.maxPool2d;
import static io.kontrast.math.nn.LayerSpec.relu;
import static io.kontrast.math.nn.LayerSpec.residual;
import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.math.Nd4jRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every layer kind's backward pass against central differences, in double precision (as
 * PyTorch's gradcheck): dLoss/dθ of {@code loss = Σ out · r} for every parameter tensor (a sample
 * of each coordinate), in training mode, so batch norm couples the samples of the batch and the
 * check covers that too. A layer under test sits after a convolution, so that its input gradient
 * is checked through that convolution's parameters, and, where it has parameters of its own,
 * also first, where no input gradient is computed.
 */
class LayerGradientTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    static Stream<Arguments> networks() {
        Shape img = new Shape(2, 7, 6);
        return Stream.of(
                Arguments.of("conv2d 3x3 s1 p1, first", img, List.of(conv2d(3, 3, 1, 1)), 1),
                Arguments.of("conv2d 3x3 s2 p1, first", img, List.of(conv2d(3, 3, 2, 1)), 1),
                Arguments.of("conv2d 3x3 s2 p1 after conv2d", img, List.of(conv2d(3, 1, 1, 0), conv2d(4, 3, 2, 1)), 1),
                Arguments.of("conv2d 1x1 after conv2d", img, List.of(conv2d(3, 3, 1, 0), conv2d(2, 1, 1, 0)), 1),
                Arguments.of("conv2d 5x5 p2 s1 after conv2d", img, List.of(conv2d(3, 1, 1, 0), conv2d(2, 5, 1, 2)), 1),
                Arguments.of("batch_norm after conv2d", img, List.of(conv2d(3, 3, 1, 1), batchNorm()), 1),
                Arguments.of("batch_norm, two groups", img, List.of(conv2d(3, 3, 1, 1), batchNorm()), 2),
                Arguments.of("batch_norm first", img, List.of(batchNorm(), conv2d(2, 1, 1, 0)), 1),
                Arguments.of("relu after conv2d (in place)", img, List.of(conv2d(3, 3, 1, 1), relu()), 1),
                Arguments.of("relu after batch_norm (in place), then conv2d", img,
                        List.of(conv2d(3, 3, 1, 1), batchNorm(), relu(), conv2d(2, 3, 1, 1)), 1),
                Arguments.of("max_pool2d 2x2 s2", img, List.of(conv2d(3, 3, 1, 1), maxPool2d(2, 2)), 1),
                Arguments.of("max_pool2d 3x3 s2 (overlapping windows)", img, List.of(conv2d(3, 3, 1, 1), maxPool2d(3, 2)), 1),
                Arguments.of("avg_pool2d 2x2 s2", img, List.of(conv2d(3, 3, 1, 1), avgPool2d(2, 2)), 1),
                Arguments.of("avg_pool2d 3x3 s1 (overlapping windows)", img, List.of(conv2d(3, 3, 1, 1), avgPool2d(3, 1)), 1),
                Arguments.of("global_avg_pool", img, List.of(conv2d(3, 3, 1, 1), globalAvgPool()), 1),
                Arguments.of("flatten then linear", img, List.of(conv2d(3, 3, 2, 1), flatten(), linear(5)), 1),
                Arguments.of("linear first, then linear", Shape.vector(9), List.of(linear(6), linear(4)), 1),
                Arguments.of("linear, relu (applied by the linear), linear", Shape.vector(9), List.of(linear(6), relu(), linear(4)), 1),
                Arguments.of("flatten, linear, relu, linear, relu (both applied by their linears)", img,
                        List.of(flatten(), linear(6), relu(), linear(4), relu()), 1),
                Arguments.of("l2_normalize", img, List.of(conv2d(3, 3, 1, 1), l2Normalize()), 1),
                Arguments.of("residual, identity shortcut", img, List.of(conv2d(3, 3, 1, 1),
                        residual(List.of(conv2d(3, 3, 1, 1), batchNorm(), relu(), conv2d(3, 3, 1, 1)), List.of())), 1),
                Arguments.of("residual, projection shortcut", img, List.of(conv2d(3, 3, 1, 1),
                        residual(List.of(conv2d(4, 3, 2, 1), batchNorm(), relu(), conv2d(4, 3, 1, 1), batchNorm()),
                                List.of(conv2d(4, 1, 2, 0), batchNorm())), relu()), 2),
                Arguments.of("conv1d k3 s1 p1, first", Shape.sequence(9, 3), List.of(conv1d(4, 3, 1, 1)), 1),
                Arguments.of("conv1d k5 s2 p2 after conv1d, batch_norm, relu, global_avg_pool", Shape.sequence(11, 2),
                        List.of(conv1d(3, 3, 1, 0), batchNorm(), relu(), conv1d(4, 5, 2, 2), globalAvgPool()), 1),
                Arguments.of("conv1d then flatten then linear", Shape.sequence(8, 3),
                        List.of(conv1d(2, 3, 2, 1), flatten(), linear(5)), 1),
                Arguments.of("gru, first", Shape.sequence(5, 3), List.of(gru(4)), 1),
                Arguments.of("gru after conv1d and relu, then batch_norm and linear", Shape.sequence(7, 2),
                        List.of(conv1d(3, 3, 1, 1), relu(), gru(4), batchNorm(), linear(3)), 2),
                Arguments.of("gru with output sequence, first", Shape.sequence(5, 3), List.of(gru(4, true)), 1),
                Arguments.of("two stacked grus, the first every step, then batch_norm", Shape.sequence(6, 2),
                        List.of(gru(3, true), gru(4), batchNorm()), 2),
                Arguments.of("gru every step, batch_norm, global_avg_pool, linear", Shape.sequence(6, 3),
                        List.of(gru(4, true), batchNorm(), globalAvgPool(), linear(3)), 1),
                Arguments.of("residual first, identity shortcut", img,
                        List.of(residual(List.of(conv2d(2, 3, 1, 1), relu(), conv2d(2, 3, 1, 1)), List.of())), 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void backwardMatchesFiniteDifferences(String what, Shape input, List<LayerSpec> layers, int groups) {
        check(new LayerNet("test", new EncoderSpec(input, layers, List.of()), groups, DataType.DOUBLE), 6, 41);
    }

    /** A whole encoder with a head: the backbone's gradient arrives through the head. */
    @ParameterizedTest(name = "bn groups={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void aWholeNetworkWithAHeadMatchesFiniteDifferences(int groups) {
        EncoderSpec spec = new EncoderSpec(new Shape(3, 8, 8),
                List.of(conv2d(4, 3, 1, 1), batchNorm(), relu(),
                        residual(List.of(conv2d(4, 3, 1, 1), batchNorm(), relu(), conv2d(4, 3, 1, 1), batchNorm()), List.of()),
                        relu(), maxPool2d(2, 2),
                        residual(List.of(conv2d(6, 3, 2, 1), batchNorm(), relu(), conv2d(6, 3, 1, 1), batchNorm()),
                                List.of(conv2d(6, 1, 2, 0), batchNorm())),
                        relu(), globalAvgPool(), linear(5), batchNorm()),
                List.of(relu(), linear(5), relu(), linear(3)));
        check(new LayerNet("test", spec, groups, DataType.DOUBLE), 8, 7);
    }

    /**
     * {@code embedding} takes whole ids, not a smooth input: it is checked first, on random ids of
     * a small vocabulary (every row is hit), under a sequence encoder and under a GRU.
     */
    @ParameterizedTest(name = "embedding then {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"conv1d", "gru", "flatten"})
    void embeddingMatchesFiniteDifferences(String then) {
        int steps = 6;
        int vocab = 5;
        List<LayerSpec> layers = new ArrayList<>(List.of(LayerSpec.embedding(vocab, 3)));
        layers.addAll(switch (then) {
            case "conv1d" -> List.of(conv1d(4, 3, 1, 1), batchNorm(), relu(), flatten(), linear(3));
            case "gru" -> List.of(gru(4), batchNorm());
            default -> List.of(flatten(), linear(4));
        });
        LayerNet net = new LayerNet("test", new EncoderSpec(Shape.vector(steps), layers, List.of()), 1, DataType.DOUBLE);
        SplittableRandom rnd = new SplittableRandom(3);
        int batch = 6;
        double[] ids = new double[batch * steps];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(vocab);
        check(net, batch, 29, Nd4j.createFromArray(ids).reshape(batch, steps));
    }

    /**
     * {@code graph_conv} and {@code graph_centre} on packed graphs of up to 5 nodes of 3 features
     * (some absent, the adjacency symmetric): first, after another graph convolution, and under
     * batch norm and a linear layer.
     */
    @ParameterizedTest(name = "graph: {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"graph_conv, graph_centre", "two graph_convs, relu, centre, batch_norm, linear",
            "graph_conv, relu, residual [graph_conv], centre, batch_norm (the gcn preset's form)"})
    void graphLayersMatchFiniteDifferences(String what) {
        int nodes = 5;
        int features = 3;
        Shape graph = Shape.sequence(nodes, features + nodes + 1);
        List<LayerSpec> layers = what.startsWith("two")
                ? List.of(LayerSpec.graphConv(4), relu(), LayerSpec.graphConv(3), LayerSpec.graphCentre(), batchNorm(), linear(2))
                : what.contains("residual")
                ? List.of(LayerSpec.graphConv(4), relu(), residual(List.of(LayerSpec.graphConv(4)), List.of()), LayerSpec.graphCentre(),
                        batchNorm())
                : List.of(LayerSpec.graphConv(4), LayerSpec.graphCentre());
        LayerNet net = new LayerNet("test", new EncoderSpec(graph, layers, List.of()), 1, DataType.DOUBLE);
        int batch = 6;
        check(net, batch, 31, RandomGraphs.packed(new SplittableRandom(8), batch, nodes, features));
    }

    static void check(LayerNet net, int batch, long seed) {
        check(net, batch, seed, null);
    }

    /** {@code input}: the batch to check at, or null for a random one. */
    static void check(LayerNet net, int batch, long seed, INDArray input) {
        SplittableRandom rnd = new SplittableRandom(seed);
        INDArray params = net.newParams();
        INDArray stats = net.newStats();
        net.init(params, stats, seed);
        params.addi(random(rnd, DataType.DOUBLE, net.paramCount()).muli(0.3));
        INDArray x = input != null ? input : random(rnd, DataType.DOUBLE, batch, net.inputDim());
        INDArray r = random(rnd, DataType.DOUBLE, batch, net.outputDim());
        LayerNet.Workspace ws = net.newWorkspace(batch);

        net.forward(params, null, x, ws, true);
        INDArray grads = net.newParams();
        grads.assign(Double.NaN);
        net.backward(params, x, ws, r.dup(), grads);
        assertThat(Double.isFinite(grads.sumNumber().doubleValue())).as("every gradient written").isTrue();

        // Central differences hold only where the loss is smooth within ±eps: a coordinate whose
        // one-sided slopes disagree crosses a kink (ReLU, max) and is skipped, and counted.
        double eps = 1e-6;
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        int kinks = 0;
        for (LayerNet.Param p : net.params()) {
            INDArray pv = net.param(params, p.name()).reshape(-1);
            INDArray gv = net.param(grads, p.name()).reshape(-1);
            for (long i = 0; i < pv.length(); i += Math.max(1, pv.length() / 10)) {
                double orig = pv.getDouble(i);
                double center = loss(net, params, x, r, ws);
                pv.putScalar(i, orig + eps);
                double up = loss(net, params, x, r, ws);
                pv.putScalar(i, orig - eps);
                double down = loss(net, params, x, r, ws);
                pv.putScalar(i, orig);
                double right = (up - center) / eps;
                double left = (center - down) / eps;
                if (Math.abs(right - left) > 1e-4 * (1 + Math.abs(right))) {
                    kinks++;
                    continue;
                }
                double numeric = (up - down) / (2 * eps);
                double analytic = gv.getDouble(i);
                if (Math.abs(analytic - numeric) > 1e-6 + 1e-5 * Math.abs(numeric)) {
                    wrong.add(p.name() + "[" + i + "]: analytic " + analytic + ", numeric " + numeric);
                }
                checked++;
            }
        }
        assertThat(kinks).as("coordinates skipped at a kink").isLessThanOrEqualTo(Math.max(1, checked / 20));
        assertThat(checked).isGreaterThanOrEqualTo(10);
        assertThat(wrong).isEmpty();
    }

    private static double loss(LayerNet net, INDArray params, INDArray x, INDArray r, LayerNet.Workspace ws) {
        return net.forward(params, null, x, ws, true).mul(r).sumNumber().doubleValue();
    }

    static INDArray random(SplittableRandom rnd, DataType type, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextDouble() * 2 - 1;
        return Nd4j.createFromArray(v).castTo(type).reshape('c', shape);
    }
}
