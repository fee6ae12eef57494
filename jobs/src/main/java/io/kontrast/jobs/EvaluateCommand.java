package io.kontrast.jobs;

import io.kontrast.client.SnapshotCodecs;
import io.kontrast.data.LabeledImages;
import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.math.Network;
import io.kontrast.operators.KontrastOptions;
import io.kontrast.math.Probes;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.publish.SnapshotCodec;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code kontrast evaluate}: scores a snapshot on a labeled dataset. Features of the train split
 * are the bank, the test split is scored: weighted cosine kNN (k = 200, t = 0.1) and a linear
 * probe on standardized features. Prints one JSON line.
 */
public final class EvaluateCommand {
    private EvaluateCommand() {}

    static Args args() {
        return new Args("evaluate", "Scores an encoder snapshot: kNN (k=200, t=0.1) and linear-probe accuracy; one JSON line.")
                .opt("snapshot-file", "path", null, "a snapshot record (single-object encoded) to score")
                .opt("bootstrap", "servers", null, "score the newest committed snapshot on a topic")
                .opt("kafka-config", "file", null, KafkaCli.CONFIG_HELP)
                .opt("topic", "name", "encoder-snapshots", "snapshot topic, with --bootstrap")
                .opt("model-id", "id", null, "with --bootstrap: the newest snapshot of this model (default: of any model)")
                .opt("dataset", Datasets.CHOICES, "fashion-mnist", "labeled dataset: train split = bank, test split = queries")
                .opt("dir", "dir", null, "the image folder of --dataset image-folder: DIR/<split>/<class>/<image files>")
                .opt("data-dir", "dir", null, "Fashion-MNIST IDX directory")
                .opt("features", "snapshot|raw|random|propagated", "snapshot", "what to score: the snapshot, raw pixels, or a random-init encoder (baselines); for graphs also the centre after 0..--hops rounds of neighbourhood means, no weights")
                .opt("hops", "K", "2", "rounds of neighbourhood means, for --features propagated")
                .opt("encoder", String.join("|", TrainerSettings.ENCODERS), "auto", "encoder of --features random")
                .opt("encoder-spec", "file", null, "a JSON layer list, for --features random")
                .opt("input-shape", "CxHxW|TxF|F", "1x28x28", "input shape, for --features random: an image, a sequence of T steps of F features, or a vector of F features (T tokens with --vocab)")
                .opt("input-stats", "file", null, "per-channel normalisation from kontrast stats, for --features random")
                .opt("vocab", "V", null, "token samples, for --features random (a token dataset sets it and the input shape)")
                .flag("graph", "graph samples, for --features random (sbm-graphs sets it and the input shape)")
                .opt("bank-limit", "n", "0", "use only the first n train images (0: all)")
                .opt("linear-epochs", "n", "20", "epochs of the linear probe");
    }

