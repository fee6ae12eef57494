package io.kontrast.data;

import io.kontrast.math.Permutations;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The order in which a labelled set is streamed in one epoch, so that anyone can reproduce a
 * stream that is not shuffled:
 *
 * <ul>
 *   <li>{@code shuffled}: a fresh permutation each epoch;
 *   <li>{@code class-sorted}: every image of the smallest label, then every image of the next, and
 *       so on (each class in a fresh shuffle): a shop uploading one category at a time;
 *   <li>{@code drift}: runs of {@code runLength} images of one class, the class of each run drawn
 *       at random among those with images left this epoch: a camera that sees one scene for a
 *       while.
 * </ul>
 *
 * Every order streams each image exactly once per epoch; it depends only on the seed and the epoch.
 */
public enum StreamOrder {
    SHUFFLED,
    CLASS_SORTED,
    DRIFT;

    public static StreamOrder parse(String name) {
        for (StreamOrder o : values()) {
            if (o.optionName().equals(name)) return o;
        }
        throw new IllegalArgumentException("unknown order '" + name + "'; expected shuffled, class-sorted or drift");
    }

    public String optionName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The indices of {@code labels} in this order for one epoch. */
    public int[] epoch(int[] labels, int runLength, long seed) {
        int n = labels.length;
        SplittableRandom rnd = new SplittableRandom(seed);
        if (this == SHUFFLED) {
            return Permutations.fill(new int[n], rnd);
        }
        if (this == DRIFT && runLength < 1) {
            throw new IllegalArgumentException("the drift order needs a run length of at least 1, got " + runLength);
        }
        int classes = 0;
        for (int label : labels) {
            if (label < 0) {
                throw new IllegalArgumentException("the " + optionName() + " order needs a label for every image");
            }
            classes = Math.max(classes, label + 1);
        }
        // Each class's images in a fresh shuffle.
        int[] count = new int[classes];
        for (int label : labels) count[label]++;
        int[][] members = new int[classes][];
        for (int c = 0; c < classes; c++) members[c] = new int[count[c]];
        int[] fill = new int[classes];
        for (int i = 0; i < n; i++) members[labels[i]][fill[labels[i]]++] = i;
        for (int[] m : members) Permutations.shuffle(m, rnd);
        int[] out = new int[n];
        int o = 0;
        if (this == CLASS_SORTED) {
            for (int[] m : members) {
                System.arraycopy(m, 0, out, o, m.length);
                o += m.length;
            }
            return out;
        }
        int[] next = new int[classes];
        List<Integer> open = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            if (count[c] > 0) open.add(c);
        }
        while (!open.isEmpty()) {
            int pick = rnd.nextInt(open.size());
            int c = open.get(pick);
            int take = Math.min(runLength, count[c] - next[c]);
            System.arraycopy(members[c], next[c], out, o, take);
            o += take;
            next[c] += take;
            if (next[c] == count[c]) open.remove(pick);
        }
        return out;
    }
}
