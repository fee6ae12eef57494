package io.kontrast.jobs;

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

    private Datasets() {}

    public static LabeledImages load(String name, String split, Path dataDir) throws IOException {
        return switch (name) {
            case "fashion-mnist" -> FashionMnist.load(dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir, split);
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
