package io.kontrast.jobs;

import io.kontrast.data.LabeledImages;
import io.kontrast.jobs.cli.Args;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code kontrast stats}: per-channel input statistics of a dataset split (see {@link
 * InputStats}), for {@code train --input-stats} and {@code evaluate --input-stats}.
 */
public final class StatsCommand {
    private StatsCommand() {}

    static Args args() {
        return new Args("stats", "Computes the per-channel mean and std of a dataset split, for --input-stats.")
                .opt("dataset", Datasets.CHOICES, "fashion-mnist", "dataset (images, sequences or vectors)")
                .opt("dir", "dir", null, "the image folder of --dataset image-folder: DIR/<split>/<class>/<image files>")
                .opt("data-dir", "dir", null, "Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)")
                .opt("input-shape", "CxHxW", "3x32x32", "shape the images of an image folder are fitted to, as the trainer fits them")
                .opt("split", "train|test", "train", "dataset split")
                .opt("limit", "n", "0", "use only the first n samples of the split (0: all)")
                .opt("std-floor", "f", "0.05", "each std is at least this fraction of the mean std over the channels")
                .opt("out", "file", null, "write the statistics here as JSON (they are printed either way)");
    }

    static int run(Args a, PrintStream out) throws Exception {
        String dataset = a.choice("dataset", Datasets.NAMES);
        String split = a.choice("split", "train", "test");
        int limit = a.getInt("limit", 0, Integer.MAX_VALUE);
        double floor = a.getDouble("std-floor", 0);
        io.kontrast.math.nn.Shape shape = dataset.equals("image-folder") ? ReplayCommand.shape(a) : null;
        java.nio.file.Path dir = dataset.equals("image-folder") ? a.path("dir") : a.path("data-dir");
        LabeledImages set = Datasets.load(dataset, split, dir, shape);
        InputStats stats = InputStats.of(set, limit, floor);
        Map<String, String> about = new LinkedHashMap<>();
        about.put("dataset", dataset);
        about.put("split", split);
        about.put("input_shape", new io.kontrast.math.nn.Shape(set.channels(), set.height(), set.width()).toString());
        String json = stats.toJson(about);
        if (a.has("out")) {
            Files.writeString(a.path("out"), json + "\n");
        }
        out.println(json);
        return 0;
    }
}
