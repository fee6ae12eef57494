package io.kontrast.math.nn;

import io.kontrast.math.Sgemm;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code batch_norm}: per channel, {@code y = γ (x − μ) / sqrt(σ² + ε) + β}; γ and β are trained
 * parameters, the running mean and variance live in the statistics buffer.
 *
 * <p>In training, each of {@code groups} equal, consecutive groups of the batch is normalised with
 * its own statistics (split batch norm: MoCo's shuffle BN on one machine), and the running
 * statistics follow the groups' mean statistics (momentum 0.1, unbiased variance, as PyTorch).
 * Otherwise the running statistics are used. Column sums are GEMVs against a ones row (ND4J's
 * column reductions were 25× slower).
 *
 * <p>Backward, per group: {@code dβ = Σ dy}, {@code dγ = Σ dy x̂}, {@code dx = γ/σ (dy − dβ/m − x̂
 * dγ/m)}; dγ and dβ sum over the groups.
 */
final class BatchNorm extends Layer {
    static final double EPS = 1e-5;
    static final double MOMENTUM = 0.1;

    BatchNorm(String name, Shape in) {
        super(name, in, in);
    }

    @Override
    String kind() {
        return "batch_norm";
    }

    @Override
    List<Tensor> tensors() {
        return List.of(new Tensor("gamma", in.channels()), new Tensor("beta", in.channels()));
    }

    @Override
    long statsCount() {
        return 2L * in.channels();
    }

    @Override
    void init(double[] params, double[] stats, SplittableRandom rnd) {
        int c = in.channels();
        for (int i = 0; i < c; i++) {
            params[(int) paramOffset + i] = 1;
            stats[(int) statsOffset + c + i] = 1;
        }
    }

    @Override
    long[] scratch(int batch, int groups, boolean inputGrad, boolean inputWritable) {
        long n = (long) batch * in.size();
        // x̂ (unless it may overwrite the input, as the input is not needed after), a temporary
        // for dy·x̂ where dIn cannot serve as one; ones; per group μ, σ², 1/σ.
        return new long[] {inputWritable ? 0 : n, inputGrad ? 0 : n, (long) batch * in.area() / groups, 3L * groups * in.channels()};
    }

    /** One group's rows of every matrix the passes touch, and its statistics. */
    static final class Group {
        INDArray x;
        INDArray xhat;
        INDArray y;
        INDArray dy;
        INDArray dx;
        INDArray mean;
        INDArray var;
        INDArray invStd;
    }

    /** Per-workspace state: the groups, and the ones row for column sums. */
    static final class State {
        Group[] groups;
        INDArray xhat;
        INDArray tmp;
        INDArray ones;
    }

    @Override
    Object bind(Node n, int groups) {
        int c = in.channels();
        long rows = (long) n.in.batch * in.area();
        State st = new State();
        Act xhat = n.inputWritable ? n.in : n.scratchAct(0, in);
        Act tmp = n.dIn != null ? n.dIn : n.scratchAct(1, in);
        st.xhat = xhat.rows;
        st.tmp = tmp.rows;
        st.ones = n.scratch[2].reshape('c', 1, rows / groups).assign(1);
        st.groups = new Group[groups];
        for (int gi = 0; gi < groups; gi++) {
            Group g = new Group();
            long from = gi * (rows / groups);
            long to = from + rows / groups;
            g.x = n.in.rows(from, to);
            g.xhat = xhat == n.in ? g.x : xhat.rows(from, to);
            g.y = n.out.rows(from, to);
            g.dy = n.dOut == null ? null : n.dOut.rows(from, to);
            g.dx = tmp.rows(from, to);
            g.mean = n.scratchRange(3, (3L * gi) * c, c).reshape('c', 1, c);
            g.var = n.scratchRange(3, (3L * gi + 1) * c, c).reshape('c', 1, c);
            g.invStd = n.scratchRange(3, (3L * gi + 2) * c, c).reshape('c', 1, c);
            st.groups[gi] = g;
        }
        return st;
    }

    @Override
    void forward(Node n, Pass pass) {
        State st = (State) n.state;
        INDArray[] p = pass.p(this);
        INDArray gamma = p[0];
        INDArray beta = p[1];
        INDArray[] running = pass.s(this);
        if (!pass.training) {
            // y = x s + (β − μ s), s = γ / sqrt(σ² + ε).
            Group g = st.groups[0];
            g.invStd.assign(running[1].reshape(1, -1)).addi(EPS);
            Nd4j.getExecutioner().exec(new RSqrt(g.invStd, g.invStd));
            g.invStd.muliRowVector(gamma);
            g.mean.assign(running[0].reshape(1, -1)).muli(g.invStd).negi().addiRowVector(beta);
            n.out.rows.assign(n.in.rows).muliRowVector(g.invStd).addiRowVector(g.mean);
            return;
        }
        int groups = st.groups.length;
        double m = (double) n.in.rows.rows() / groups;
        for (Group g : st.groups) {
            Sgemm.gemm(st.ones, g.x, g.mean, false, false, 1.0 / m, 0.0);
            if (g.xhat != g.x) {
                g.xhat.assign(g.x);
            }
            g.xhat.subiRowVector(g.mean);
            g.y.assign(g.xhat).muli(g.xhat);
            Sgemm.gemm(st.ones, g.y, g.var, false, false, 1.0 / m, 0.0);
            g.invStd.assign(g.var).addi(EPS);
            Nd4j.getExecutioner().exec(new RSqrt(g.invStd, g.invStd));
            g.xhat.muliRowVector(g.invStd);
        }
        n.out.rows.assign(st.xhat).muliRowVector(gamma).addiRowVector(beta);
        if (running != null) {
            INDArray rm = running[0];
            INDArray rv = running[1];
            rm.muli(1 - MOMENTUM);
            rv.muli(1 - MOMENTUM);
            var blas = Nd4j.getBlasWrapper().level1();
            for (Group g : st.groups) {
                blas.axpy(rm.length(), MOMENTUM / groups, g.mean, rm);
                blas.axpy(rv.length(), MOMENTUM / groups * m / Math.max(1, m - 1), g.var, rv);
            }
        }
    }

    @Override
    void backward(Node n, Pass pass) {
        State st = (State) n.state;
        INDArray gamma = pass.p(this)[0];
        INDArray[] grads = pass.g(this);
        INDArray dGamma = grads[0].reshape(1, -1);
        INDArray dBeta = grads[1].reshape(1, -1);
        dGamma.assign(0);
        dBeta.assign(0);
        int groups = st.groups.length;
        double m = (double) n.in.rows.rows() / groups;
        st.tmp.assign(n.dOut.rows).muli(st.xhat);
        for (Group g : st.groups) {
            // mean ← Σ dy x̂ (dγ), var ← Σ dy (dβ): the forward statistics are no longer needed.
            Sgemm.gemm(st.ones, g.dx, g.mean, false, false, 1.0, 0.0);
            Sgemm.gemm(st.ones, g.dy, g.var, false, false, 1.0, 0.0);
            dGamma.addi(g.mean);
            dBeta.addi(g.var);
            if (n.dIn == null) {
                continue;
            }
            g.mean.muli(-1.0 / m);
            g.var.muli(-1.0 / m);
            g.invStd.muliRowVector(gamma);
            g.dx.assign(g.xhat).muliRowVector(g.mean).addi(g.dy).addiRowVector(g.var).muliRowVector(g.invStd);
        }
    }

    @Override
    double flops() {
        return 2.0 * in.size();
    }

    @Override
    Map<String, String> attributes() {
        return Map.of("num_features", Integer.toString(in.channels()), "eps", Double.toString(EPS));
    }
}
