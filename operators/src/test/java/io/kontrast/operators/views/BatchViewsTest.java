package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class BatchViewsTest {
    private static final int N = 28 * 28;

    /**
     * The two parts, run on two threads at once, write each sample's pair exactly as one
     * augmenter builds it from the sample's id (whichever part took it), and leave skipped rows
     * alone.
     */
    @Test
    void twoPartsOnTwoThreadsBuildEachPairAsOneAugmenterDoes() {
        ViewSettings settings = new ViewSettings(0.6, 0.5, 0.4, 0.02, 0.286f, 0.353f, 42);
        int count = 61;
        SplittableRandom rnd = new SplittableRandom(5);
        float[][] pixels = new float[count][N];
        String[] ids = new String[count];
        boolean[] skip = new boolean[count];
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < N; j++) pixels[i][j] = (float) rnd.nextDouble();
            ids[i] = "sample-" + i;
            skip[i] = i % 7 == 3;
        }
        FloatBuffer first = FloatBuffer.allocate(count * N);
        FloatBuffer second = FloatBuffer.allocate(count * N);
        for (int i = 0; i < count * N; i++) {
            first.put(i, -7f);
            second.put(i, -7f);
        }
        new BatchViews(settings, 28, 28).build(pixels, ids, skip, count, first, second, (helper, caller) -> {
            CompletableFuture<Void> other = CompletableFuture.runAsync(helper);
            caller.run();
            other.join();
        });

        ViewAugmenter one = new ViewAugmenter(settings);
        float[] a = new float[N];
        float[] b = new float[N];
        float[] gotA = new float[N];
        float[] gotB = new float[N];
        for (int i = 0; i < count; i++) {
            first.get(i * N, gotA);
            second.get(i * N, gotB);
            if (skip[i]) {
                assertThat(gotA).as("skipped row %d", i).containsOnly(-7f);
                assertThat(gotB).as("skipped row %d", i).containsOnly(-7f);
                continue;
            }
            SplittableRandom r = one.randomFor(ids[i]);
            one.augment(pixels[i], 28, 28, r, a);
            one.augment(pixels[i], 28, 28, r, b);
            assertThat(gotA).as("first view of %d", i).isEqualTo(a);
            assertThat(gotB).as("second view of %d", i).isEqualTo(b);
        }
    }
}
