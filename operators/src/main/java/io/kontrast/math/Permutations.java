package io.kontrast.math;

import java.util.SplittableRandom;

/** Seeded random permutations. */
public final class Permutations {
    private Permutations() {}

    /**
     * Fills {@code a} with a uniformly random permutation of {@code 0 .. a.length - 1}
     * (Fisher–Yates, drawing from {@code rnd}), and returns it.
     */
    public static int[] fill(int[] a, SplittableRandom rnd) {
        for (int i = 0; i < a.length; i++) a[i] = i;
        return shuffle(a, rnd);
    }

    /** Shuffles {@code a} in place (Fisher–Yates, drawing from {@code rnd}), and returns it. */
    public static int[] shuffle(int[] a, SplittableRandom rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
