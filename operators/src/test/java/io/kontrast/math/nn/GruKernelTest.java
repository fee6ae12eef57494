package io.kontrast.math.nn;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.math.Nd4jRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The GRU kernel on its own, in both output modes (the layer's last state, and every step's
 * state, which an objective's context model reads): backward through time against central
 * differences for the weights, the biases and the input, and forward against a step-by-step
 * evaluation of the GRU's equations.
 */
class GruKernelTest {
    static final int B = 3;
    static final int T = 4;
    static final int F = 2;
    static final int H = 3;

    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    @ParameterizedTest(name = "sequence output: {0}")
    @ValueSource(booleans = {false, true})
    void backwardThroughTimeMatchesFiniteDifferences(boolean sequence) {
        SplittableRandom rnd = new SplittableRandom(sequence ? 3 : 4);
        GruKernel k = GruKernel.allocate(B, T, F, H, sequence, DataType.DOUBLE);
        INDArray[] w = {LayerGradientTest.random(rnd, DataType.DOUBLE, F, 3 * H), LayerGradientTest.random(rnd, DataType.DOUBLE, H, 3 * H),
            LayerGradientTest.random(rnd, DataType.DOUBLE, 3 * H), LayerGradientTest.random(rnd, DataType.DOUBLE, 3 * H)};
        INDArray x = LayerGradientTest.random(rnd, DataType.DOUBLE, B * T, F);
        long outWidth = sequence ? (long) T * H : H;
        INDArray r = LayerGradientTest.random(rnd, DataType.DOUBLE, B, outWidth);
        INDArray y = org.nd4j.linalg.factory.Nd4j.create(DataType.DOUBLE, B, outWidth);
        k.forward(x, w[0], w[1], w[2], w[3], y);
        INDArray[] g = {w[0].like(), w[1].like(), w[2].like(), w[3].like()};
        INDArray dx = x.like();
        k.backward(x, w[0], w[1], r, dx, g[0], g[1], g[2], g[3]);

        List<String> wrong = new ArrayList<>();
        INDArray[] all = {w[0], w[1], w[2], w[3], x};
        INDArray[] grads = {g[0], g[1], g[2], g[3], dx};
        String[] names = {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "input"};
        double eps = 1e-6;
        for (int a = 0; a < all.length; a++) {
            INDArray v = all[a].reshape(-1);
            INDArray gv = grads[a].reshape(-1);
            for (long i = 0; i < v.length(); i++) {
                double orig = v.getDouble(i);
                v.putScalar(i, orig + eps);
                k.forward(x, w[0], w[1], w[2], w[3], y);
                double up = y.mul(r).sumNumber().doubleValue();
                v.putScalar(i, orig - eps);
                k.forward(x, w[0], w[1], w[2], w[3], y);
                double down = y.mul(r).sumNumber().doubleValue();
                v.putScalar(i, orig);
                double numeric = (up - down) / (2 * eps);
                if (Math.abs(gv.getDouble(i) - numeric) > 1e-7 + 1e-6 * Math.abs(numeric)) {
                    wrong.add(names[a] + "[" + i + "]: analytic " + gv.getDouble(i) + ", numeric " + numeric);
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @ParameterizedTest(name = "sequence output: {0}")
    @ValueSource(booleans = {false, true})
    void forwardFollowsTheEquations(boolean sequence) {
        SplittableRandom rnd = new SplittableRandom(9);
        GruKernel k = GruKernel.allocate(B, T, F, H, sequence, DataType.DOUBLE);
        double[][] wx = matrix(rnd, F, 3 * H);
        double[][] wh = matrix(rnd, H, 3 * H);
        double[] bx = matrix(rnd, 1, 3 * H)[0];
        double[] bh = matrix(rnd, 1, 3 * H)[0];
        double[][] x = matrix(rnd, B * T, F);
        INDArray y = org.nd4j.linalg.factory.Nd4j.create(DataType.DOUBLE, B, sequence ? T * H : H);
        k.forward(org.nd4j.linalg.factory.Nd4j.createFromArray(x), org.nd4j.linalg.factory.Nd4j.createFromArray(wx),
                org.nd4j.linalg.factory.Nd4j.createFromArray(wh), org.nd4j.linalg.factory.Nd4j.createFromArray(bx),
                org.nd4j.linalg.factory.Nd4j.createFromArray(bh), y);
        for (int b = 0; b < B; b++) {
            double[] h = new double[H];
            for (int t = 0; t < T; t++) {
                double[] next = new double[H];
                for (int j = 0; j < H; j++) {
                    double[] a = new double[3];
                    double[] c = new double[3];
                    for (int gate = 0; gate < 3; gate++) {
                        a[gate] = bx[gate * H + j];
                        for (int f = 0; f < F; f++) a[gate] += x[b * T + t][f] * wx[f][gate * H + j];
                        c[gate] = bh[gate * H + j];
                        for (int i = 0; i < H; i++) c[gate] += h[i] * wh[i][gate * H + j];
                    }
                    double rg = 1 / (1 + Math.exp(-(a[0] + c[0])));
                    double zg = 1 / (1 + Math.exp(-(a[1] + c[1])));
                    double n = Math.tanh(a[2] + rg * c[2]);
                    next[j] = (1 - zg) * n + zg * h[j];
                }
                h = next;
                if (sequence) {
                    for (int j = 0; j < H; j++) assertThat(y.getDouble(b, t * H + j)).isCloseTo(h[j], org.assertj.core.data.Offset.offset(1e-12));
                }
            }
            if (!sequence) {
                for (int j = 0; j < H; j++) assertThat(y.getDouble(b, j)).isCloseTo(h[j], org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }

    private static double[][] matrix(SplittableRandom rnd, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) for (int j = 0; j < cols; j++) row[j] = rnd.nextDouble() * 2 - 1;
        return m;
    }
}
