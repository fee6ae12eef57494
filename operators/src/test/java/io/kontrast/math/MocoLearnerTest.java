package io.kontrast.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

class MocoLearnerTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    private static MocoLearner small(long seed) {
        return small(seed, 0.2);
    }

    private static MocoLearner small(long seed, double temperature) {
        var mlp = TestNets.mlp(10, 8, 8, 6);
        return new MocoLearner(mlp, new HyperParams(4, 16, temperature, 0.9, 0.05, 0.9, 1e-4, 0), seed);
    }

    /** T = 0.2 takes the softmax path with the anchor column; T = 0.02 (1/T > 40) shifts each row by its max. */
    @ParameterizedTest(name = "T = {0}")
    @ValueSource(doubles = {0.2, 0.02})
    void infoNceGradientMatchesFiniteDifferences(double temperature) {
        SplittableRandom rnd = new SplittableRandom(5);
        MocoLearner learner = small(1, temperature);
        INDArray a = TestNets.random(rnd, 4, 10);
        INDArray b = TestNets.random(rnd, 4, 10);
        learner.params().addi(TestNets.random(rnd, learner.network().paramCount()).muli(0.3));

        learner.lossAndGradient(a, b);
        INDArray grads = learner.gradients().dup();
        INDArray params = learner.params();
        double eps = temperature < 0.1 ? 2e-3 : 1e-2;
        for (long i = 0; i < params.length(); i += 2) {
            float orig = params.getFloat(i);
            params.putScalar(i, orig + eps);
            double up = learner.lossAndGradient(a, b);
            params.putScalar(i, orig - eps);
            double down = learner.lossAndGradient(a, b);
            params.putScalar(i, orig);
            double numeric = (up - down) / (2 * eps);
            assertThat(grads.getDouble(i))
                    .as("dLoss/dθ[%d]", i)
                    .isCloseTo(numeric, Offset.offset(2e-3 + 2e-2 * Math.abs(numeric)));
        }
    }

    /** The loss equals InfoNCE computed in double precision from the encoders' outputs and the queue. */
    @ParameterizedTest(name = "T = {0}")
    @ValueSource(doubles = {0.2, 0.07, 0.02})
    void lossMatchesADirectInfoNce(double temperature) {
        SplittableRandom rnd = new SplittableRandom(9);
        MocoLearner learner = small(2, temperature);
        INDArray a = TestNets.random(rnd, 4, 10);
        INDArray b = TestNets.random(rnd, 4, 10);
        learner.params().addi(TestNets.random(rnd, learner.network().paramCount()).muli(0.5));
        Network net = learner.network();
        double[][] q = unitRows(net.forward(learner.params(), learner.stats(), a, net.newWorkspace(4), true).dup());
        double[][] k = unitRows(net.forward(learner.keyParams(), null, b, net.newWorkspace(4), true).dup());
        double[][] queue = learner.queue().toDoubleMatrix();

        double expected = 0;
        for (int r = 0; r < 4; r++) {
            double pos = dot(q[r], k[r]) / temperature;
            double max = pos;
            double[] neg = new double[queue.length];
            for (int j = 0; j < queue.length; j++) {
                neg[j] = dot(q[r], queue[j]) / temperature;
                max = Math.max(max, neg[j]);
            }
            double sum = Math.exp(pos - max);
            for (double n : neg) sum += Math.exp(n - max);
            expected += max + Math.log(sum) - pos;
        }
        expected /= 4;
        assertThat(learner.lossAndGradient(a, b)).isCloseTo(expected, Offset.offset(1e-5 * Math.max(1, Math.abs(expected))));
    }

    private static double[][] unitRows(INDArray m) {
        double[][] rows = m.toDoubleMatrix();
        for (double[] row : rows) {
            double norm = Math.sqrt(dot(row, row));
            for (int i = 0; i < row.length; i++) row[i] /= norm;
        }
        return rows;
    }

    private static double dot(double[] x, double[] y) {
        double d = 0;
        for (int i = 0; i < x.length; i++) d += x[i] * y[i];
        return d;
    }

    @Test
    void lossFallsWhenInstancesRecurAndKeyEncoderFollows() {
        // 32 instances in 8 batches of 4; the queue (16 keys) never holds the current batch's own
        // instances, so the loss can only fall by learning to tell instances apart.
        SplittableRandom rnd = new SplittableRandom(9);
        MocoLearner learner = small(2);
        INDArray[] instances = new INDArray[8];
        for (int i = 0; i < 8; i++) {
            instances[i] = TestNets.random(rnd, 4, 10);
        }
        double early = 0;
        double late = 0;
        int steps = 400;
        for (int s = 0; s < steps; s++) {
            INDArray x = instances[s % 8];
            INDArray a = x.add(TestNets.random(rnd, 4, 10).muli(0.1));
            INDArray b = x.add(TestNets.random(rnd, 4, 10).muli(0.1));
            float loss = learner.step(a, b);
            if (s < 40) early += loss / 40;
            if (s >= steps - 40) late += loss / 40;
        }
        assertThat(late).isLessThan(early * 0.6);
        assertThat(learner.step()).isEqualTo(steps);
        assertThat(learner.queuePointer()).isEqualTo(steps * 4 % 16);
        // EMA keeps the key encoder close to, but not equal to, the query encoder.
        double dist = learner.params().distance2(learner.keyParams());
        assertThat(dist).isGreaterThan(0).isLessThan(learner.params().norm2Number().doubleValue());
    }

    @Test
    void nonFiniteInputSkipsTheStepAndChangesNothing() {
        SplittableRandom rnd = new SplittableRandom(4);
        MocoLearner learner = small(3);
        INDArray a = TestNets.random(rnd, 4, 10);
        learner.step(a, a);
        INDArray before = learner.params().dup();
        INDArray queueBefore = learner.queue().dup();
        INDArray bad = a.dup();
        bad.putScalar(0, 0, Float.NaN);
        assertThat(learner.step(bad, a)).isNaN();
        assertThat(learner.skippedSteps()).isEqualTo(1);
        assertThat(learner.step()).isEqualTo(1);
        assertThat(learner.params()).isEqualTo(before);
        assertThat(learner.queue()).isEqualTo(queueBefore);
    }

    @Test
    void symmetricLossAddsBothDirectionsAndEnqueuesBothKeySets() {
        SplittableRandom rnd = new SplittableRandom(12);
        var mlp = TestNets.mlp(10, 8, 8, 6);
        MocoLearner sym = new MocoLearner(mlp, new HyperParams(4, 16, 0.2, 0.9, 0.05, 0.9, 1e-4, 0, true), 2);
        MocoLearner one = new MocoLearner(mlp, new HyperParams(4, 16, 0.2, 0.9, 0.05, 0.9, 1e-4, 0, false), 2);
        INDArray a = TestNets.random(rnd, 4, 10);
        INDArray b = TestNets.random(rnd, 4, 10);
        double ab = one.lossAndGradient(a, b);
        double ba = one.lossAndGradient(b, a);
        assertThat((double) sym.step(a, b)).isCloseTo(ab + ba, Offset.offset(1e-4));
        assertThat(sym.queuePointer()).isEqualTo(8);

        INDArray[] instances = new INDArray[8];
        for (int i = 0; i < 8; i++) instances[i] = TestNets.random(rnd, 4, 10);
        double early = 0;
        double late = 0;
        for (int s = 0; s < 300; s++) {
            INDArray x = instances[s % 8];
            float loss = sym.step(x.add(TestNets.random(rnd, 4, 10).muli(0.1)), x.add(TestNets.random(rnd, 4, 10).muli(0.1)));
            if (s < 30) early += loss / 30;
            if (s >= 270) late += loss / 30;
        }
        assertThat(late).isLessThan(early * 0.8);
    }

    /**
     * Steps in two lanes (keys beside queries, each half of the batch's InfoNCE beside the other,
     * each layer's weight gradient beside its input gradient) give what one thread gives, on
     * both softmax paths and with the symmetric loss; an odd batch splits unevenly.
     */
    @ParameterizedTest(name = "T = {0}")
    @ValueSource(doubles = {0.2, 0.02})
    void twoLanesStepAsOneThreadDoes(double temperature) {
        for (boolean symmetric : new boolean[] {false, true}) {
            var mlp = TestNets.mlp(12, 16, 16, 8);
            HyperParams hp = new HyperParams(5, 20, temperature, 0.9, 0.05, 0.9, 1e-4, 0, symmetric);
            SplittableRandom rnd = new SplittableRandom(21);
            try (MocoLearner lanes = new MocoLearner(mlp, hp, 8, true);
                    MocoLearner one = new MocoLearner(mlp, hp, 8, false)) {
                assertThat(lanes.lanes()).as("two lanes on a machine with two cores").isTrue();
                assertThat(one.lanes()).isFalse();
                for (int s = 0; s < 6; s++) {
                    INDArray a = TestNets.random(rnd, 5, 12);
                    INDArray b = a.add(TestNets.random(rnd, 5, 12).muli(0.2));
                    // The lanes split GEMMs differently, so float rounding may differ (amplified by 1/T): to 5e-5 relative.
                    float expected = one.step(a, b);
                    assertThat(lanes.step(a, b)).isCloseTo(expected, Offset.offset(5e-5f * Math.max(1, Math.abs(expected))));
                }
                for (INDArray[] pair : new INDArray[][] {
                        {lanes.params(), one.params()}, {lanes.keyParams(), one.keyParams()},
                        {lanes.velocity(), one.velocity()}, {lanes.queue(), one.queue()}}) {
                    double scale = pair[1].amaxNumber().doubleValue();
                    assertThat(scale).isGreaterThan(0);
                    assertThat(pair[0].sub(pair[1]).amaxNumber().doubleValue()).isLessThan(5e-5 * Math.max(1, scale));
                }
                assertThat(lanes.step()).isEqualTo(6);
            }
        }
    }

    /** A learner restored key by key (as a checkpoint holds them, read with queueRow) scores a batch exactly as the original. */
    @Test
    void aQueueRestoredKeyByKeyGivesTheSameLoss() {
        SplittableRandom rnd = new SplittableRandom(31);
        try (MocoLearner original = small(4); MocoLearner restored = small(5)) {
            for (int s = 0; s < 7; s++) {
                INDArray a = TestNets.random(rnd, 4, 10);
                original.step(a, a.add(TestNets.random(rnd, 4, 10).muli(0.1)));
            }
            INDArray a = TestNets.random(rnd, 4, 10);
            INDArray b = TestNets.random(rnd, 4, 10);
            assertThat(restored.lossAndGradient(a, b)).isNotCloseTo(original.lossAndGradient(a, b), Offset.offset(1e-6));

            restored.params().assign(original.params());
            restored.keyParams().assign(original.keyParams());
            for (int slot = 0; slot < 16; slot++) {
                float[] key = original.queueRow(slot);
                assertThat(key).containsExactly(original.queue().getRow(slot).toFloatVector());
                restored.restoreQueueRow(slot, key);
            }
            assertThatThrownBy(() -> original.queueRow(16)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("slot 16");
            assertThat(restored.queue()).isEqualTo(original.queue());
            assertThat(restored.lossAndGradient(a, b)).isEqualTo(original.lossAndGradient(a, b));
        }
    }
}
