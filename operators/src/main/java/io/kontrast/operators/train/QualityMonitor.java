package io.kontrast.operators.train;

import io.kontrast.data.FashionMnist;
import io.kontrast.data.LabeledImages;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.math.Learner;
import io.kontrast.math.Probes;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.views.ViewAugmenter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scores the query encoder on a small labeled probe set at every snapshot; the probe set is never
 * trained on. Reports the MoCo/InstDisc kNN monitor (weighted cosine, k = 200, t = 0.1), a linear
 * probe, and collapse signals of the projector outputs on two views of the queries: the mean
 * per-dimension std (healthy near 1/sqrt(d)), alignment and uniformity.
 */
final class QualityMonitor {
    /** Rows per forward pass of the probe (see {@link Learner#representAll}). */
    private static final int CHUNK = 128;

    private final LabeledImages bank;
    private final LabeledImages queries;
    private final INDArray bankX;
    private final INDArray queryX;
    private final INDArray viewA;
    private final INDArray viewB;

    QualityMonitor(TrainerSettings s) throws IOException {
        String set = s.probeSet();
        int size = s.probeSize();
        if (set.equals("synthetic")) {
            bank = SyntheticShapes.generate(size, 101, "synthetic/probe-bank");
            queries = SyntheticShapes.generate(size / 2, 102, "synthetic/probe-queries");
        } else {
            Path dir = set.startsWith("fashion-mnist:") ? Path.of(set.substring("fashion-mnist:".length())) : FashionMnist.DEFAULT_DIR;
            bank = FashionMnist.load(dir, "train").head(size);
            queries = FashionMnist.load(dir, "test").head(size / 2);
        }
        var v = s.views();
        var norm = v.normalization(s.inputShape().channels());
        bankX = normalized(bank, norm);
        queryX = normalized(queries, norm);
        ViewAugmenter aug = new ViewAugmenter(v);
        int n = queries.size();
        float[] a = new float[n * 784];
        float[] b = new float[n * 784];
        float[] tmp = new float[784];
        // A vector input's views are SCARF's, drawing replacements from the other queries.
        float[][] rows = null;
        io.kontrast.operators.views.VectorViews vectors = null;
        if (s.inputShape().isVector()) {
            rows = new float[n][];
            for (int i = 0; i < n; i++) rows[i] = queries.image(i);
            vectors = new io.kontrast.operators.views.VectorViews(v, 784);
        }
        float[] tmpB = new float[784];
        // A sequence input (the images' 28 rows) gets sequence views.
        var sequences = s.inputShape().isSequence() ? new io.kontrast.operators.views.SequenceViews(v, 28, 28) : null;
        for (int i = 0; i < n; i++) {
            SplittableRandom rnd = aug.randomFor("probe/" + i);
            if (sequences != null) {
                sequences.view(queries.image(i), rnd, tmp);
                System.arraycopy(tmp, 0, a, i * 784, 784);
                sequences.view(queries.image(i), rnd, tmp);
                System.arraycopy(tmp, 0, b, i * 784, 784);
                continue;
            }
            if (vectors != null) {
                vectors.pair(rows, n, i, rnd, tmp, tmpB);
                System.arraycopy(tmp, 0, a, i * 784, 784);
                System.arraycopy(tmpB, 0, b, i * 784, 784);
                continue;
            }
            aug.augment(queries.image(i), 28, 28, rnd, tmp);
            System.arraycopy(tmp, 0, a, i * 784, 784);
            aug.augment(queries.image(i), 28, 28, rnd, tmp);
            System.arraycopy(tmp, 0, b, i * 784, 784);
        }
        viewA = Nd4j.createFromArray(a).reshape(n, 784);
        viewB = Nd4j.createFromArray(b).reshape(n, 784);
    }

    private static INDArray normalized(LabeledImages set, io.kontrast.operators.views.ChannelStats norm) {
        int n = set.size();
        float[] x = new float[n * 784];
        for (int i = 0; i < n; i++) {
            System.arraycopy(set.image(i), 0, x, i * 784, 784);
            norm.normalize(x, i * 784, 784);
        }
        return Nd4j.createFromArray(x).reshape(n, 784);
    }

    Map<String, Double> score(Learner learner) {
        INDArray bankF = learner.representAll(bankX, CHUNK);
        INDArray queryF = learner.representAll(queryX, CHUNK);
        INDArray za = learner.projectAll(viewA, CHUNK);
        INDArray zb = learner.projectAll(viewB, CHUNK);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("probe_knn200", Probes.knnAccuracy(bankF, bank.labels(), queryF, queries.labels(), 200, 0.1, 10));
        m.put("probe_linear", Probes.linearProbe(bankF, bank.labels(), queryF, queries.labels(), 10, 10, 1));
        m.put("probe_embedding_std", Probes.meanDimensionStd(za));
        m.put("probe_alignment", Probes.alignment(za, zb));
        m.put("probe_uniformity", Probes.uniformity(za));
        return m;
    }
}
