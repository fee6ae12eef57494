package io.kontrast.math;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class CnnTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    /**
     * dLoss/dθ of loss = Σ out·r against central differences, for every parameter tensor (a
     * sample of each). Batch norm runs in training mode, so every sample's output depends on the
     * whole batch, and the check covers that too.
     */
    @ParameterizedTest(name = "batch norm groups={0}, head batch norm={1}")
    @CsvSource({"1, false", "2, false", "0, false", "2, true"})
    void backwardMatchesFiniteDifferences(int groups, boolean headBatchNorm) {
        boolean batchNorm = groups > 0;
        SplittableRandom rnd = new SplittableRandom(7 + groups);
        Cnn cnn = new Cnn(8, 8, 3, 4, 5, 3, batchNorm, Math.max(1, groups), headBatchNorm);
        INDArray params = cnn.newParams();
        INDArray stats = cnn.newStats();
        cnn.init(params, stats, 5);
        params.addi(MlpTest.random(rnd, cnn.paramCount()).muli(0.2));
        int batch = 6;
        INDArray x = MlpTest.random(rnd, batch, 64);
        INDArray r = MlpTest.random(rnd, batch, 3);
        Cnn.Workspace ws = cnn.newWorkspace(batch);

        cnn.forward(params, null, x, ws, true);
        INDArray grads = cnn.newParams();
        cnn.backward(params, x, ws, r.dup(), grads);

        // Central differences are only valid where the loss is smooth within ±eps; ReLU and max
        // pooling have kinks, so a coordinate whose two one-sided slopes disagree is a kink
        // crossing, not a test of the backward pass, and is skipped (and counted).
        double eps = 1e-3;
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        int kinks = 0;
        for (String name : cnn.paramNames()) {
            INDArray p = cnn.param(params, name).reshape(-1);
            INDArray g = cnn.param(grads, name).reshape(-1);
            for (long i = 0; i < p.length(); i += Math.max(1, p.length() / 12)) {
                float orig = p.getFloat(i);
                double center = loss(cnn, params, x, r, ws);
                p.putScalar(i, orig + eps);
                double up = loss(cnn, params, x, r, ws);
                p.putScalar(i, orig - eps);
                double down = loss(cnn, params, x, r, ws);
                p.putScalar(i, orig);
                double right = (up - center) / eps;
                double left = (center - down) / eps;
                if (Math.abs(right - left) > 5e-3 * (1 + Math.abs(right))) {
                    kinks++;
                    continue;
                }
                double numeric = (up - down) / (2 * eps);
                double analytic = g.getDouble(i);
                // First-layer weights under batch norm move every pre-activation of the network,
                // so small kinks the one-sided test cannot see bias the estimate: wider tolerance.
                double abs = batchNorm && name.equals("conv1.weight") ? 2e-2 : 2e-3;
                if (Math.abs(analytic - numeric) > abs + 1e-2 * Math.abs(numeric)) {
                    wrong.add(name + "[" + i + "]: analytic " + analytic + ", numeric " + numeric);
                }
                checked++;
            }
        }
        assertThat(kinks).as("coordinates skipped at a kink").isLessThan(checked / 4);
        assertThat(checked).isGreaterThan(80);
        assertThat(wrong).isEmpty();
    }

    private static double loss(Cnn cnn, INDArray params, INDArray x, INDArray r, Cnn.Workspace ws) {
        return cnn.forward(params, null, x, ws, true).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                .mul(r.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)).sumNumber().doubleValue();
    }

    @Test
    void evaluationUsesRunningStatisticsThatTrainingUpdates() {
        SplittableRandom rnd = new SplittableRandom(1);
        Cnn cnn = new Cnn(8, 8, 3, 4, 5, 3, true, 1);
        INDArray params = cnn.newParams();
        INDArray stats = cnn.newStats();
        cnn.init(params, stats, 5);
        INDArray x = MlpTest.random(rnd, 64, 64).muli(3).addi(1);
        Cnn.Workspace ws = cnn.newWorkspace(64);
        INDArray initial = stats.dup();
        // Many training passes on one batch: the running statistics converge to its statistics,
        // and evaluation then reproduces the training-mode output.
        for (int i = 0; i < 200; i++) {
            cnn.forward(params, stats, x, ws, true);
        }
        assertThat(stats).isNotEqualTo(initial);
        INDArray train = cnn.forward(params, null, x, ws, true).dup();
        INDArray eval = cnn.forward(params, stats, x, ws, false).dup();
        // Running variances are unbiased, batch variances are not: the two agree to about 1/n.
        double scale = train.norm2Number().doubleValue();
        assertThat(train.distance2(eval) / scale).isLessThan(0.05);
        // A null stats buffer in training leaves the statistics alone.
        INDArray before = stats.dup();
        cnn.forward(params, null, x, ws, true);
        assertThat(stats).isEqualTo(before);
    }

    @Test
    void standardShape() {
        Cnn cnn = Cnn.standard(true);
        assertThat(cnn.inputDim()).isEqualTo(784);
        assertThat(cnn.flatDim()).isEqualTo(7 * 7 * 64);
        assertThat(cnn.representationDim()).isEqualTo(256);
        assertThat(cnn.outputDim()).isEqualTo(128);
        INDArray params = cnn.newParams();
        INDArray stats = cnn.newStats();
        cnn.init(params, stats, 1);
        Cnn.Workspace ws = cnn.newWorkspace(3);
        INDArray out = cnn.forward(params, stats, MlpTest.random(new SplittableRandom(2), 3, 784), ws, false);
        assertThat(out.shape()).containsExactly(3, 128);
        assertThat(cnn.representation(ws).shape()).containsExactly(3, 256);
        assertThat(Double.isFinite(out.sumNumber().doubleValue())).isTrue();
        assertThat(cnn.param(params, "bn2.gamma").minNumber().doubleValue()).isEqualTo(1.0);
    }
}
