package io.kontrast.math;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Quality measures of a representation on labeled data, none of which trains the encoder:
 *
 * <ul>
 *   <li>{@link #knnAccuracy}: the weighted cosine kNN monitor of InstDisc and MoCo. Each test
 *       sample's k most cosine-similar bank samples vote for their class with weight {@code
 *       exp(sim / t)}.
 *   <li>{@link #linearProbe}: multinomial logistic regression on standardized features,
 *       trained with mini-batch SGD with momentum on the bank and scored on the test set.
 *   <li>{@link #alignment} and {@link #uniformity} (Wang and Isola, 2020) of normalized embeddings,
 *       and {@link #meanDimensionStd}, the collapse signal (near 1/sqrt(d) when healthy, near 0
 *       when collapsed).
 * </ul>
 */
public final class Probes {
    private Probes() {}

    /** Rows scaled to unit length (a copy). */
    public static INDArray normalizeRows(INDArray x) {
        INDArray norms = Transforms.max(x.norm2(1).reshape(x.rows(), 1), 1e-12, false);
        return x.divColumnVector(norms);
    }

    public static double knnAccuracy(INDArray bank, int[] bankLabels, INDArray test, int[] testLabels,
            int k, double t, int classes) {
        INDArray b = normalizeRows(bank);
        INDArray q = normalizeRows(test);
        int n = b.rows();
        int kk = Math.min(k, n);
        int correct = 0;
        int chunk = 256;
        int[] top = new int[kk];
        float[] topSim = new float[kk];
        double[] votes = new double[classes];
        for (int start = 0; start < q.rows(); start += chunk) {
            int end = Math.min(q.rows(), start + chunk);
            INDArray sims = Nd4j.gemm(q.get(NDArrayIndex.interval(start, end), NDArrayIndex.all()), b, false, true);
            float[] s = sims.data().asFloat();
            for (int r = 0; r < end - start; r++) {
                selectTopK(s, r * n, n, kk, top, topSim);
                Arrays.fill(votes, 0);
                for (int j = 0; j < kk; j++) {
                    votes[bankLabels[top[j]]] += Math.exp(topSim[j] / t);
                }
                int best = 0;
                for (int c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
                if (best == testLabels[start + r]) correct++;
            }
        }
        return correct / (double) q.rows();
    }

    /**
     * Cross-part retrieval: for each row {@code i} of {@code queries}, the rank of its own match,
     * row {@code i} of {@code gallery}, among all of the gallery's rows by cosine similarity (ties
     * count against it); returns recall@k, the fraction of queries whose match ranks within the
     * first k, for each k asked. The two sets embed the same samples, in the same order, each in
     * its own part's space.
     */
    public static double[] recall(INDArray queries, INDArray gallery, int... ks) {
        INDArray q = normalizeRows(queries);
        INDArray g = normalizeRows(gallery);
        int n = g.rows();
        int[] hits = new int[ks.length];
        int chunk = 256;
        for (int start = 0; start < q.rows(); start += chunk) {
            int end = Math.min(q.rows(), start + chunk);
            float[] s = Nd4j.gemm(q.get(NDArrayIndex.interval(start, end), NDArrayIndex.all()), g, false, true).data().asFloat();
            for (int r = 0; r < end - start; r++) {
                float own = s[r * n + start + r];
                int above = 0;
                for (int j = 0; j < n; j++) if (j != start + r && s[r * n + j] >= own) above++;
                for (int k = 0; k < ks.length; k++) if (above < ks[k]) hits[k]++;
            }
        }
        double[] out = new double[ks.length];
        for (int k = 0; k < ks.length; k++) out[k] = hits[k] / (double) q.rows();
        return out;
    }

    /** The k largest of s[off .. off+n) by a bounded min-heap: indices into top, values into topSim. */
    static void selectTopK(float[] s, int off, int n, int k, int[] top, float[] topSim) {
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = s[off + i];
            if (size < k) {
                int c = size++;
                while (c > 0 && topSim[(c - 1) / 2] > v) {
                    topSim[c] = topSim[(c - 1) / 2];
                    top[c] = top[(c - 1) / 2];
                    c = (c - 1) / 2;
                }
                topSim[c] = v;
                top[c] = i;
            } else if (v > topSim[0]) {
                int c = 0;
                while (true) {
                    int l = 2 * c + 1;
                    if (l >= k) break;
                    int m = (l + 1 < k && topSim[l + 1] < topSim[l]) ? l + 1 : l;
                    if (topSim[m] >= v) break;
                    topSim[c] = topSim[m];
                    top[c] = top[m];
                    c = m;
                }
                topSim[c] = v;
                top[c] = i;
            }
        }
    }

    /** Test accuracy of a softmax regression fitted on standardized bank features. */
    public static double linearProbe(INDArray bank, int[] bankLabels, INDArray test, int[] testLabels,
            int classes, int epochs, long seed) {
        INDArray mean = bank.mean(0);
        INDArray std = bank.std(0).addi(1e-6);
        INDArray x = bank.subRowVector(mean).diviRowVector(std);
        INDArray xt = test.subRowVector(mean).diviRowVector(std);
        int n = x.rows();
        int d = x.columns();
        INDArray w = Nd4j.zeros(DataType.FLOAT, d, classes);
        INDArray bias = Nd4j.zeros(DataType.FLOAT, 1, classes);
        INDArray vw = w.like();
        INDArray vb = bias.like();
        int batch = 256;
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        long steps = 0;
        long total = (long) epochs * ((n + batch - 1) / batch);
        for (int e = 0; e < epochs; e++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            for (int start = 0; start < n; start += batch) {
                int end = Math.min(n, start + batch);
                int[] idx = Arrays.copyOfRange(order, start, end);
                INDArray xb = x.getRows(idx);
                INDArray logits = xb.mmul(w).addiRowVector(bias);
                INDArray p = softmaxRows(logits);
                for (int r = 0; r < idx.length; r++) {
                    p.putScalar(r, bankLabels[idx[r]], p.getFloat(r, bankLabels[idx[r]]) - 1f);
                }
                p.divi(idx.length);
                INDArray gw = xb.transpose().mmul(p).addi(w.mul(1e-4));
                INDArray gb = p.sum(true, 0);
                double lr = 0.5 * 0.5 * (1 + Math.cos(Math.PI * steps / total)); // cosine to 0
                vw.muli(0.9).addi(gw);
                vb.muli(0.9).addi(gb);
                w.subi(vw.mul(lr));
                bias.subi(vb.mul(lr));
                steps++;
            }
        }
        INDArray pred = xt.mmul(w).addiRowVector(bias).argMax(1);
        int correct = 0;
        for (int i = 0; i < testLabels.length; i++) if (pred.getInt(i) == testLabels[i]) correct++;
        return correct / (double) testLabels.length;
    }

    static INDArray softmaxRows(INDArray logits) {
        INDArray shifted = logits.subColumnVector(logits.max(1).reshape(logits.rows(), 1));
        INDArray e = Transforms.exp(shifted, false);
        return e.diviColumnVector(e.sum(1).reshape(logits.rows(), 1));
    }

    /** Mean squared distance between normalized embeddings of positive pairs (lower is better). */
    public static double alignment(INDArray a, INDArray b) {
        INDArray d = normalizeRows(a).subi(normalizeRows(b));
        return d.mul(d).sum(1).meanNumber().doubleValue();
    }

    /** log E exp(-2 |x - y|^2) over distinct pairs of normalized embeddings (lower is more uniform). */
    public static double uniformity(INDArray x) {
        INDArray z = normalizeRows(x);
        INDArray sim = z.mmul(z.transpose());
        // |x - y|^2 = 2 - 2 x.y for unit vectors.
        INDArray e = Transforms.exp(sim.muli(4).subi(4), false);
        long n = z.rows();
        double sum = e.sumNumber().doubleValue() - n; // drop the diagonal (exp(0) = 1 each)
        return Math.log(sum / (n * (n - 1)));
    }

    /** Mean over dimensions of the per-dimension std of normalized embeddings. */
    public static double meanDimensionStd(INDArray x) {
        return normalizeRows(x).std(0).meanNumber().doubleValue();
    }
}
