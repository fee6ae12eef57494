package io.kontrast.jobs;

import io.kontrast.data.ImageFolder;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.math.nn.Shape;

import io.kontrast.data.FashionMnist;
import io.kontrast.data.LabeledImages;
import io.kontrast.data.SyntheticShapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The datasets the CLI knows by name. */
public final class Datasets {
    public static final int SYNTHETIC_TRAIN = 20_000;
    public static final int SYNTHETIC_TEST = 2_000;

    /** The names {@code --dataset} takes (for {@code evaluate}, {@code report} and {@code replay}). */
    public static final String[] NAMES = {"fashion-mnist", "fashion-mnist-vectors", "fashion-mnist-rows", "fashion-mnist-halves", "fashion-mnist-tokens",
        "sbm-graphs", "synthetic",
        "image-folder"};

    /** {@link #NAMES} as an option's value label. */
    public static final String CHOICES = String.join("|", NAMES);

    private Datasets() {}

    public static LabeledImages load(String name, String split, Path dataDir) throws IOException {
        return load(name, split, dataDir, null);
    }

    /**
     * A dataset split by name; {@code image-folder} reads {@code dir/<split>/<class>/<file>}, fitted
     * to {@code shape} (3x32x32 when null).
     */
    public static LabeledImages load(String name, String split, Path dir, Shape shape) throws IOException {
        if (name.equals("image-folder")) {
            if (dir == null) {
                throw new UsageException("--dataset image-folder needs --dir DIR (DIR/<split>/<class>/<image files>)");
            }
            Shape s = shape == null ? new Shape(3, 32, 32) : shape;
            return ImageFolder.load(dir, split, s.channels(), s.height(), s.width());
        }
        Path dataDir = dir;
        return switch (name) {
            case "fashion-mnist" -> FashionMnist.load(dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir, split);
            // The same images as vectors of 784 features: for vector encoders and their views.
            case "fashion-mnist-vectors" -> FashionMnist.load(dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir, split).asVectors();
            // Each image as a sequence of its 28 rows of 28 features: for sequence encoders.
            case "fashion-mnist-rows" -> FashionMnist.load(dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir, split).asRows();
            // Each image as a pair of its top and bottom halves (parts top and bottom): for clip.
            case "fashion-mnist-halves" -> FashionMnist.load(dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir, split).asHalves();
            // Each image as a sequence of 28 tokens, one word per row (vocabulary 129, 0 pads): for token encoders.
            case "fashion-mnist-tokens" -> FashionMnist.load(dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir, split).asRowWords();
            // A stochastic block model graph as the neighbourhoods of its nodes (up to 32 nodes of 16 features), the block as label.
            case "sbm-graphs" -> io.kontrast.data.SbmGraphs.load(split);
            case "synthetic" -> split.equals("train")
                    ? SyntheticShapes.generate(SYNTHETIC_TRAIN, 1, "synthetic/train")
                    : SyntheticShapes.generate(SYNTHETIC_TEST, 2, "synthetic/test");
            default -> throw new IllegalArgumentException("unknown dataset " + name);
        };
    }

    public static boolean fashionMnistInstalled(Path dataDir) {
        Path dir = dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir;
        return Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz"))
                || Files.isRegularFile(dir.resolve("train-images-idx3-ubyte"));
    }
}
