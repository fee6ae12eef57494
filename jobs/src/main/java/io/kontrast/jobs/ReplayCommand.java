package io.kontrast.jobs;

import io.kontrast.data.LabeledImages;
import io.kontrast.data.StreamOrder;
import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import java.io.PrintStream;

/** {@code kontrast replay}: produces a dataset into a topic as Avro {@code Sample}s. */
public final class ReplayCommand {
    private ReplayCommand() {}

    static Args args() {
        return new Args("replay", "Produces a dataset into a Kafka topic as Avro Sample records, or as encoded image files.")
                .opt("bootstrap", "servers", "localhost:9092", "Kafka bootstrap servers")
                .opt("kafka-config", "file", null, KafkaCli.CONFIG_HELP)
                .opt("topic", "name", "samples", "topic to write to")
                .opt("dataset", Datasets.CHOICES, "fashion-mnist", "dataset to replay")
                .opt("dir", "dir", null, "the image folder of --dataset image-folder: DIR/<split>/<class>/<image files>")
                .opt("format", "sample|image", "sample", "records as Avro Samples, or as the image files' own bytes (image-folder only)")
                .opt("input-shape", "CxHxW", "3x32x32", "shape of the Samples made from an image folder (--format sample)")
                .opt("split", "train|test", "train", "dataset split")
                .opt("epochs", "n", "1", "passes over the dataset, each in a new shuffle (0: forever)")
                .opt("order", "shuffled|class-sorted|drift", "shuffled",
                        "order within each epoch: a shuffle; all of one class, then the next; or runs of --run-length samples of one random class")
                .opt("run-length", "n", "512", "samples per run of one class in --order drift")
                .opt("rate", "records/s", "0", "records per second (0: as fast as possible)")
                .opt("limit", "n", "0", "use only the first n images of the split (0: all)")
                .opt("seed", "n", "7", "shuffle seed")
                .opt("data-dir", "dir", null, "Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)")
                .flag("with-labels", "include labels (never used for training; for the quality monitor)");
    }

    static int run(Args a, PrintStream out) throws Exception {
        String dataset = a.choice("dataset", Datasets.NAMES);
        String format = a.choice("format", "sample", "image");
        if (format.equals("image") && !dataset.equals("image-folder")) {
            throw new UsageException("--format image replays the files of --dataset image-folder");
        }
        String split = a.choice("split", "train", "test");
        int epochs = a.getInt("epochs", 0, Integer.MAX_VALUE);
        double rate = a.getDouble("rate", 0);
        long limit = a.getLong("limit", 0);
        StreamOrder order = StreamOrder.parse(a.choice("order", "shuffled", "class-sorted", "drift"));
        int runLength = a.getInt("run-length", 1, Integer.MAX_VALUE);
        LabeledImages set = Datasets.load(dataset, split, dataset.equals("image-folder") ? a.path("dir") : a.path("data-dir"),
                shape(a));
        if (limit > 0 && limit < set.size()) {
            set = set.head((int) limit);
        }
        Replayer r = new Replayer(KafkaCli.client(a), a.get("topic"));
        Runtime.getRuntime().addShutdownHook(new Thread(r::stop));
        long sent;
        try {
            sent = r.replay(set, epochs, rate, a.flag("with-labels"), a.getLong("seed", Long.MIN_VALUE), format.equals("image"),
                    order, runLength);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        out.println("Sent " + sent + " samples of " + set.name() + " to " + a.get("topic")
                + (order == StreamOrder.SHUFFLED ? "" : " in " + order.optionName() + " order") + ".");
        return 0;
    }

    static io.kontrast.math.nn.Shape shape(Args a) {
        try {
            return io.kontrast.math.nn.Shape.parse(a.get("input-shape"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("option --input-shape: " + e.getMessage());
        }
    }
}
