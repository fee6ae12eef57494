package io.kontrast.math;

import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.Presets;
import io.kontrast.math.nn.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small networks and random arrays for the learner tests. */
public final class TestNets {
    private TestNets() {}

    /**
     * An MLP on vectors of {@code dims[0]} values: linear layers of {@code dims[1..]} with a ReLU
     * after every one but the last, the first (with its ReLU) the backbone.
     */
    public static LayerNet mlp(int... dims) {
        return new LayerNet("mlp", Presets.perceptron(Shape.vector(dims[0]), 1, Arrays.copyOfRange(dims, 1, dims.length)), 1);
    }

    /** Uniform values in [-1, 1). */
    public static INDArray random(SplittableRandom rnd, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return Nd4j.createFromArray(v).reshape(shape);
    }
}