    static int run(Args a, PrintStream out) throws Exception {
        String dataset = a.choice("dataset", Datasets.NAMES);
        String features = a.choice("features", "snapshot", "raw", "random", "propagated");
        int hops = a.getInt("hops", 0, 8);
        if (features.equals("propagated") && !dataset.endsWith("-graphs")) {
            throw new UsageException("--features propagated is for graph datasets (sbm-graphs), not " + dataset);
        }
        int limit = a.getInt("bank-limit", 0, Integer.MAX_VALUE);
        int epochs = a.getInt("linear-epochs", 1, 1000);
        if (dataset.equals("fashion-mnist-halves")) return runPairs(a, out, features, limit, epochs);
        EncoderSnapshot snapshot = null;
        if (features.equals("snapshot")) {
            if (a.has("snapshot-file") == a.has("bootstrap")) {
                throw new UsageException("give exactly one of --snapshot-file and --bootstrap");
            }
            snapshot = a.has("snapshot-file")
                    ? SnapshotCodecs.decode(Files.readAllBytes(a.path("snapshot-file")))
                    : newest(KafkaCli.client(a), a.get("topic"), a.has("model-id") ? a.get("model-id") : null);
        } else if (features.equals("random")) {
            Configuration conf = new Configuration();
            TrainCommand.encoderOptions(a, conf);
            if (dataset.equals("sbm-graphs")) {
                conf.set(io.kontrast.operators.KontrastOptions.INPUT_GRAPH, true);
                if (!a.has("input-shape")) {
                    conf.set(io.kontrast.operators.KontrastOptions.INPUT_SHAPE,
                            io.kontrast.data.SbmGraphs.MAX_NODES + "x" + io.kontrast.data.SbmGraphs.FEATURES);
                }
            }
            if (dataset.endsWith("-tokens")) {
                // A token set's own vocabulary and length, unless given.
                LabeledImages probe = Datasets.load(dataset, "test", a.path("data-dir"), null).head(1);
                if (!a.has("vocab")) conf.set(io.kontrast.operators.KontrastOptions.INPUT_VOCAB, probe.vocab());
                if (!a.has("input-shape")) conf.set(io.kontrast.operators.KontrastOptions.INPUT_SHAPE, Integer.toString(probe.pixelsPerImage()));
            }
            TrainerSettings s;
            try {
                s = TrainerSettings.from(conf);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            Network net = s.network();
            var params = net.newParams();
            var stats = net.newStats();
            net.init(params, stats, 1);
            snapshot = SnapshotCodec.fromNetwork(new SnapshotCodec.Header("random-init", 0, 0, 0, Instant.now(),
                    s.snapshotInputShape(), s.views().inputMean(), s.views().inputStd(), s.views().channelStats()), net, params, stats,
                    Map.of());
        }
        // Images are fitted to the encoder's input shape (the snapshot's, or --input-shape).
        io.kontrast.math.nn.Shape shape = snapshot != null && snapshot.getInputShape().size() == 3
                ? new io.kontrast.math.nn.Shape(snapshot.getInputShape().get(0), snapshot.getInputShape().get(1), snapshot.getInputShape().get(2))
                : a.has("input-shape") ? ReplayCommand.shape(a) : null;
        java.nio.file.Path dir = dataset.equals("image-folder") ? a.path("dir") : a.path("data-dir");
        LabeledImages train = Datasets.load(dataset, "train", dir, shape);
        if (limit > 0) train = train.head(limit);
        LabeledImages test = Datasets.load(dataset, "test", dir, shape);
        long t0 = System.nanoTime();
        INDArray bank = snapshot != null ? SnapshotFeatures.extract(snapshot, train)
                : features.equals("propagated") ? SnapshotFeatures.propagated(train, hops) : SnapshotFeatures.raw(train);
        INDArray queries = snapshot != null ? SnapshotFeatures.extract(snapshot, test)
                : features.equals("propagated") ? SnapshotFeatures.propagated(test, hops) : SnapshotFeatures.raw(test);
        double knn = Probes.knnAccuracy(bank, train.labels(), queries, test.labels(), 200, 0.1, 10);
        double linear = Probes.linearProbe(bank, train.labels(), queries, test.labels(), 10, epochs, 7);
        out.println(String.format(Locale.ROOT,
                "{\"features\": \"%s\", \"model_id\": %s, \"version\": %d, \"step\": %d, \"samples_seen\": %d, "
                        + "\"dataset\": \"%s\", \"bank\": %d, \"queries\": %d, \"knn200\": %.4f, \"linear\": %.4f, \"seconds\": %.1f}",
                features, snapshot == null ? "null" : "\"" + snapshot.getModelId() + "\"",
                snapshot == null ? 0 : snapshot.getVersion(), snapshot == null ? 0 : snapshot.getStep(),
                snapshot == null ? 0 : snapshot.getSamplesSeen(), dataset, train.size(), test.size(), knn, linear,
                (System.nanoTime() - t0) / 1e9));
        return 0;
    }

    /**
     * Paired samples (the halves): each tower embeds its own part of the images, the top tower the
     * top halves and the bottom tower the bottom ones; kNN and the linear probe score the two
     * embeddings side by side, and retrieval finds each test image's other half among the test
     * split's by cosine similarity (recall@1 and @10, both ways). {@code --model-id M} names the
     * pair of models {@code M.top} and {@code M.bottom}, taken at their newest common version.
     */
    static int runPairs(Args a, PrintStream out, String features, int limit, int epochs) throws Exception {
        List<String> parts = LabeledImages.HALVES;
        EncoderSnapshot[] towers = new EncoderSnapshot[parts.size()];
        if (features.equals("snapshot")) {
            if (!a.has("bootstrap") || !a.has("model-id")) {
                throw new UsageException("paired samples are scored from the topic: give --bootstrap and --model-id (the "
                        + "towers are <model-id>.top and <model-id>.bottom)");
            }
            String bootstrap = KafkaCli.client(a).getProperty("bootstrap.servers");
            List<EncoderSnapshot> all = SnapshotTopicReader.readAll(KafkaCli.client(a), a.get("topic"), Duration.ofSeconds(60));
            long common = Long.MAX_VALUE;
            for (String part : parts) {
                String id = a.get("model-id") + "." + part;
                common = Math.min(common, all.stream().filter(x -> x.getModelId().toString().equals(id))
                        .mapToLong(EncoderSnapshot::getVersion).max()
                        .orElseThrow(() -> new UsageException("no committed snapshot of " + id + " on " + a.get("topic") + " at " + bootstrap)));
            }
            for (int p = 0; p < towers.length; p++) {
                String id = a.get("model-id") + "." + parts.get(p);
                long v = common;
                towers[p] = all.stream().filter(x -> x.getModelId().toString().equals(id) && x.getVersion() == v).findFirst()
                        .orElseThrow(() -> new UsageException("no version " + v + " of " + id));
            }
        } else if (features.equals("random")) {
            Configuration conf = new Configuration();
            conf.set(io.kontrast.operators.KontrastOptions.INPUT_PARTS, "top=1x14x28,bottom=1x14x28");
            conf.set(io.kontrast.operators.KontrastOptions.OBJECTIVE, "clip");
            TrainerSettings s = TrainerSettings.from(conf);
            var net = (io.kontrast.math.nn.Towers) s.network();
            var params = net.newParams();
            var stats = net.newStats();
            net.init(params, stats, 1);
            List<int[]> shapes = s.parts().stream().map(p -> TrainerSettings.snapshotInputShape(p.shape())).toList();
            towers = SnapshotCodec.fromTowers(new SnapshotCodec.Header("random-init", 0, 0, 0, Instant.now(), null,
                    s.views().inputMean(), s.views().inputStd()), net, shapes, params, stats, Map.of()).toArray(EncoderSnapshot[]::new);
        }
        LabeledImages train = Datasets.load("fashion-mnist-halves", "train", a.path("data-dir"), null);
        if (limit > 0) train = train.head(limit);
        LabeledImages test = Datasets.load("fashion-mnist-halves", "test", a.path("data-dir"), null);
        long t0 = System.nanoTime();
        INDArray[] bank = new INDArray[parts.size()];
        INDArray[] queries = new INDArray[parts.size()];
        for (int p = 0; p < parts.size(); p++) {
            LabeledImages trainPart = train.half(p);
            LabeledImages testPart = test.half(p);
            bank[p] = towers[p] == null ? SnapshotFeatures.pixels(trainPart) : SnapshotFeatures.extract(towers[p], trainPart);
            queries[p] = towers[p] == null ? SnapshotFeatures.pixels(testPart) : SnapshotFeatures.extract(towers[p], testPart);
        }
        INDArray bankBoth = org.nd4j.linalg.factory.Nd4j.hstack(bank);
        INDArray queriesBoth = org.nd4j.linalg.factory.Nd4j.hstack(queries);
        double knn = Probes.knnAccuracy(bankBoth, train.labels(), queriesBoth, test.labels(), 200, 0.1, 10);
        double linear = Probes.linearProbe(bankBoth, train.labels(), queriesBoth, test.labels(), 10, epochs, 7);
        double[] forward = Probes.recall(queries[0], queries[1], 1, 10);
        double[] backward = Probes.recall(queries[1], queries[0], 1, 10);
        EncoderSnapshot first = towers[0];
        out.println(String.format(Locale.ROOT,
                "{\"features\": \"%s\", \"model_id\": %s, \"version\": %d, \"step\": %d, \"samples_seen\": %d, "
                        + "\"dataset\": \"fashion-mnist-halves\", \"bank\": %d, \"queries\": %d, \"knn200\": %.4f, \"linear\": %.4f, "
                        + "\"top_to_bottom_recall1\": %.4f, \"top_to_bottom_recall10\": %.4f, "
                        + "\"bottom_to_top_recall1\": %.4f, \"bottom_to_top_recall10\": %.4f, \"seconds\": %.1f}",
                features, first == null ? "null" : "\"" + (features.equals("snapshot") ? a.get("model-id") : first.getModelId()) + "\"",
                first == null ? 0 : first.getVersion(), first == null ? 0 : first.getStep(),
                first == null ? 0 : first.getSamplesSeen(), train.size(), test.size(), knn, linear,
                forward[0], forward[1], backward[0], backward[1], (System.nanoTime() - t0) / 1e9));
        return 0;
    }

    static EncoderSnapshot newest(java.util.Properties client, String topic, String modelId) throws Exception {
        String bootstrap = client.getProperty("bootstrap.servers");
        List<EncoderSnapshot> all = SnapshotTopicReader.readAll(client, topic, Duration.ofSeconds(60));
        // Versions count per model; among models, the one published last.
        return all.stream().filter(x -> modelId == null || x.getModelId().equals(modelId))
                .max((x, y) -> modelId != null ? Long.compare(x.getVersion(), y.getVersion()) : x.getCreatedAt().compareTo(y.getCreatedAt()))
                .orElseThrow(() -> new UsageException("no committed snapshot on " + topic + " at " + bootstrap));
    }
}
