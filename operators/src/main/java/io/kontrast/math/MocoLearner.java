package io.kontrast.math;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * MoCo v2: a query encoder trained with InfoNCE against a queue of keys from a momentum encoder.
 *
 * <p>One {@link #step} on a batch of view pairs {@code (x_a, x_b)}:
 *
 * <ol>
 *   <li>{@code q = normalize(f_q(x_a))}, {@code k = normalize(f_k(x_b))} (no gradient through k).
 *   <li>Logits {@code [q·k, q·queue_1..K] / T}; loss = cross-entropy with the positive at index 0.
 *   <li>Backpropagate through the normalisation and {@code f_q}; SGD with momentum and weight
 *       decay, learning rate from {@link HyperParams#learningRateAt}.
 *   <li>{@code θ_k ← m θ_k + (1 - m) θ_q}.
 *   <li>Enqueue k at the queue pointer, overwriting the oldest keys.
 * </ol>
 *
 * <p>A step whose loss or gradient is not finite changes nothing (parameters, optimizer state,
 * queue and step stay as they were) and is counted in {@link #skippedSteps()}.
 *
 * <p>All buffers are allocated once; a step allocates only a few batch-length vectors.
 *
 * <p>On a CPU with two cores or more, a step runs in two {@link Lanes} (see {@link
 * #lossAndGradient}); a learner then owns a helper thread, which {@link #close} stops.
 */
public final class MocoLearner implements Learner {
    private final Network net;
    private final HyperParams hp;
    private final int batch;
    private final int dim;

    private final INDArray params;
    private final INDArray stats;
    private final INDArray statsBefore;
    private final INDArray keyParams;
    private final INDArray grads;
    private final INDArray velocity;
    private final INDArray queueWithAnchor;
    private final INDArray queue;
    private final INDArray queueT;
    private final java.nio.FloatBuffer queueTBuffer;
    private final float[] transposedKeys;

    private final Network.Workspace queryWs;
    private final Network.Workspace keyWs;
    private final INDArray q;
    private final INDArray k;
    private final INDArray negLogits;
    private final java.nio.FloatBuffer negLogitsBuffer;
    private final INDArray onesK;
    private final INDArray rowSums;
    private final float[] qv;
    private final float[] kv;
    private final float[] dqv;
    private final float[] qNorm;
    private final float[] zF;
    private final float[] scale;
    private final float[] shiftF;
    private final double[] pos;
    private final double[] shift;
    private final double[] dPos;
    private final INDArray firstGrads;
    private final INDArray firstKeys;
    private final Lanes lanes;
    private final boolean fusedUpdate;
    private final java.nio.ByteBuffer paramBytes;
    private final java.nio.ByteBuffer gradBytes;
    private final java.nio.ByteBuffer velocityBytes;
    private final java.nio.ByteBuffer keyBytes;
    private final Rows whole;
    private final Rows[] halves;

    private final long seed;
    private final INDArray shuffledKeys;
    private final int[] perm;
    private final int[] inverse;
    private long step;
    private int queuePointer;
    private long skippedSteps;
    private float lastLoss = Float.NaN;

    /** A learner that runs its steps in two {@link Lanes} when the machine has two cores or more. */
    public MocoLearner(Network net, HyperParams hp, long seed) {
        this(net, hp, seed, true);
    }

    /**
     * A learner; with {@code lanes} false, every step runs on the calling thread (native calls
     * still use all of OpenMP's threads). {@link #close} stops the lanes' helper thread.
     */
    public MocoLearner(Network net, HyperParams hp, long seed, boolean lanes) {
        if (hp.queueSize() % hp.keysPerStep() != 0) {
            throw new IllegalArgumentException(
                    "queue size " + hp.queueSize() + " is not a multiple of the keys per step " + hp.keysPerStep());
        }
        this.net = net;
        this.seed = seed;
        this.hp = hp;
        this.batch = hp.batchSize();
        this.dim = net.outputDim();
        params = net.newParams();
        stats = net.newStats();
        statsBefore = stats.dup();
        net.init(params, stats, seed);
        keyParams = params.dup();
        grads = net.newParams();
        velocity = net.newParams();
        // One extra, all-zero row after the K keys: its column of the logits is the softmax's
        // anchor (see lossAndGradient) and it adds nothing to dLoss/dq.
        queueWithAnchor = Nd4j.create(DataType.FLOAT, hp.queueSize() + 1, dim);
        queue = queueWithAnchor.get(NDArrayIndex.interval(0, hp.queueSize()), NDArrayIndex.all());
        // The same keys as columns, so that both InfoNCE GEMMs read their second operand
        // untransposed (a transposed one is slower in oneDNN): logits = q queueT, dq = p queue.
        queueT = Nd4j.create(DataType.FLOAT, dim, hp.queueSize() + 1);
        queueTBuffer = wholeBuffer(queueT);
        transposedKeys = new float[batch];
        initQueue(seed ^ 0x9E3779B97F4A7C15L);
        queryWs = net.newWorkspace(batch);
        keyWs = net.newWorkspace(batch);
        q = Nd4j.create(DataType.FLOAT, batch, dim);
        k = Nd4j.create(DataType.FLOAT, batch, dim);
        negLogits = Nd4j.create(DataType.FLOAT, batch, hp.queueSize() + 1);
        negLogitsBuffer = wholeBuffer(negLogits);
        onesK = Nd4j.ones(DataType.FLOAT, hp.queueSize() + 1, 1);
        onesK.putScalar(hp.queueSize(), 0f); // the anchor column is not a negative
        rowSums = Nd4j.create(DataType.FLOAT, batch, 1);
        qv = new float[batch * dim];
        kv = new float[batch * dim];
        dqv = new float[batch * dim];
        qNorm = new float[batch];
        zF = new float[batch];
        scale = new float[batch];
        shiftF = new float[batch];
        pos = new double[batch];
        shift = new double[batch];
        dPos = new double[batch];
        firstGrads = hp.symmetric() ? net.newParams() : null;
        shuffledKeys = net.shufflesKeys() ? Nd4j.create(DataType.FLOAT, batch, net.inputDim()) : null;
        perm = new int[batch];
        inverse = new int[batch];
        firstKeys = hp.symmetric() ? Nd4j.create(DataType.FLOAT, batch, dim) : null;
        whole = new Rows(0, batch);
        this.lanes = lanes && batch >= 2 ? Lanes.forMachine("kontrast-learner-lane") : null;
        halves = this.lanes == null ? null : new Rows[] {new Rows(0, batch / 2), new Rows(batch / 2, batch)};
        // On the CPU only: the pass writes the buffers' memory directly, which a GPU's copies
        // would not see.
        fusedUpdate = FusedUpdate.AVAILABLE && Nd4j.getEnvironment().isCPU()
                && net.paramCount() <= Integer.MAX_VALUE / Float.BYTES;
        paramBytes = fusedUpdate ? bytes(params) : null;
        gradBytes = fusedUpdate ? bytes(grads) : null;
        velocityBytes = fusedUpdate ? bytes(velocity) : null;
        keyBytes = fusedUpdate ? bytes(keyParams) : null;
    }

    /** The queue starts as random unit vectors, as in MoCo. */
    private void initQueue(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] values = new float[hp.queueSize() * dim];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) gaussian(rnd);
        }
        queue.assign(Nd4j.createFromArray(values).reshape(hp.queueSize(), dim));
        queue.diviColumnVector(queue.norm2(1).reshape(hp.queueSize(), 1));
        queueT.get(NDArrayIndex.all(), NDArrayIndex.interval(0, hp.queueSize())).assign(queue.transpose());
    }

    /** Fills {@code perm} (and its inverse) with a permutation of the batch, the same for the same step (so restores replay it). */
    private void permute(long forStep) {
        Permutations.fill(perm, new SplittableRandom(seed ^ (0xD1B54A32D192ED03L * (forStep + 1))));
        for (int i = 0; i < batch; i++) inverse[perm[i]] = i;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /**
     * One training step on {@code batch} view pairs ({@code [batch, in]} each, already
     * normalised). Returns the InfoNCE loss before the update, or NaN if the step was skipped.
     */
    public float step(INDArray viewsA, INDArray viewsB) {
        statsBefore.assign(stats);
        double loss = lossAndGradient(viewsA, viewsB);
        if (hp.symmetric() && Double.isFinite(loss)) {
            // The other way round against the same queue; gradients and losses add up.
            firstGrads.assign(grads);
            firstKeys.assign(k);
            loss += lossAndGradient(viewsB, viewsA);
            grads.addi(firstGrads);
        }
        var blas = Nd4j.getBlasWrapper().level1();
        if (!Double.isFinite(loss) || !Double.isFinite(blas.asum(grads))) {
            skippedSteps++;
            stats.assign(statsBefore);
            return Float.NaN;
        }

        if (fusedUpdate) {
            // SGD and the key encoder's EMA in one vectorised pass; with lanes, half each.
            int n = (int) net.paramCount();
            float lr = (float) hp.learningRateAt(step);
            float wd = (float) hp.weightDecay();
            float mu = (float) hp.sgdMomentum();
            float m = (float) hp.keyMomentum();
            if (lanes != null) {
                int half = n / 2 / FusedUpdate.lanesWidth() * FusedUpdate.lanesWidth();
                lanes.run(() -> FusedUpdate.apply(paramBytes, gradBytes, velocityBytes, keyBytes, half, n, lr, wd, mu, m),
                        () -> FusedUpdate.apply(paramBytes, gradBytes, velocityBytes, keyBytes, 0, half, lr, wd, mu, m));
            } else {
                FusedUpdate.apply(paramBytes, gradBytes, velocityBytes, keyBytes, 0, n, lr, wd, mu, m);
            }
        } else {
            // SGD with momentum and weight decay (PyTorch's form): g += wd θ; v = μ v + g; θ -= lr v.
            // Each update is a BLAS level-1 call: one vectorised pass, no temporaries.
            long n = net.paramCount();
            blas.axpy(n, hp.weightDecay(), params, grads);
            blas.scal(n, hp.sgdMomentum(), velocity);
            blas.axpy(n, 1.0, grads, velocity);
            blas.axpy(n, -hp.learningRateAt(step), velocity, params);

            // θ_k ← m θ_k + (1 - m) θ_q.
            blas.scal(n, hp.keyMomentum(), keyParams);
            blas.axpy(n, 1.0 - hp.keyMomentum(), params, keyParams);
        }

        // Enqueue the keys, overwriting the oldest.
        if (hp.symmetric()) {
            enqueue(firstKeys);
        }
        enqueue(k);
        step++;
        lastLoss = (float) loss;
        return lastLoss;
    }

    /**
     * The InfoNCE loss of the current parameters on a batch, with dLoss/dθ_q written to {@link
     * #gradients()} (when the loss is finite). Changes no parameter, queue or counter.
     *
     * <p>With {@link Lanes}, the key encoder's forward pass runs beside the query encoder's, each
     * half of the batch's logits, softmax and dLoss/dq beside the other, and the backward pass as
     * the network splits it.
     */
    public double lossAndGradient(INDArray viewsA, INDArray viewsB) {
        if (lanes != null && net.concurrentForward()) {
            lanes.run(() -> encodeKeys(viewsB), () -> encodeQueries(viewsA));
        } else {
            encodeKeys(viewsB);
            encodeQueries(viewsA);
        }
        double loss;
        if (lanes != null) {
            lanes.run(() -> infoNce(halves[1]), () -> infoNce(halves[0]));
            loss = halves[0].loss + halves[1].loss;
        } else {
            infoNce(whole);
            loss = whole.loss;
        }
        loss /= batch;
        if (!Double.isFinite(loss)) {
            return loss;
        }
        net.backward(params, viewsA, queryWs, net.outputGradient(queryWs), grads, lanes);
        return loss;
    }

    /** Writes {@code keys} over the oldest keys, in both layouts, with bulk puts. */
    private void enqueue(INDArray keys) {
        float[] rows = dqv; // free once the step's gradient is taken
        read(keys, rows);
        wholeBuffer(queueWithAnchor).put(queuePointer * dim, rows, 0, batch * dim);
        for (int j = 0; j < dim; j++) {
            for (int r = 0; r < batch; r++) transposedKeys[r] = rows[r * dim + j];
            queueTBuffer.put(j * (hp.queueSize() + 1) + queuePointer, transposedKeys, 0, batch);
        }
        queuePointer = (queuePointer + batch) % hp.queueSize();
    }

    /** Keys: momentum encoder, no gradient, normalised into {@code k} and {@code kv}. */
    private void encodeKeys(INDArray viewsB) {
        // The key encoder normalises with its own batch's statistics and keeps no running ones.
        if (net.shufflesKeys()) {
            // Shuffle BN: encode the keys in another order, so that no key shares its batch-norm
            // group with its query by construction, then put them back in order.
            permute(step);
            Nd4j.pullRows(viewsB, shuffledKeys, 1, perm);
            Nd4j.pullRows(net.forward(keyParams, null, shuffledKeys, keyWs, true), k, 1, inverse);
        } else {
            k.assign(net.forward(keyParams, null, viewsB, keyWs, true));
        }
        // The batch × dim work (normalisation, positive logits, the loss and the gradient through
        // the normalisation) runs in Java on copies: a few dozen ND4J calls on small arrays cost
        // more in call overhead than the arithmetic.
        read(k, kv);
        normalizeRows(kv, null);
        write(kv, k);
    }

    /** Queries: the query encoder, normalised into {@code q} and {@code qv}, the norms kept. */
    private void encodeQueries(INDArray viewsA) {
        read(net.forward(params, stats, viewsA, queryWs, true), qv);
        normalizeRows(qv, qNorm);
        write(qv, q);
    }

    /**
     * InfoNCE over the rows {@code [from, to)} of the batch: their loss (a sum, into {@code
     * rows.loss}) and dLoss/dq, through the normalisation, into the query encoder's output gradient.
     */
    private void infoNce(Rows rows) {
        double t = hp.temperature();
        int from = rows.from;
        int to = rows.to;

        // Logits / T: positive q·k and negatives q·queue^T.
        for (int r = from; r < to; r++) {
            double d = 0;
            for (int c = r * dim, e = c + dim; c < e; c++) d += qv[c] * kv[c];
            pos[r] = d / t;
        }
        Sgemm.gemm(rows.q, queueT, rows.logits, false, false, 1.0 / t, 0.0);

        // Softmax cross-entropy with the positive at index 0. q and the keys are unit vectors, so
        // every logit lies in [-1/T, 1/T]. The last column of the logits is an anchor set to
        // c = -1/T, a logit no negative is below; the loss needs Z = sum over negatives of
        // exp(logit), and with the anchor in the softmax, Z = e^c / p_anchor - e^c exactly, to
        // float precision (p_anchor <= 1/(K+1), far from underflow while 2/T < 80).
        // Softmax over negatives + anchor, times scale = (Z + e^c) / (Z + e^pos), is the softmax
        // over negatives + positive; the scale is applied to dLoss/dq (batch × dim) instead of to
        // the batch × K probabilities. For 1/T > 40 the anchor could underflow: each row is then
        // shifted by its max and exponentiated, and its sum (a GEMV that skips the anchor) is Z.
        int cols = hp.queueSize() + 1;
        int anchor = hp.queueSize();
        float c = (float) (-1.0 / t);
        for (int r = from; r < to; r++) negLogitsBuffer.put(r * cols + anchor, c);
        double loss = 0;
        if (1.0 / t <= 40) {
            Nd4j.exec(rows.softmax);
            double expC = Math.exp(c);
            for (int r = from; r < to; r++) {
                double withAnchor = expC / negLogitsBuffer.get(r * cols + anchor);
                double expPos = Math.exp(pos[r]);
                double z = withAnchor - expC + expPos;
                loss += Math.log(z) - pos[r];
                dPos[r] = (expPos / z - 1) / (batch * t);
                scale[r] = (float) (withAnchor / z);
            }
        } else {
            INDArray max = rows.logits.max(1);
            max.data().asNioFloat().get((int) max.offset(), shiftF, from, to - from);
            for (int r = from; r < to; r++) {
                shift[r] = Math.max(shiftF[r], pos[r]);
                shiftF[r] = (float) shift[r];
            }
            java.nio.FloatBuffer sums = rows.rowSums.data().asNioFloat();
            int so = (int) rows.rowSums.offset();
            sums.put(so, shiftF, from, to - from);
            rows.logits.subiColumnVector(rows.rowSums);
            Transforms.exp(rows.logits, false);
            Sgemm.gemm(rows.logits, onesK, rows.rowSums, false, false, 1.0, 0.0);
            sums.get(so, zF, from, to - from);
            for (int r = from; r < to; r++) {
                double posShift = pos[r] - shift[r];
                double expPos = Math.exp(posShift);
                double z = zF[r] + expPos;
                loss += Math.log(z) - posShift;
                dPos[r] = (expPos / z - 1) / (batch * t);
                scale[r] = (float) (1 / z);
            }
        }
        rows.loss = loss;
        if (!Double.isFinite(loss)) {
            return;
        }

        // dLoss/dlogits = (softmax - onehot) / batch; dLoss/dq = dlogits · [k; queue] / T, then
        // through q = qRaw / |qRaw|: dqRaw = (dq - q (q·dq)) / |qRaw|. The anchor's row of the
        // queue is zero, so its column adds nothing.
        Sgemm.gemm(rows.logits, queueWithAnchor, rows.dq, false, false, 1.0 / (batch * t), 0.0);
        java.nio.FloatBuffer dqBuffer = rows.dq.data().asNioFloat();
        int lo = from * dim;
        int n = (to - from) * dim;
        dqBuffer.get((int) rows.dq.offset(), dqv, lo, n);
        for (int r = from; r < to; r++) {
            int o = r * dim;
            double qDotDq = 0;
            float sc = scale[r];
            float dp = (float) dPos[r];
            for (int j = o; j < o + dim; j++) {
                float g = dqv[j] * sc + kv[j] * dp;
                dqv[j] = g;
                qDotDq += qv[j] * g;
            }
            float norm = qNorm[r];
            float qd = (float) qDotDq;
            for (int j = o; j < o + dim; j++) dqv[j] = (dqv[j] - qv[j] * qd) / norm;
        }
        dqBuffer.put((int) rows.dq.offset(), dqv, lo, n);
    }

    /** Views of one range of the batch's rows, for {@link #infoNce}. */
    private final class Rows {
        final int from;
        final int to;
        final INDArray q;
        final INDArray logits;
        final INDArray dq;
        final INDArray rowSums;
        final CustomOp softmax;
        double loss;

        Rows(int from, int to) {
            this.from = from;
            this.to = to;
            q = rowsOf(MocoLearner.this.q, from, to);
            logits = rowsOf(negLogits, from, to);
            dq = rowsOf(net.outputGradient(queryWs), from, to);
            rowSums = rowsOf(MocoLearner.this.rowSums, from, to);
            // Softmax over the last axis, in place. Rank 3, because ND4J hands only rank > 2 to
            // oneDNN, whose softmax is vectorised (ND4J's own exp is not).
            INDArray logits3 = logits.reshape(1, to - from, hp.queueSize() + 1);
            if (address(logits3) != address(logits)) {
                throw new IllegalStateException("the logits' reshape is not a view");
            }
            softmax = DynamicCustomOp.builder("softmax").addInputs(logits3).addOutputs(logits3).addIntegerArguments(2).build();
        }
    }

    /** A native-order byte view of a float array that is the whole of its buffer. */
    private static java.nio.ByteBuffer bytes(INDArray a) {
        wholeBuffer(a);
        return a.data().asNio().order(java.nio.ByteOrder.nativeOrder());
    }

    private static long address(INDArray a) {
        return a.data().address() + a.offset() * a.data().getElementSize();
    }

    /** Rows {@code [from, to)} of a c-order matrix that is the whole of its buffer: a dense view. */
    private static INDArray rowsOf(INDArray m, int from, int to) {
        wholeBuffer(m);
        return m.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /** Scales each row of a batch × dim matrix to unit length; the norms go to {@code norms} if given. */
    private void normalizeRows(float[] m, float[] norms) {
        for (int r = 0; r < batch; r++) {
            int o = r * dim;
            double sq = 0;
            for (int c = o; c < o + dim; c++) sq += m[c] * m[c];
            float norm = (float) Math.max(Math.sqrt(sq), 1e-12);
            if (norms != null) norms[r] = norm;
            for (int c = o; c < o + dim; c++) m[c] /= norm;
        }
    }

    /** Copies an array that is the whole of its buffer into {@code dst}. */
    private static void read(INDArray a, float[] dst) {
        wholeBuffer(a).get(dst, 0, (int) a.length());
    }

    private static void write(float[] src, INDArray a) {
        wholeBuffer(a).put(src, 0, (int) a.length());
    }

    private static java.nio.FloatBuffer wholeBuffer(INDArray a) {
        if (a.offset() != 0 || a.data().length() != a.length() || a.ordering() != 'c' || a.dataType() != DataType.FLOAT) {
            throw new IllegalStateException("expected a float array that is the whole of its buffer: " + a.shapeInfoToString());
        }
        return a.data().asNioFloat();
    }

    /** The last batch's normalised queries (of the second views after a symmetric step). */
    @Override
    public float[] features() {
        return qv;
    }

    /** Mean over dimensions of the per-dimension std of the last batch's normalized queries. */
    @Override
    public double embeddingStd() {
        return q.std(0).meanNumber().doubleValue();
    }

    /**
     * Embeds {@code x} with the query encoder's backbone (batch norm on running statistics) into
     * {@code ws}; returns the view.
     */
    @Override
    public INDArray represent(INDArray x, Network.Workspace ws) {
        net.forward(params, stats, x, ws, false);
        return net.representation(ws);
    }

    /** The query encoder's projector output on {@code x}, as published encoders compute it. */
    @Override
    public INDArray project(INDArray x, Network.Workspace ws) {
        return net.forward(params, stats, x, ws, false);
    }

    @Override
    public String objective() {
        return "moco-v2";
    }

    /** The key encoder's parameters, as {@code keyParams}. */
    @Override
    public java.util.Map<String, INDArray> state() {
        return java.util.Map.of("keyParams", keyParams);
    }

    @Override
    public void clearMomentum() {
        velocity.assign(0);
    }

    @Override
    public int queueSize() {
        return hp.queueSize();
    }

    @Override
    public int keysPerStep() {
        return hp.keysPerStep();
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

    /** Running statistics of the query encoder (batch norm); one unused value without. */
    @Override
    public INDArray stats() {
        return stats;
    }

    public INDArray keyParams() {
        return keyParams;
    }

    public INDArray gradients() {
        return grads;
    }

    @Override
    public INDArray velocity() {
        return velocity;
    }

    /** The key queue, {@code [K, dim]}, one key per row; to be read only (see {@link #restoreQueueRow}). */
    public INDArray queue() {
        return queue;
    }

    /** A copy of the key in queue slot {@code slot}: one bulk read (a row view costs native allocations). */
    @Override
    public float[] queueRow(int slot) {
        if (slot < 0 || slot >= hp.queueSize()) {
            throw new IndexOutOfBoundsException("queue slot " + slot + " of " + hp.queueSize());
        }
        float[] key = new float[dim];
        wholeBuffer(queueWithAnchor).get(slot * dim, key, 0, dim);
        return key;
    }

    /** Writes one key of the queue (restoring from a checkpoint). */
    @Override
    public void restoreQueueRow(int slot, float[] key) {
        INDArray row = Nd4j.createFromArray(key);
        queue.getRow(slot).assign(row);
        queueT.getColumn(slot).assign(row);
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public int queuePointer() {
        return queuePointer;
    }

    @Override
    public long skippedSteps() {
        return skippedSteps;
    }

    @Override
    public float lastLoss() {
        return lastLoss;
    }

    /**
     * Whether the optimizer and the key encoder's EMA run as one vectorised pass (the JVM has the
     * Vector API module) rather than as BLAS level-1 calls.
     */
    @Override
    public boolean fusedUpdate() {
        return fusedUpdate;
    }

    /**
     * Runs two independent parts of the caller's work in the learner's lanes, side by side, or one
     * after the other on this thread when the learner has none. Not while a step runs.
     */
    @Override
    public void inLanes(Runnable onHelper, Runnable onCaller) {
        Lanes.run(lanes, onHelper, onCaller);
    }

    /** Whether steps run in two {@link Lanes}. */
    @Override
    public boolean lanes() {
        return lanes != null;
    }

    /**
     * The time this learner's thread has waited for its helper lane after finishing its own part
     * of a pair (steps and {@link #inLanes} calls), in total so far; 0 without lanes.
     */
    @Override
    public long laneWaitNanos() {
        return lanes == null ? 0 : lanes.waitNanos();
    }

    /** Stops the lanes' helper thread; the learner must not step after. */
    @Override
    public void close() {
        if (lanes != null) {
            lanes.close();
        }
    }

    /** Restores progress counters (the buffers are restored by assigning into them). */
    @Override
    public void restoreCounters(long step, int queuePointer, long skippedSteps, float lastLoss) {
        if (queuePointer < 0 || queuePointer >= hp.queueSize() || queuePointer % batch != 0) {
            throw new IllegalArgumentException("invalid queue pointer " + queuePointer);
        }
        this.step = step;
        this.queuePointer = queuePointer;
        this.skippedSteps = skippedSteps;
        this.lastLoss = lastLoss;
    }
}
