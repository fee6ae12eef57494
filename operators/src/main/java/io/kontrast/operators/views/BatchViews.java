package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Builds the view pairs of a batch of samples into two row-major buffers (first views, second
 * views), in two parts that may run side by side: each part takes the next sample not yet taken,
 * so that a part that starts late leaves more to the other instead of holding it up. A sample's
 * pair comes from a generator seeded by its id, whichever part builds it. One augmenter and two
 * working views per part; not thread-safe beyond the two parts of one {@link #build} call.
 */
public final class BatchViews {
    private final ViewAugmenter[] augmenters;
    private final float[][][] views;
    private final AtomicInteger next = new AtomicInteger();
    private final int height;
    private final int width;

    public BatchViews(ViewSettings settings, int height, int width) {
        this.height = height;
        this.width = width;
        augmenters = new ViewAugmenter[] {new ViewAugmenter(settings), new ViewAugmenter(settings)};
        views = new float[2][2][height * width];
    }

    /**
     * Writes the pairs of samples {@code [0, count)} into rows of {@code first} and {@code
     * second}, skipping those marked in {@code skip} (null: none). {@code twoParts} runs its two
     * tasks (the second on this thread), side by side or one after the other.
     */
    public void build(float[][] pixels, String[] ids, boolean[] skip, int count, FloatBuffer first, FloatBuffer second,
            BiConsumer<Runnable, Runnable> twoParts) {
        next.set(0);
        twoParts.accept(() -> part(1, pixels, ids, skip, count, first, second), () -> part(0, pixels, ids, skip, count, first, second));
    }

    private void part(int p, float[][] pixels, String[] ids, boolean[] skip, int count, FloatBuffer first, FloatBuffer second) {
        ViewAugmenter aug = augmenters[p];
        float[] a = views[p][0];
        float[] b = views[p][1];
        int n = height * width;
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            if (skip != null && skip[i]) continue;
            SplittableRandom rnd = aug.randomFor(ids[i]);
            aug.augment(pixels[i], height, width, rnd, a);
            aug.augment(pixels[i], height, width, rnd, b);
            first.put(i * n, a);
            second.put(i * n, b);
        }
    }
}
