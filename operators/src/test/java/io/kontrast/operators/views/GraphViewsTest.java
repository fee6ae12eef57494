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
}
