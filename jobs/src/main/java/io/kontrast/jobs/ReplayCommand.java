package io.kontrast.jobs;

import io.kontrast.data.LabeledImages;
import io.kontrast.jobs.cli.Args;
import java.io.PrintStream;

/** {@code kontrast replay}: produces a dataset into a topic as Avro {@code Sample}s. */
public final class ReplayCommand {
    private ReplayCommand() {}

    static Args args() {
        return new Args("replay", "Produces a dataset into a Kafka topic as Avro Sample records.")
                .opt("bootstrap", "servers", "localhost:9092", "Kafka bootstrap servers")
                .opt("topic", "name", "samples", "topic to write to")
                .opt("dataset", "fashion-mnist|synthetic", "fashion-mnist", "dataset to replay")
                .opt("split", "train|test", "train", "dataset split")
                .opt("epochs", "n", "1", "passes over the dataset, each in a new shuffle (0: forever)")
                .opt("rate", "records/s", "0", "records per second (0: as fast as possible)")
                .opt("limit", "n", "0", "use only the first n images of the split (0: all)")
                .opt("seed", "n", "7", "shuffle seed")
                .opt("data-dir", "dir", null, "Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)")
                .flag("with-labels", "include labels (never used for training; for the quality monitor)");
    }

    static int run(Args a, PrintStream out) throws Exception {
        String dataset = a.choice("dataset", "fashion-mnist", "synthetic");
        String split = a.choice("split", "train", "test");
        int epochs = a.getInt("epochs", 0, Integer.MAX_VALUE);
        double rate = a.getDouble("rate", 0);
        long limit = a.getLong("limit", 0);
        LabeledImages set = Datasets.load(dataset, split, a.path("data-dir"));
        if (limit > 0 && limit < set.size()) {
            set = set.head((int) limit);
        }
        Replayer r = new Replayer(a.get("bootstrap"), a.get("topic"));
        Runtime.getRuntime().addShutdownHook(new Thread(r::stop));
        long sent = r.replay(set, epochs, rate, a.flag("with-labels"), a.getLong("seed", Long.MIN_VALUE));
        out.println("Sent " + sent + " samples of " + set.name() + " to " + a.get("topic") + ".");
        return 0;
    }
}
