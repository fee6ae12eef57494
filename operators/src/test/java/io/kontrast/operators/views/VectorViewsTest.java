package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VectorViewsTest {
    static final int F = 400;
    static final float MEAN = 0.5f;
    static final float STD = 0.25f;

    static ViewSettings settings(double corruption, double noise, double mask) {
        return new ViewSettings(0.6, 0.5, 0.4, noise, MEAN, STD, 42).withVectorViews(corruption, mask);
    }

    /** Row {@code r}'s features are all {@code r * 1000 + j}: a replaced value names its donor row. */
    static float[][] batch(int rows) {
        float[][] x = new float[rows][F];
        for (int r = 0; r < rows; r++) for (int j = 0; j < F; j++) x[r][j] = r * 1000 + j;
        return x;
    }

    /**
     * SCARF: the first view is the sample, normalised; the second replaces about the corruption
     * rate of its features, each by the same feature of another row of the batch (never its own).
     */
    @Test
    void theSecondViewTakesTheCorruptionRateOfItsFeaturesFromOtherRowsFeatureByFeature() {
        float[][] x = batch(32);
        VectorViews views = new VectorViews(settings(0.6, 0, 0), F);
        float[] a = new float[F];
        float[] b = new float[F];
        int replaced = 0;
        java.util.Set<Integer> donors = new java.util.HashSet<>();
        for (int row = 0; row < 32; row++) {
            views.pair(x, 32, row, new SplittableRandom(row), a, b);
            for (int j = 0; j < F; j++) {
                assertThat(a[j]).isEqualTo((x[row][j] - MEAN) / STD);
                float raw = b[j] * STD + MEAN;
                int donor = Math.round((raw - j) / 1000);
                assertThat((double) raw).as("feature %d keeps its column", j).isCloseTo(donor * 1000 + j, within(0.5));
                if (donor != row) {
                    replaced++;
                    donors.add(donor);
                }
            }
        }
        assertThat(replaced / (32.0 * F)).isCloseTo(0.6, within(0.02));
        assertThat(donors).hasSize(32); // every row gives to others

        // Rate 0: the two views are the same; a batch of one row has no other to draw from.
        new VectorViews(settings(0, 0, 0), F).pair(x, 32, 3, new SplittableRandom(1), a, b);
        assertThat(b).isEqualTo(a);
        new VectorViews(settings(1, 0, 0), F).pair(x, 1, 0, new SplittableRandom(1), a, b);
        assertThat(b).isEqualTo(a);
    }

    @Test
    void noiseAndMaskingActOnBothViewsInTheSamplesUnits() {
        float[][] x = batch(8);
        float[] a = new float[F];
        float[] b = new float[F];
        // Noise of 0.1 in the sample's units is 0.1 / std after normalisation.
        new VectorViews(settings(0, 0.1, 0), F).pair(x, 8, 2, new SplittableRandom(3), a, b);
        double sa = 0;
        double sb = 0;
        for (int j = 0; j < F; j++) {
            double clean = (x[2][j] - MEAN) / STD;
            sa += (a[j] - clean) * (a[j] - clean);
            sb += (b[j] - clean) * (b[j] - clean);
        }
        assertThat(Math.sqrt(sa / F)).isCloseTo(0.1 / STD, within(0.05));
        assertThat(Math.sqrt(sb / F)).isCloseTo(0.1 / STD, within(0.05));
        // Masking sets a feature to the mean (0 after normalisation), in each view on its own.
        new VectorViews(settings(0, 0, 0.3), F).pair(x, 8, 2, new SplittableRandom(3), a, b);
        int maskedA = 0;
        int both = 0;
        for (int j = 0; j < F; j++) {
            if (a[j] == 0) maskedA++;
            if (a[j] == 0 && b[j] == 0) both++;
        }
        assertThat(maskedA / (double) F).isCloseTo(0.3, within(0.07));
        assertThat(both).isLessThan(maskedA);
    }

    /** In a batch the views come from each sample's own generator, so a rebuild gives the same batch. */
    @Test
    void batchViewsOfVectorsAreTheSameOnEveryBuild() {
        ViewSettings s = settings(0.6, 0.02, 0.1);
        float[][] x = batch(16);
        String[] ids = new String[16];
        for (int i = 0; i < 16; i++) ids[i] = "v-" + i;
        FloatBuffer a1 = FloatBuffer.allocate(16 * F);
        FloatBuffer b1 = FloatBuffer.allocate(16 * F);
        FloatBuffer a2 = FloatBuffer.allocate(16 * F);
        FloatBuffer b2 = FloatBuffer.allocate(16 * F);
        BatchViews views = new BatchViews(s, F, 1, 1);
        views.build(x, ids, null, 16, a1, b1, (helper, caller) -> {
            helper.run();
            caller.run();
        });
        new BatchViews(s, F, 1, 1).build(x, ids, null, 16, a2, b2, (helper, caller) -> {
            caller.run();
            helper.run();
        });
        assertThat(a2.array()).isEqualTo(a1.array());
        assertThat(b2.array()).isEqualTo(b1.array());
        assertThat(b1.array()).isNotEqualTo(a1.array());
        // Each row is the pair VectorViews builds from the sample's generator.
        float[] a = new float[F];
        float[] b = new float[F];
        new VectorViews(s, F).pair(x, 16, 5, new ViewAugmenter(s).randomFor("v-5"), a, b);
        assertThat(java.util.Arrays.copyOfRange(b1.array(), 5 * F, 6 * F)).isEqualTo(b);
    }
}
