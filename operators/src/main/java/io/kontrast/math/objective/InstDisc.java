package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * InstDisc (Wu et al.): instance discrimination against a {@link MemoryBank} of one feature per
 * instance, by sampled softmax.
 *
 * <p>Each of the 2N normalised outputs {@code u} scores a positive against {@code m} negatives,
 * features of bank entries drawn uniformly for the step: softmax cross-entropy over {@code [u·pos,
 * u·neg_1..m] / T}, the mean over the rows. The positive is the instance's bank entry, written at
 * its earlier sightings; for an instance the bank has not seen, the other view's output (without
 * gradient). A negative that is the row's own instance is left out.
 *
 * <p>After each step the instance's entry moves towards the mean of its two views' outputs:
 * {@code e ← normalise(μ e + (1 − μ) v)}, or becomes {@code v} for a new instance.
 */
public final class InstDisc implements Objective {
    private final int pairs;
    private final int rows;
    private final int dim;
    private final int negatives;
    private final double temperature;
    private final double bankMomentum;
    private final long seed;
    private final MemoryBank bank;
    private final double[] u;
    private final double[] norms;
    private final double[] pos;
    private final double[] du;
    private final double[] duNegatives;
    private final double[] entry;
    private final double[] neg;
    private final int[] negSlots;
    private final int[] ownSlot;
    private final INDArray uArray;
    private final INDArray negArray;
    private final INDArray logits;
    private final INDArray duArray;
    private final double[] logitValues;
    private final double[] v;
    private String[] instances;

    /**
     * @param negatives m, bank entries drawn per step
     * @param bankSize the bank's capacity in instances
     * @param bankMomentum μ of the entries' update
     * @param dtype the online encoder's float type
     */
    public InstDisc(int pairs, int dim, int negatives, int bankSize, double temperature, double bankMomentum, DataType dtype,
            long seed) {
        this.pairs = pairs;
        this.rows = 2 * pairs;
        this.dim = dim;
        this.negatives = negatives;
        this.temperature = temperature;
        this.bankMomentum = bankMomentum;
        this.seed = seed;
        bank = new MemoryBank(bankSize, dim);
        u = new double[rows * dim];
        norms = new double[rows];
        pos = new double[rows * dim];
        du = new double[rows * dim];
        duNegatives = new double[rows * dim];
        entry = new double[dim];
        neg = new double[negatives * dim];
        negSlots = new int[negatives];
        ownSlot = new int[rows];
        uArray = Nd4j.create(dtype, rows, dim);
        negArray = Nd4j.create(dtype, negatives, dim);
        logits = Nd4j.create(dtype, rows, negatives);
        duArray = Nd4j.create(dtype, rows, dim);
        logitValues = new double[rows * negatives];
        v = new double[dim];
    }

    @Override
    public String name() {
        return "instdisc";
    }

    public MemoryBank bank() {
        return bank;
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        instances = batch.instances();
        if (instances == null || instances.length != pairs) {
            throw new IllegalStateException("instdisc needs the instance of each sample of the batch");
        }
        Rows.read(batch.z(), u);
        Rows.normalize(u, rows, dim, norms);
        for (int i = 0; i < pairs; i++) {
            int slot = bank.slotOf(instances[i]);
            ownSlot[i] = slot;
            ownSlot[pairs + i] = slot;
            if (slot >= 0) {
                bank.read(slot, pos, i * dim);
                bank.read(slot, pos, (pairs + i) * dim);
            } else {
                System.arraycopy(u, (pairs + i) * dim, pos, i * dim, dim);
                System.arraycopy(u, i * dim, pos, (pairs + i) * dim, dim);
            }
        }
        int m = bank.filled() == 0 ? 0 : negatives;
        if (m > 0) {
            bank.sample(new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (batch.step() + 1))), negSlots);
            for (int k = 0; k < m; k++) bank.read(negSlots[k], neg, k * dim);
            Rows.write(u, uArray);
            Rows.write(neg, negArray);
            Nd4j.gemm(uArray, negArray, logits, false, true, 1 / temperature, 0);
            Rows.read(logits, logitValues);
        }
        double invT = 1 / temperature;
        double loss = 0;
        // Softmax weights of the negatives go back into logitValues (0 for a masked one); du gets
        // the positive's part here and the negatives' part from one GEMM below.
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            double p = 0;
            for (int c = 0; c < dim; c++) p += u[o + c] * pos[o + c];
            p *= invT;
            double max = p;
            int lo = r * negatives;
            for (int k = 0; k < m; k++) {
                if (negSlots[k] == ownSlot[r]) continue;
                max = Math.max(max, logitValues[lo + k]);
            }
            double ep = Math.exp(p - max);
            double z = ep;
            for (int k = 0; k < m; k++) {
                if (negSlots[k] == ownSlot[r]) {
                    logitValues[lo + k] = 0;
                } else {
                    double e = Math.exp(logitValues[lo + k] - max);
                    logitValues[lo + k] = e;
                    z += e;
                }
            }
            loss += Math.log(z) + max - p;
            double scale = invT / rows;
            double gp = (ep / z - 1) * scale;
            for (int c = 0; c < dim; c++) du[o + c] = gp * pos[o + c];
            for (int k = 0; k < m; k++) logitValues[lo + k] *= scale / z;
        }
        loss /= rows;
        if (!Double.isFinite(loss)) return loss;
        if (m > 0) {
            Rows.write(logitValues, logits);
            Nd4j.gemm(logits, negArray, duArray, false, false, 1, 0);
            Rows.read(duArray, duNegatives);
            for (int i = 0; i < du.length; i++) du[i] += duNegatives[i];
        }
        Rows.throughNormalize(u, norms, du, rows, dim);
        Rows.write(du, dz);
        return loss;
    }

    @Override
    public void update(double learningRate, HyperParams hp, INDArray onlineParams) {
        for (int i = 0; i < pairs; i++) {
            double sq = 0;
            for (int c = 0; c < dim; c++) {
                v[c] = u[i * dim + c] + u[(pairs + i) * dim + c];
                sq += v[c] * v[c];
            }
            double n = Math.max(Math.sqrt(sq), 1e-12);
            for (int c = 0; c < dim; c++) v[c] /= n;
            int slot = bank.slotOf(instances[i]);
            if (slot >= 0) {
                bank.read(slot, entry, 0);
                sq = 0;
                for (int c = 0; c < dim; c++) {
                    double e = bankMomentum * entry[c] + (1 - bankMomentum) * v[c];
                    v[c] = e;
                    sq += e * e;
                }
                n = Math.max(Math.sqrt(sq), 1e-12);
                for (int c = 0; c < dim; c++) v[c] /= n;
            }
            bank.put(instances[i], v, 0);
        }
    }

    /** Rows' masks and draws of the last step, for tests. */
    int[] negativeSlots() {
        return Arrays.copyOf(negSlots, negSlots.length);
    }
}
