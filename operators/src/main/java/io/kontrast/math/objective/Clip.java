package io.kontrast.math.objective;

import io.kontrast.math.HyperParams;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CLIP's objective (Radford et al.) on paired samples: the mutual-information family across two
 * modalities. The encoder is a pair of towers ({@link io.kontrast.math.nn.Towers}), each row of its
 * output the two towers' outputs side by side, {@code [a | b]}. Each row's {@code a}, normalised,
 * picks its own {@code b} among the batch's by softmax cross-entropy over cosine similarities
 * times a learned scale {@code e^t} (the inverse temperature), and each {@code b} picks its own
 * {@code a} the same way: the symmetric InfoNCE. The scale is learning state of the objective,
 * kept in {@code [1, maxScale]} as CLIP keeps it in [1, 100], starting at the inverse of {@code
 * kontrast.temperature}.
 *
 * <p>Both views of a sample go through (2N rows); a row's partner view is the same sample, so
 * the partner's column is left out of the row's negatives (and its row out of the column's)
 * rather than counted as one. The loss is the mean of the 4N cross-entropies.
 *
 * <p>With an in-part weight λ &gt; 0, each tower also tells its own sample's two views from the
 * batch's other views (SLIP's idea, Mu et al., 2021: SimCLR's NT-Xent within a modality beside
 * CLIP's term across them), at the fixed temperature {@code kontrast.temperature}: the loss adds
 * λ times the mean of the two towers' NT-Xent losses, each the mean over its 2N rows.
 */
public final class Clip implements Objective {
    /** The default largest scale: 25, at the batches of a stream's trainer (CLIP's 100 is for batches of 32,768). */
    public static final double MAX_SCALE = 25;

    private final double maxLogScale;
    private final double inPartWeight;
    private final double inPartTemperature;

    private final int pairs;
    private final int rows;
    private final int dim;
    private final INDArray logScale;
    private final INDArray logScaleGrad;
    private final INDArray logScaleVelocity;
    private final double[] z;
    private final double[] a;
    private final double[] b;
    private final double[] aNorms;
    private final double[] bNorms;
    private final double[] c;
    private final double[] pr;
    private final double[] pc;
    private final double[] da;
    private final double[] db;
    /** One tower's similarities with itself, then its in-part softmax; null without the in-part term. */
    private final double[] self;

    /**
     * @param dim each tower's output width (the encoder's output is twice that)
     * @param temperature the initial temperature, {@code 1 / e^t}
     */
    public Clip(int pairs, int dim, double temperature, DataType dtype) {
        this(pairs, dim, temperature, MAX_SCALE, dtype);
    }

    /** @param maxScale the largest scale, at least 1 */
    public Clip(int pairs, int dim, double temperature, double maxScale, DataType dtype) {
        this(pairs, dim, temperature, maxScale, 0, dtype);
    }

    /** @param inPartWeight the weight λ ≥ 0 of the in-part term (0: CLIP alone) */
    public Clip(int pairs, int dim, double temperature, double maxScale, double inPartWeight, DataType dtype) {
        if (!(maxScale >= 1)) throw new IllegalArgumentException("clip's largest scale must be at least 1, got " + maxScale);
        if (!(inPartWeight >= 0)) throw new IllegalArgumentException("clip's in-part weight must be at least 0, got " + inPartWeight);
        this.maxLogScale = Math.log(maxScale);
        this.inPartWeight = inPartWeight;
        this.inPartTemperature = temperature;
        this.pairs = pairs;
        this.rows = 2 * pairs;
        this.dim = dim;
        logScale = Nd4j.createFromArray(new double[] {Math.min(maxLogScale, Math.max(0, Math.log(1 / temperature)))}).castTo(dtype);
        logScaleGrad = Nd4j.create(dtype, 1);
        logScaleVelocity = Nd4j.create(dtype, 1);
        z = new double[rows * 2 * dim];
        a = new double[rows * dim];
        b = new double[rows * dim];
        aNorms = new double[rows];
        bNorms = new double[rows];
        c = new double[rows * rows];
        pr = new double[rows * rows];
        pc = new double[rows * rows];
        da = new double[rows * dim];
        db = new double[rows * dim];
        self = inPartWeight > 0 ? new double[rows * rows] : null;
    }

    /** The scale, within its bounds even when restored from a checkpoint written under a wider one. */
    private double scale() {
        return Math.exp(Math.max(0, Math.min(maxLogScale, logScale.getDouble(0))));
    }

    @Override
    public String name() {
        return "clip";
    }

    /** The current temperature, {@code 1 / e^t}. */
    public double temperature() {
        return 1 / scale();
    }

    @Override
    public double lossAndGradient(Batch batch, INDArray dz) {
        Rows.read(batch.z(), z);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(z, r * 2 * dim, a, r * dim, dim);
            System.arraycopy(z, r * 2 * dim + dim, b, r * dim, dim);
        }
        Rows.normalize(a, rows, dim, aNorms);
        Rows.normalize(b, rows, dim, bNorms);
        double s = scale();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < rows; j++) {
                double dot = 0;
                for (int k = 0; k < dim; k++) dot += a[i * dim + k] * b[j * dim + k];
                c[i * rows + j] = dot;
            }
        }
        double loss = 0;
        // a picks its b: softmax along each row; b picks its a: along each column.
        for (int i = 0; i < rows; i++) loss += softmax(i, true);
        for (int j = 0; j < rows; j++) loss += softmax(j, false);
        int terms = 2 * rows;
        loss /= terms;
        if (!Double.isFinite(loss)) return loss;
        java.util.Arrays.fill(da, 0);
        java.util.Arrays.fill(db, 0);
        double dLogScale = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < rows; j++) {
                double g = (pr[i * rows + j] + pc[i * rows + j] - (i == j ? 2 : 0)) / terms;
                if (g == 0) continue;
                dLogScale += g * s * c[i * rows + j];
                double w = g * s;
                for (int k = 0; k < dim; k++) {
                    da[i * dim + k] += w * b[j * dim + k];
                    db[j * dim + k] += w * a[i * dim + k];
                }
            }
        }
        if (inPartWeight > 0) {
            loss += inPartWeight / 2 * (inPart(a, da) + inPart(b, db));
            if (!Double.isFinite(loss)) return loss;
        }
        Rows.throughNormalize(a, aNorms, da, rows, dim);
        Rows.throughNormalize(b, bNorms, db, rows, dim);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(da, r * dim, z, r * 2 * dim, dim);
            System.arraycopy(db, r * dim, z, r * 2 * dim + dim, dim);
        }
        Rows.write(z, dz);
        logScaleGrad.putScalar(0, dLogScale);
        return loss;
    }

    /**
     * One tower's NT-Xent over its 2N normalised rows {@code x}: each row picks its partner view
     * among the other 2N − 1 at the in-part temperature. Adds λ/2 times its gradient to {@code dx};
     * returns the loss, the mean over the rows.
     */
    private double inPart(double[] x, double[] dx) {
        double inv = 1 / inPartTemperature;
        for (int i = 0; i < rows; i++) {
            for (int j = i; j < rows; j++) {
                double dot = 0;
                for (int k = 0; k < dim; k++) dot += x[i * dim + k] * x[j * dim + k];
                self[i * rows + j] = dot * inv;
                self[j * rows + i] = dot * inv;
            }
        }
        double loss = 0;
        // d loss_i / d s_ij = p_ij − [j = partner], s_ij = x_i · x_j / τ, for both of its rows.
        double w = inPartWeight / 2 / rows * inv;
        for (int i = 0; i < rows; i++) {
            int partner = i < pairs ? i + pairs : i - pairs;
            int row = i * rows;
            // The row's partner view is its positive, itself left out.
            loss += Rows.crossEntropy(self, row, rows, partner, i, w);
            for (int j = 0; j < rows; j++) {
                double g = self[row + j];
                if (g == 0) continue;
                for (int k = 0; k < dim; k++) {
                    dx[i * dim + k] += g * x[j * dim + k];
                    dx[j * dim + k] += g * x[i * dim + k];
                }
            }
        }
        return loss / rows;
    }

    /**
     * The cross-entropy of row {@code i} (or column, when {@code !alongRow}) of the scaled
     * similarities choosing its diagonal, the partner left out; its softmax goes to {@link #pr}
     * (or {@link #pc}), 0 at the partner.
     */
    private double softmax(int i, boolean alongRow) {
        double s = scale();
        int partner = i < pairs ? i + pairs : i - pairs;
        double[] p = alongRow ? pr : pc;
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < rows; j++) {
            if (j == partner) continue;
            max = Math.max(max, s * (alongRow ? c[i * rows + j] : c[j * rows + i]));
        }
        double sum = 0;
        for (int j = 0; j < rows; j++) {
            int at = alongRow ? i * rows + j : j * rows + i;
            if (j == partner) {
                p[at] = 0;
                continue;
            }
            double e = Math.exp(s * c[at] - max);
            p[at] = e;
            sum += e;
        }
        for (int j = 0; j < rows; j++) p[alongRow ? i * rows + j : j * rows + i] /= sum;
        return Math.log(sum) + max - s * c[i * rows + i];
    }

    @Override
    public void update(double learningRate, HyperParams hp, INDArray onlineParams) {
        // No weight decay on the temperature; clamped as CLIP clamps its logit scale.
        Sgd.step(logScale, logScaleGrad, logScaleVelocity, learningRate, 0, hp.sgdMomentum());
        double t = logScale.getDouble(0);
        if (t < 0 || t > maxLogScale) logScale.putScalar(0, Math.min(maxLogScale, Math.max(0, t)));
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> st = new LinkedHashMap<>();
        st.put("logitScale", logScale);
        st.put("logitScaleVelocity", logScaleVelocity);
        return st;
    }

    @Override
    public void clearMomentum() {
        logScaleVelocity.assign(0);
    }

    /** dLoss/dt of the last step, for tests. */
    double logScaleGradient() {
        return logScaleGrad.getDouble(0);
    }

    INDArray logScale() {
        return logScale;
    }
}
