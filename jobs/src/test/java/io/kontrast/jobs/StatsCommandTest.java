package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kontrast.jobs.cli.Args;
import io.kontrast.operators.KontrastOptions;
import io.kontrast.operators.TrainerSettings;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kontrast stats} computes each channel's mean and std of an image folder as the trainer
 * reads it, and {@code train --input-stats} takes them into the per-channel options.
 */
class StatsCommandTest {
    /** Two solid 32×32 PNGs per class: red (255, 0, 51) and (255, 102, 51). */
    static Path folder(Path root) throws Exception {
        int[][] colours = {{255, 0, 51}, {255, 102, 51}};
        for (String cls : new String[] {"a", "b"}) {
            Path dir = Files.createDirectories(root.resolve("train").resolve(cls));
            for (int k = 0; k < 2; k++) {
                BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
                int rgb = colours[k][0] << 16 | colours[k][1] << 8 | colours[k][2];
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) img.setRGB(x, y, rgb);
                ImageIO.write(img, "png", dir.resolve(k + ".png").toFile());
            }
        }
        return root;
    }

    @Test
    void statsOfAnImageFolderAreEachChannelsMeanAndStdAndTrainTakesThem(@TempDir Path tmp) throws Exception {
        Path dir = folder(tmp.resolve("images"));
        Path out = tmp.resolve("stats.json");
        var r = KontrastCliTest.run("stats", "--dataset", "image-folder", "--dir", dir.toString(), "--out", out.toString(),
                "--std-floor", "0.01");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"channels\" : 3").contains("\"samples\" : 4");
        InputStats stats = InputStats.read(out);
        // Red is 1 everywhere (its std floored at 1% of the mean std); green half 0, half 0.4; blue 0.2.
        assertThat(stats.mean()).containsExactly(new double[] {1.0, 0.2, 0.2}, within(1e-6));
        double floor = 0.01 * 0.2 / 3;
        assertThat(stats.std()).containsExactly(new double[] {floor, 0.2, floor}, within(1e-6));

        Args a = TrainCommand.args().parse(new String[] {"--input-shape", "3x32x32", "--input-stats", out.toString()});
        Configuration conf = TrainCommand.configuration(a);
        assertThat(conf.get(KontrastOptions.INPUT_CHANNEL_MEAN)).containsExactly(1.0, 0.2, 0.2);
        var views = TrainerSettings.from(conf).views();
        assertThat(views.channelStats().channels()).isEqualTo(3);
        assertThat((double) views.channelStats().std(1)).isCloseTo(0.2, within(1e-6));
    }

    @Test
    void aFileOfAnotherShapeOrNoStatisticsIsAUsageErrorNamingTheOption(@TempDir Path tmp) throws Exception {
        Path two = tmp.resolve("two.json");
        Files.writeString(two, "{\"mean\": [0.5, 0.5], \"std\": [0.2, 0.2]}");
        var r = KontrastCliTest.run("train", "--input-shape", "3x32x32", "--input-stats", two.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("kontrast.input.channel-mean").contains("got 2");
        Path none = tmp.resolve("none.json");
        Files.writeString(none, "{\"mean\": []}");
        r = KontrastCliTest.run("train", "--input-shape", "3x32x32", "--input-stats", none.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--input-stats").contains("'mean'");
        r = KontrastCliTest.run("stats", "--dataset", "fashion-mnist-tokens");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("token ids");
    }
}
