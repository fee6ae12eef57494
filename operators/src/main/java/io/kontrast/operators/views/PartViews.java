package io.kontrast.operators.views;

import io.kontrast.math.nn.Shape;
import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Views of a paired sample whose parts are of different kinds: each part, a slice of the row,
 * gets the views of its own kind, as a sample of that kind would: an image part the image views
 * (gray or colour: crop, flip, jitter, noise), a sequence part the sequence views, a vector part
 * the vector views (noise and masking; never SCARF's corruption, which would mix one sample's part
 * with another's). Each part's two views are drawn one after the other from the sample's
 * generator, parts in order. One per thread part of {@link BatchViews}; keeps its working arrays.
 */
final class PartViews {
    private final Shape[] shapes;
    private final int[] offsets;
    private final VectorViews[] vectors;
    private final SequenceViews[] sequences;
    private final float[][] source;
    private final float[][] first;
    private final float[][] second;
    /** One row, for {@link VectorViews#pair}, which draws from a batch (none: corruption is off for pairs). */
    private final float[][] row = new float[1][];

    PartViews(ViewSettings settings, List<Shape> parts) {
        int n = parts.size();
        shapes = parts.toArray(new Shape[0]);
        offsets = new int[n];
        vectors = new VectorViews[n];
        sequences = new SequenceViews[n];
        source = new float[n][];
        first = new float[n][];
        second = new float[n][];
        int offset = 0;
        for (int p = 0; p < n; p++) {
            Shape s = shapes[p];
            if (!s.isVector() && !s.isSequence() && s.channels() != 1 && s.channels() != 3) {
                throw new IllegalArgumentException("part " + p + ": image views take 1 or 3 channels, got " + s);
            }
            offsets[p] = offset;
            offset += s.size();
            if (s.isVector()) vectors[p] = new VectorViews(settings, s.size());
            if (s.isSequence()) sequences[p] = new SequenceViews(settings, s.steps(), s.channels());
            source[p] = new float[s.size()];
            first[p] = new float[s.size()];
            second[p] = new float[s.size()];
        }
    }

    /** Whether any of {@code parts} is not a vector: only then do the parts need views of their own kinds. */
    static boolean needed(List<Shape> parts) {
        return parts.stream().anyMatch(s -> !s.isVector());
    }

    /** The two views of {@code x} (all parts, in order) into {@code a} and {@code b}. */
    void pair(float[] x, SplittableRandom rnd, ViewAugmenter gray, ColorAugmenter colour, float[] a, float[] b) {
        for (int p = 0; p < shapes.length; p++) {
            Shape s = shapes[p];
            float[] src = source[p];
            float[] u = first[p];
            float[] v = second[p];
            System.arraycopy(x, offsets[p], src, 0, src.length);
            if (vectors[p] != null) {
                row[0] = src;
                vectors[p].pair(row, 1, 0, rnd, u, v);
            } else if (sequences[p] != null) {
                sequences[p].view(src, rnd, u);
                sequences[p].view(src, rnd, v);
            } else if (s.channels() == 3) {
                colour.augment(src, s.height(), s.width(), rnd, u);
                colour.augment(src, s.height(), s.width(), rnd, v);
            } else {
                gray.augment(src, s.height(), s.width(), rnd, u);
                gray.augment(src, s.height(), s.width(), rnd, v);
            }
            System.arraycopy(u, 0, a, offsets[p], u.length);
            System.arraycopy(v, 0, b, offsets[p], v.length);
        }
    }
}
