package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;

/**
 * Views of a feature vector, SCARF style: the first view is the sample itself, the second the
 * sample with a random subset of its features (each with probability {@code corruptionRate})
 * replaced by that feature's value in another sample of the batch, a draw from the feature's
 * empirical marginal. Then, on both views: normalisation {@code (x - mean) / std}, Gaussian noise
 * of {@code noiseStd} (in the sample's units, so {@code noiseStd / std} after normalisation), and
 * masking, each feature set to 0 (the mean) with {@code maskProbability}.
 *
 * <p>All draws come from the sample's own generator (seeded by its id, as for images), so a
 * batch's views are the same on every replay of that batch. Stateless; thread-safe.
 */
public final class VectorViews {
    private final ViewSettings s;
    private final int features;
    private final ChannelStats norm;

    public VectorViews(ViewSettings settings, int features) {
        this.s = settings;
        this.features = features;
        this.norm = settings.normalization(features);
    }

    /**
     * The pair of {@code batch[row]} into {@code a} and {@code b}, drawing replacements from rows
     * {@code [0, rows)} of {@code batch} other than {@code row} (with one row only, from itself).
     */
    public void pair(float[][] batch, int rows, int row, SplittableRandom rnd, float[] a, float[] b) {
        float[] x = batch[row];
        double rate = s.corruptionRate();
        for (int j = 0; j < features; j++) {
            float mean = norm.mean(j);
            float inv = norm.inv(j);
            a[j] = (x[j] - mean) * inv;
            float v = x[j];
            if (rate > 0 && rnd.nextDouble() < rate) {
                int other = rows <= 1 ? row : rnd.nextInt(rows - 1);
                if (rows > 1 && other >= row) other++;
                v = batch[other][j];
            }
            b[j] = (v - mean) * inv;
        }
        finish(a, rnd);
        finish(b, rnd);
    }

    private void finish(float[] v, SplittableRandom rnd) {
        double noise = s.noiseStd();
        double mask = s.maskProbability();
        if (noise == 0 && mask == 0) return;
        for (int j = 0; j < features; j++) {
            if (mask > 0 && rnd.nextDouble() < mask) {
                v[j] = 0;
            } else if (noise > 0) {
                v[j] += (float) (noise * norm.inv(j) * gaussian(rnd));
            }
        }
    }

    /** A standard normal draw (Box–Muller, one of the pair). */
    static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}
