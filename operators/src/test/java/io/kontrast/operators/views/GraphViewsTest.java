package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GraphViewsTest {
    static final int N = 8;
    static final int F = 5;
    static final int C = F + N + 1;

    static ViewSettings settings(double noise, double edgeDrop, double featureMask, double nodeDrop) {
        return new ViewSettings(0.6, 0.5, 0.4, noise, 0f, 1f, 42).withGraphViews(N, edgeDrop, featureMask, nodeDrop);
    }

    /** 6 of 8 nodes, every pair of them joined; feature f of node i is (i + 1) / 10 + f / 100. */
    static float[] clique() {
        float[] x = new float[N * C];
        for (int i = 0; i < 6; i++) {
            for (int f = 0; f < F; f++) x[i * C + f] = (i + 1) / 10f + f / 100f;
            for (int j = 0; j < 6; j++) if (j != i) x[i * C + F + j] = 1;
            x[i * C + F + N] = 1;
        }
        return x;
    }

    @Test
    void withEverythingOffAViewIsTheGraphItself() {
        float[] out = new float[N * C];
        new GraphViews(settings(0, 0, 0, 0), N, C).view(clique(), new SplittableRandom(1), out);
        assertThat(out).containsExactly(clique());
    }

    /** Dropped edges go both ways, at about their rate; the structure stays 0 and 1; absent nodes stay absent. */
    @Test
    void edgesDropSymmetricallyAtTheirRate() {
        GraphViews views = new GraphViews(settings(0, 0.3, 0, 0), N, C);
        SplittableRandom rnd = new SplittableRandom(5);
        int kept = 0;
        int all = 0;
        for (int v = 0; v < 300; v++) {
            float[] out = new float[N * C];
            views.view(clique(), rnd, out);
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    float a = out[i * C + F + j];
                    assertThat(a).isIn(0f, 1f).isEqualTo(out[j * C + F + i]);
                    if (i < j && i < 6 && j < 6) {
                        all++;
                        kept += (int) a;
                    }
                }
                if (i >= 6) assertThat(java.util.Arrays.copyOfRange(out, i * C, (i + 1) * C)).containsOnly(0f);
            }
        }
        assertThat(kept / (double) all).isCloseTo(0.7, within(0.03));
    }

    /** A masked feature is 0 in every node; noise moves only the features of nodes that exist; dropped nodes leave with their edges. */
    @Test
    void masksNoiseAndDroppedNodes() {
        float[] out = new float[N * C];
        new GraphViews(settings(0, 0, 0.5, 0), N, C).view(clique(), new SplittableRandom(3), out);
        int masked = 0;
        for (int f = 0; f < F; f++) {
            boolean zero = out[f] == 0;
            for (int i = 0; i < 6; i++) assertThat(out[i * C + f] == 0).isEqualTo(zero);
            if (zero) masked++;
        }
        assertThat(masked).isBetween(1, F - 1);

        new GraphViews(settings(0.05, 0, 0, 0), N, C).view(clique(), new SplittableRandom(3), out);
        float[] x = clique();
        for (int i = 0; i < N; i++) {
            for (int k = F; k < C; k++) assertThat(out[i * C + k]).isEqualTo(x[i * C + k]);
            if (i >= 6) assertThat(out[i * C]).isZero();
        }
        assertThat(out[0]).isNotEqualTo(x[0]);

        new GraphViews(settings(0, 0, 0, 0.5), N, C).view(clique(), new SplittableRandom(9), out);
        assertThat(out[F + N]).as("the centre stays").isEqualTo(1f);
        int dropped = 0;
        for (int i = 1; i < 6; i++) {
            if (out[i * C + F + N] == 0) {
                dropped++;
                assertThat(java.util.Arrays.copyOfRange(out, i * C, (i + 1) * C)).containsOnly(0f);
                for (int j = 0; j < N; j++) assertThat(out[j * C + F + i]).isZero();
            }
        }
        assertThat(dropped).isBetween(1, 4);
    }

    /** The clique with every feature moved by {@code shift}, so that each sample's rows are its own. */
    static float[] shifted(float shift) {
        float[] x = clique();
        for (int i = 0; i < 6; i++) for (int f = 0; f < F; f++) x[i * C + f] += shift;
        return x;
    }

    /** The neighbourhood corruption keeps the structure and permutes the present nodes' feature rows. */
    @Test
    void aNeighbourhoodCorruptionShufflesItsOwnRows() {
        float[] x = clique();
        float[] out = new float[N * C];
        new GraphViews(settings(0, 0, 0, 0), N, C).corrupt(x, new SplittableRandom(4), out, new int[2 * N]);
        java.util.List<String> rows = new java.util.ArrayList<>();
        java.util.List<String> shuffled = new java.util.ArrayList<>();
        int moved = 0;
        for (int i = 0; i < N; i++) {
            assertThat(java.util.Arrays.copyOfRange(out, i * C + F, (i + 1) * C)).containsExactly(java.util.Arrays.copyOfRange(x, i * C + F, (i + 1) * C));
            rows.add(java.util.Arrays.toString(java.util.Arrays.copyOfRange(x, i * C, i * C + F)));
            shuffled.add(java.util.Arrays.toString(java.util.Arrays.copyOfRange(out, i * C, i * C + F)));
            if (out[i * C] != x[i * C]) moved++;
        }
        assertThat(shuffled).containsExactlyInAnyOrderElementsOf(rows);
        assertThat(moved).isGreaterThan(0);
    }

    /**
     * The batch corruption keeps the view's structure and presence and gives each present node the
     * features of a present node of another sample of the batch, never of its own nor of a skipped
     * one; the same generator gives the same corruption.
     */
    @Test
    void aBatchCorruptionTakesOtherSamplesRows() {
        GraphViews views = new GraphViews(settings(0, 0, 0, 0), N, C);
        float[][] batch = {shifted(0), shifted(1), shifted(2), shifted(3)};
        boolean[] skip = {false, false, true, false};
        float[] out = new float[N * C];
        java.util.Set<Integer> sources = new java.util.HashSet<>();
        for (int seed = 0; seed < 20; seed++) {
            views.corruptFromBatch(batch[0], new boolean[F], batch, skip, 4, 0, new SplittableRandom(seed), out);
            for (int i = 0; i < N; i++) {
                assertThat(java.util.Arrays.copyOfRange(out, i * C + F, (i + 1) * C))
                        .containsExactly(java.util.Arrays.copyOfRange(batch[0], i * C + F, (i + 1) * C));
                if (i >= 6) {
                    assertThat(java.util.Arrays.copyOfRange(out, i * C, i * C + F)).containsOnly(0f);
                    continue;
                }
                int sample = (int) Math.floor(out[i * C]);
                int node = Math.round((out[i * C] - sample) * 10) - 1;
                assertThat(sample).as("another sample, not skipped").isIn(1, 3);
                assertThat(node).isBetween(0, 5);
                assertThat(java.util.Arrays.copyOfRange(out, i * C, i * C + F))
                        .containsExactly(java.util.Arrays.copyOfRange(batch[sample], node * C, node * C + F));
                sources.add(sample);
            }
            float[] again = new float[N * C];
            views.corruptFromBatch(batch[0], new boolean[F], batch, skip, 4, 0, new SplittableRandom(seed), again);
            assertThat(again).containsExactly(out);
        }
        assertThat(sources).containsExactlyInAnyOrder(1, 3);
    }

    /**
     * The corruption masks the features its view masked, and only those, so that the two differ in
     * their nodes' features alone; a batch of one draws from its own sample's nodes.
     */
    @Test
    void aBatchCorruptionMasksWhatItsViewMasked() {
        GraphViews views = new GraphViews(settings(0, 0, 0.5, 0), N, C);
        float[][] batch = {shifted(0), shifted(1)};
        int sawMasked = 0;
        for (int seed = 0; seed < 20; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            float[] view = new float[N * C];
            boolean[] masked = new boolean[F];
            views.view(batch[0], rnd, view, masked);
            float[] out = new float[N * C];
            views.corruptFromBatch(view, masked, batch, null, 2, 0, rnd, out);
            for (int f = 0; f < F; f++) {
                if (masked[f]) sawMasked++;
                for (int i = 0; i < 6; i++) {
                    assertThat(view[i * C + f] == 0).as("the view's mask").isEqualTo(masked[f]);
                    assertThat(out[i * C + f] == 0).as("the corruption's mask").isEqualTo(masked[f]);
                    if (!masked[f]) assertThat(out[i * C + f]).as("from the other sample").isGreaterThan(1f);
                }
            }
            views.corruptFromBatch(view, masked, new float[][] {batch[0]}, null, 1, 0, rnd, out);
            for (int i = 0; i < 6; i++) {
                for (int f = 0; f < F; f++) if (!masked[f]) assertThat(out[i * C + f]).as("its own nodes'").isLessThan(1f).isPositive();
            }
        }
        assertThat(sawMasked).isBetween(20, 80);
    }
}
