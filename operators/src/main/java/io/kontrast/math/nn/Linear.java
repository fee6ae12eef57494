package io.kontrast.math.nn;

import io.kontrast.math.HeapPass;
import io.kontrast.math.Lanes;
import io.kontrast.math.Sgemm;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
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

    /**
     * Heap arrays for the bias, ReLU and column-sum passes of a float network ({@link HeapPass}:
     * one bulk copy and one vectorised loop beat an ND4J call on a batch); null in double precision.
     */
    private record Heap(float[] scratch, float[] mask, float[] row) {}

    @Override
    Object bind(Node n, int groups) {
        n.scratch[0] = n.scratch[0].reshape('c', 1, n.in.batch).assign(1);
        if (n.out.flat.dataType() != DataType.FLOAT) {
            return null;
        }
        int size = n.in.batch * out.size();
        return new Heap(new float[size], n.fusedRelu ? new float[size] : null, new float[out.size()]);
    }

    @Override
    void forward(Node n, Pass pass) {
        INDArray[] p = pass.p(this);
        Sgemm.gemm(n.in.flat, p[0], n.out.flat, false, false, 1.0, 0.0);
        if (n.state instanceof Heap h) {
            HeapPass.addBias(n.out.flat, p[1], n.fusedRelu, h.scratch(), h.row());
        } else {
            n.out.flat.addiRowVector(p[1]);
            if (n.fusedRelu) {
                Relu.forward(n.out.flat, n.out.flat);
            }
        }
    }

    /**
     * The bias gradient, the column sums of dOut; with a fused ReLU, dOut is first zeroed where
     * the output is not positive (the ReLU's backward pass).
     */
    private void biasGradient(Node n, INDArray db) {
        if (n.state instanceof Heap h) {
            if (n.fusedRelu) {
                HeapPass.reluBackwardColumnSums(n.out.flat, n.dOut.flat, db, h.scratch(), h.mask(), h.row());
            } else {
                HeapPass.columnSums(n.dOut.flat, db, h.scratch(), h.row());
            }
            return;
        }
        if (n.fusedRelu) {
            Relu.backward(n.out.flat, n.dOut.flat, n.dOut.flat);
        }
        Sgemm.gemm(n.scratch[0], n.dOut.flat, db.reshape('c', 1, out.size()), false, false, 1.0, 0.0);
    }

    @Override
    void backward(Node n, Pass pass) {
        INDArray[] p = pass.p(this);
        INDArray[] g = pass.g(this);
        biasGradient(n, g[1]);
        Sgemm.gemm(n.in.flat, n.dOut.flat, g[0], true, false, 1.0, 0.0);
        if (n.dIn != null) {
            Sgemm.gemm(n.dOut.flat, p[0], n.dIn.flat, false, true, 1.0, 0.0);
        }
    }

    /**
     * The weight gradient beside the input gradient, one per lane; a first layer (no input
     * gradient) splits its weight gradient's rows (input features) over the two.
     */
    @Override
    void backward(Node n, Pass pass, Lanes lanes) {
        INDArray[] p = pass.p(this);
        INDArray[] g = pass.g(this);
        INDArray x = n.in.flat;
        INDArray dy = n.dOut.flat;
        biasGradient(n, g[1]);
        if (n.dIn != null) {
            lanes.run(() -> Sgemm.gemm(x, dy, g[0], true, false, 1.0, 0.0),
                    () -> Sgemm.gemm(dy, p[0], n.dIn.flat, false, true, 1.0, 0.0));
        } else if (Sgemm.splitsRows(x, dy, g[0])) {
            int half = in.size() / 2;
            lanes.run(() -> Sgemm.transposedProductRows(x, dy, g[0], half, in.size()),
                    () -> Sgemm.transposedProductRows(x, dy, g[0], 0, half));
        } else {
            Sgemm.gemm(x, dy, g[0], true, false, 1.0, 0.0);
        }
    }

    @Override
    boolean concurrentForward() {
        return true;
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
