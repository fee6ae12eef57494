package io.kontrast.math.nn;

import io.kontrast.math.Sgemm;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code linear}: {@code y = x W + b} on a vector, W of shape {@code [in, out]}. Forward is one
 * GEMM and a bias add; backward {@code dW = xᵀ dy}, {@code db = 1ᵀ dy} (a GEMV against a ones
 * row) and {@code dx = dy Wᵀ}.
 */
final class Linear extends Layer {
    Linear(String name, Shape in, int outFeatures) {
        super(name, in, checked(name, in, outFeatures));
    }

    private static Shape checked(String name, Shape in, int out) {
        if (!in.isVector()) {
            throw new IllegalArgumentException("layer " + name + " (linear): needs a vector input, got " + in
                    + "; put flatten or global_avg_pool before it");
        }
        if (out < 1) {
            throw new IllegalArgumentException("layer " + name + " (linear): needs out_features >= 1, got " + out);
        }
        return Shape.vector(out);
    }

    @Override
    String kind() {
        return "linear";
    }

    @Override
    List<Tensor> tensors() {
        return List.of(new Tensor("weight", in.size(), out.size()), new Tensor("bias", out.size()));
    }

    @Override
    void init(double[] params, double[] stats, SplittableRandom rnd) {
        uniform(params, rnd, paramOffset, paramOffset + paramCount(), in.size());
    }

    @Override
    long[] scratch(int batch, int groups, boolean inputGrad, boolean inputWritable) {
        return new long[] {batch};
    }

    @Override
    Object bind(Node n, int groups) {
        n.scratch[0] = n.scratch[0].reshape('c', 1, n.in.batch).assign(1);
        return null;
    }

    @Override
    void forward(Node n, Pass pass) {
        INDArray[] p = pass.p(this);
        Sgemm.gemm(n.in.flat, p[0], n.out.flat, false, false, 1.0, 0.0);
        n.out.flat.addiRowVector(p[1]);
    }

    @Override
    void backward(Node n, Pass pass) {
        INDArray[] p = pass.p(this);
        INDArray[] g = pass.g(this);
        Sgemm.gemm(n.in.flat, n.dOut.flat, g[0], true, false, 1.0, 0.0);
        Sgemm.gemm(n.scratch[0], n.dOut.flat, g[1].reshape('c', 1, out.size()), false, false, 1.0, 0.0);
        if (n.dIn != null) {
            Sgemm.gemm(n.dOut.flat, p[0], n.dIn.flat, false, true, 1.0, 0.0);
        }
    }

    @Override
    double flops() {
        return 2.0 * in.size() * out.size();
    }

    @Override
    Map<String, String> attributes() {
        return Map.of("in_features", Integer.toString(in.size()), "out_features", Integer.toString(out.size()));
    }
}
