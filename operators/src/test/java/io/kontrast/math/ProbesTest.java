package io.kontrast.math;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ProbesTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    /** n points in `classes` clusters around random directions, with noise `noise`. */
    static INDArray clusters(int n, int d, int classes, double noise, int[] labels, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        SplittableRandom centres = new SplittableRandom(99);
        float[][] c = new float[classes][d];
        for (float[] row : c) for (int j = 0; j < d; j++) row[j] = (float) centres.nextGaussian();
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            labels[i] = rnd.nextInt(classes);
            for (int j = 0; j < d; j++) x[i * d + j] = c[labels[i]][j] + (float) (noise * rnd.nextGaussian());
        }
        return Nd4j.createFromArray(x).reshape(n, d);
    }

    @Test
    void topKSelectionMatchesASort() {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] s = new float[1000];
        for (int i = 0; i < s.length; i++) s[i] = (float) rnd.nextGaussian();
        int[] top = new int[20];
        float[] topSim = new float[20];
        Probes.selectTopK(s, 0, s.length, 20, top, topSim);
        float[] sorted = s.clone();
        Arrays.sort(sorted);
        float[] expected = Arrays.copyOfRange(sorted, sorted.length - 20, sorted.length);
        float[] got = topSim.clone();
        Arrays.sort(got);
        assertThat(got).containsExactly(expected);
        for (int j = 0; j < 20; j++) assertThat(s[top[j]]).isEqualTo(topSim[j]);
    }

    @Test
    void knnAndLinearProbeSeparateClustersAndNotNoise() {
        int[] bankLabels = new int[2000];
        int[] testLabels = new int[500];
        INDArray bank = clusters(2000, 32, 10, 0.5, bankLabels, 1);
        INDArray test = clusters(500, 32, 10, 0.5, testLabels, 2);
        assertThat(Probes.knnAccuracy(bank, bankLabels, test, testLabels, 200, 0.1, 10)).isGreaterThan(0.95);
        assertThat(Probes.linearProbe(bank, bankLabels, test, testLabels, 10, 10, 3)).isGreaterThan(0.95);

        int[] shuffled = bankLabels.clone();
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < shuffled.length; i++) shuffled[i] = rnd.nextInt(10);
        assertThat(Probes.knnAccuracy(bank, shuffled, test, testLabels, 200, 0.1, 10)).isLessThan(0.25);
    }

    @Test
    void collapseSignalsTellCollapsedFromSpreadEmbeddings() {
        int[] labels = new int[400];
        INDArray spread = clusters(400, 64, 50, 1.0, labels, 3);
        INDArray collapsed = Nd4j.ones(400, 64).addi(Nd4j.rand(400, 64).muli(1e-4));
        assertThat(Probes.meanDimensionStd(spread)).isBetween(0.05, 0.2); // ~1/sqrt(64) = 0.125
        assertThat(Probes.meanDimensionStd(collapsed)).isLessThan(0.001);
        assertThat(Probes.uniformity(spread)).isLessThan(Probes.uniformity(collapsed) - 1);
        assertThat(Probes.alignment(spread, spread)).isLessThan(1e-6);
        assertThat(Probes.alignment(spread, spread.neg())).isGreaterThan(3.9);
    }
}
