package io.kontrast.math.nn;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Random packed graphs for tests: each of 2..{@code nodes} nodes present, features in [-1, 1), symmetric edges. */
public final class RandomGraphs {
    private RandomGraphs() {}

    /** {@code count} packed graphs of {@code nodes} node slots of {@code features} features, {@code [count, nodes·(features + nodes + 1)]}, double. */
    public static INDArray packed(SplittableRandom rnd, int count, int nodes, int features) {
        int c = features + nodes + 1;
        double[] v = new double[count * nodes * c];
        for (int g = 0; g < count; g++) {
            int present = 2 + rnd.nextInt(nodes - 1);
            for (int i = 0; i < present; i++) {
                int row = (g * nodes + i) * c;
                for (int f = 0; f < features; f++) v[row + f] = rnd.nextDouble() * 2 - 1;
                v[row + features + nodes] = 1;
                for (int j = 0; j < i; j++) {
                    if (rnd.nextBoolean()) {
                        v[row + features + j] = 1;
                        v[(g * nodes + j) * c + features + i] = 1;
                    }
                }
            }
        }
        return Nd4j.createFromArray(v).reshape(count, (long) nodes * c);
    }
}
