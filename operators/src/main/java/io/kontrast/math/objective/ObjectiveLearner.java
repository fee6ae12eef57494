package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import io.kontrast.math.Lanes;
import io.kontrast.math.Learner;
import io.kontrast.math.Network;
import io.kontrast.math.Permutations;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A learner for the objectives that train one online encoder on both views of a batch: the 2N
 * views go through the encoder in one training-mode pass, the {@link Objective} scores the
 * outputs and returns their gradient, and SGD with momentum and weight decay updates the encoder
 * (and the objective its own parameters).
 *
 * <p>With split batch norm ({@link Network#shufflesKeys}), the 2N rows go through the encoder in a
 * shuffled order, drawn from the seed and the step, so that a sample's two views do not sit in one
 * normalisation group by construction (the in-batch counterpart of MoCo's shuffle BN); the
 * objective sees them back in pair order.
 *
 * <p>A step whose loss or gradient is not finite changes nothing (parameters, statistics,
 * optimizer state, the objective's state, the step) and is counted in {@link #skippedSteps}.
 */
public final class ObjectiveLearner implements Learner {
    private final Network net;
    private final HyperParams hp;
    private final Objective objective;
    private final int pairs;
    private final int rows;
    private final int dim;
    private final long seed;
    private final INDArray params;
    private final INDArray stats;
    private final INDArray statsBefore;
    private final INDArray grads;
    private final INDArray velocity;
    private final Network.Workspace ws;
    private final INDArray pairX;
    private final INDArray pairXa;
    private final INDArray pairXb;
    private final INDArray netX;
    private final INDArray pairZ;
    private final INDArray pairDz;
    private final int[] perm;
    private final int[] inverse;
    private final boolean shuffle;
    private final double[] zFirst;
    private final double[] norms;
    private final BatchView batchView = new BatchView();
    // Deep InfoMax: the encoder's last feature map and its gradient, pair order (and net order when shuffled).
    private final io.kontrast.math.nn.LayerNet mapNet;
    private final INDArray pairMap;
    private final INDArray pairDMap;
    private final INDArray netDMap;
    private String[] instances;
    private int[] targets;
    private long step;
    private long skippedSteps;
    private float lastLoss = Float.NaN;
    private double embeddingStd = Double.NaN;
    private float[] features;

    /**
     * @param dtype the network's float type: FLOAT, or DOUBLE for gradient checks of a {@code LayerNet} built in double
     */
    public ObjectiveLearner(Network net, HyperParams hp, Objective objective, long seed, DataType dtype) {
        this.net = net;
        this.hp = hp;
        this.objective = objective;
        this.seed = seed;
        this.pairs = hp.batchSize();
        this.rows = 2 * pairs;
        this.dim = net.outputDim();
        params = net.newParams();
        stats = net.newStats();
        net.init(params, stats, seed);
        statsBefore = stats.dup();
        grads = net.newParams();
        velocity = net.newParams();
        if (objective.needsFeatureMap()) {
            if (!(net instanceof io.kontrast.math.nn.LayerNet ln) || !ln.hasFeatureMap()) {
                throw new IllegalArgumentException("objective " + objective.name() + " needs an encoder whose backbone has a "
                        + "feature map (a convolutional one), got " + net.architecture());
            }
            mapNet = ln;
            ws = ln.newWorkspaceWithFeatureMap(rows);
            int mapSize = ln.featureMapShape().size();
            pairMap = Nd4j.create(dtype, rows, mapSize);
            pairDMap = Nd4j.create(dtype, rows, mapSize);
            netDMap = net.shufflesKeys() ? Nd4j.create(dtype, rows, mapSize) : pairDMap;
        } else {
            mapNet = null;
            ws = net.newWorkspace(rows);
            pairMap = null;
            pairDMap = null;
            netDMap = null;
        }
        pairX = Nd4j.create(dtype, rows, net.inputDim());
        pairXa = pairX.get(NDArrayIndex.interval(0, pairs), NDArrayIndex.all());
        pairXb = pairX.get(NDArrayIndex.interval(pairs, rows), NDArrayIndex.all());
        shuffle = net.shufflesKeys();
        netX = shuffle ? Nd4j.create(dtype, rows, net.inputDim()) : pairX;
        pairZ = Nd4j.create(dtype, rows, dim);
        pairDz = Nd4j.create(dtype, rows, dim);
        perm = new int[rows];
        inverse = new int[rows];
        for (int i = 0; i < rows; i++) perm[i] = inverse[i] = i;
        zFirst = new double[rows * dim];
        norms = new double[rows];
        objective.init(params);
    }

    public ObjectiveLearner(Network net, HyperParams hp, Objective objective, long seed) {
        this(net, hp, objective, seed, DataType.FLOAT);
    }

    @Override
    public String objective() {
        return objective.name();
    }

    @Override
    public float step(INDArray viewsA, INDArray viewsB, String[] instances) {
        return step(viewsA, viewsB, instances, null);
    }

    @Override
    public float step(INDArray viewsA, INDArray viewsB, String[] instances, int[] targets) {
        this.instances = instances;
        this.targets = targets;
        try {
            return step(viewsA, viewsB);
        } finally {
            this.instances = null;
            this.targets = null;
        }
    }

    @Override
    public boolean needsTargets() {
        return objective.needsTargets();
    }

    /** Sets the instances the next {@link #lossAndGradient} hands the objective (for gradient checks). */
    void instances(String[] instances) {
        this.instances = instances;
    }

    /** Sets the targets the next {@link #lossAndGradient} hands the objective (for gradient checks). */
    void targets(int[] targets) {
        this.targets = targets;
    }

    @Override
    public float step(INDArray viewsA, INDArray viewsB) {
        statsBefore.assign(stats);
        double loss = lossAndGradient(viewsA, viewsB);
        var blas = Nd4j.getBlasWrapper().level1();
        if (!Double.isFinite(loss) || !Double.isFinite(blas.asum(grads))) {
            skippedSteps++;
            stats.assign(statsBefore);
            objective.discard();
            return Float.NaN;
        }
        double lr = hp.learningRateAt(step);
        Sgd.step(params, grads, velocity, lr, hp.weightDecay(), hp.sgdMomentum());
        objective.update(lr, hp, params);
        step++;
        lastLoss = (float) loss;
        return lastLoss;
    }

    /**
     * The loss of the current parameters on a batch, with dLoss/dθ written to {@link #gradients()}
     * (when finite). Updates running statistics (the encoder's and the objective's), nothing else.
     */
    public double lossAndGradient(INDArray viewsA, INDArray viewsB) {
        pairXa.assign(viewsA);
        pairXb.assign(viewsB);
        if (shuffle) {
            Permutations.fill(perm, new SplittableRandom(seed ^ (0xD1B54A32D192ED03L * (step + 1))));
            for (int i = 0; i < rows; i++) inverse[perm[i]] = i;
            Nd4j.pullRows(pairX, netX, 1, perm);
        }
        INDArray z = net.forward(params, stats, netX, ws, true);
        toPairOrder(z, pairZ);
        if (mapNet != null) toPairOrder(mapNet.featureMap(ws), pairMap);
        double loss = objective.lossAndGradient(batchView, pairDz);
        embeddingStd = firstViewStd();
        if (!Double.isFinite(loss)) return loss;
        INDArray dOut = net.outputGradient(ws);
        if (shuffle) {
            Nd4j.pullRows(pairDz, dOut, 1, perm);
        } else {
            dOut.assign(pairDz);
        }
        if (mapNet != null) {
            if (shuffle) Nd4j.pullRows(pairDMap, netDMap, 1, perm);
            mapNet.backward(params, netX, ws, dOut, grads, netDMap);
        } else {
            net.backward(params, netX, ws, dOut, grads);
        }
        return loss;
    }

    private void toPairOrder(INDArray netOrder, INDArray out) {
        if (shuffle) {
            Nd4j.pullRows(netOrder, out, 1, inverse);
        } else {
            out.assign(netOrder);
        }
    }

    /** The first views' normalised outputs of the last step. */
    @Override
    public float[] features() {
        if (features == null) features = new float[pairs * dim];
        for (int i = 0; i < features.length; i++) features[i] = (float) zFirst[i];
        return features;
    }

    /** Mean over dimensions of the per-dimension std of the first views' normalised outputs. */
    private double firstViewStd() {
        Rows.read(pairZ, zFirst);
        Rows.normalize(zFirst, pairs, dim, norms);
        double total = 0;
        for (int c = 0; c < dim; c++) {
            double s = 0;
            double sq = 0;
            for (int r = 0; r < pairs; r++) {
                double v = zFirst[r * dim + c];
                s += v;
                sq += v * v;
            }
            double mean = s / pairs;
            total += Math.sqrt(Math.max(0, sq / pairs - mean * mean) * pairs / Math.max(1, pairs - 1));
        }
        return total / dim;
    }

    private final class BatchView implements Objective.Batch {
        @Override
        public int pairs() {
            return pairs;
        }

        @Override
        public INDArray z() {
            return pairZ;
        }

        @Override
        public String[] instances() {
            return instances;
        }

        @Override
        public int[] targets() {
            return targets;
        }

        @Override
        public INDArray featureMap() {
            return pairMap;
        }

        @Override
        public INDArray featureMapGradient() {
            return pairDMap;
        }

        @Override
        public INDArray inputs() {
            return pairX;
        }

        @Override
        public long step() {
            return step;
        }

        @Override
        public void encode(Network other, INDArray otherParams, Network.Workspace otherWs, INDArray out) {
            toPairOrder(other.forward(otherParams, null, netX, otherWs, true), out);
        }
    }

    public INDArray gradients() {
        return grads;
    }

    @Override
    public Network network() {
        return net;
    }

    @Override
    public HyperParams hyperParams() {
        return hp;
    }

    @Override
    public INDArray params() {
        return params;
    }

    @Override
    public INDArray stats() {
        return stats;
    }

    @Override
    public INDArray velocity() {
        return velocity;
    }

    @Override
    public Map<String, INDArray> state() {
        return objective.state();
    }

    @Override
    public void clearMomentum() {
        velocity.assign(0);
        objective.clearMomentum();
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public long skippedSteps() {
        return skippedSteps;
    }

    @Override
    public float lastLoss() {
        return lastLoss;
    }

    @Override
    public io.kontrast.math.objective.MemoryBank bank() {
        return objective instanceof InstDisc d ? d.bank() : null;
    }

    /** The bank's pointer, when the objective keeps a bank: it is saved where MoCo's queue pointer is. */
    @Override
    public int queuePointer() {
        return bank() == null ? 0 : bank().pointer();
    }

    @Override
    public void restoreCounters(long step, int queuePointer, long skippedSteps, float lastLoss) {
        if (bank() != null) bank().restorePointer(queuePointer);
        this.step = step;
        this.skippedSteps = skippedSteps;
        this.lastLoss = lastLoss;
    }

    @Override
    public double embeddingStd() {
        return embeddingStd;
    }

    @Override
    public double headAccuracy() {
        return objective.accuracy();
    }

    @Override
    public INDArray represent(INDArray x, Network.Workspace w) {
        net.forward(params, stats, x, w, false);
        return net.representation(w);
    }

    @Override
    public INDArray project(INDArray x, Network.Workspace w) {
        return net.forward(params, stats, x, w, false);
    }

    @Override
    public boolean lanes() {
        return false;
    }

    @Override
    public void inLanes(Runnable onHelper, Runnable onCaller) {
        Lanes.run(null, onHelper, onCaller);
    }

    @Override
    public long laneWaitNanos() {
        return 0;
    }

    @Override
    public boolean fusedUpdate() {
        return false;
    }

    @Override
    public void close() {
        objective.close();
    }
}
