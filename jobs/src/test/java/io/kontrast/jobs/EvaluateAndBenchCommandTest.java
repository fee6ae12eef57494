package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.math.Nd4jRuntime;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.publish.SnapshotCodec;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluate and bench commands, run as a user runs them, print the JSON they promise. */
class EvaluateAndBenchCommandTest {
    static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = KontrastCli.run(args, new PrintStream(out, true), System.err);
        assertThat(exit).as(out.toString()).isZero();
        return out.toString();
    }

    static double field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": ([0-9.]+)").matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void evaluateScoresASnapshotFileAndTheBaselines(@TempDir Path tmp) throws Exception {
        Nd4jRuntime.init();
        TrainerSettings s = TrainerSettings.from(new Configuration());
        var mlp = new io.kontrast.math.nn.LayerNet("mlp", io.kontrast.math.nn.Presets.mlp(new io.kontrast.math.nn.Shape(1, 28, 28), false), 1);
        var params = mlp.newParams();
        mlp.init(params, mlp.newStats(), 8);
        EncoderSnapshot snap = SnapshotCodec.fromNetwork(new SnapshotCodec.Header("eval", 3, 30, 7680, Instant.now(),
                new int[] {1, 28, 28}, s.views().inputMean(), s.views().inputStd()), mlp, params, mlp.newStats(), Map.of());
        ByteBuffer wire = EncoderSnapshot.getEncoder().encode(snap);
        byte[] bytes = new byte[wire.remaining()];
        wire.get(bytes);
        Path file = tmp.resolve("snapshot.bin");
        Files.write(file, bytes);

        String json = run("evaluate", "--snapshot-file", file.toString(), "--dataset", "synthetic",
                "--bank-limit", "4000", "--linear-epochs", "5");
        assertThat(json).contains("\"version\": 3", "\"samples_seen\": 7680", "\"bank\": 4000");
        // Ten classes: chance is 0.1; shapes are easy even for a random-init encoder.
        assertThat(field(json, "knn200")).isBetween(0.3, 1.0);
        assertThat(field(json, "linear")).isBetween(0.3, 1.0);
        String raw = run("evaluate", "--features", "raw", "--dataset", "synthetic", "--bank-limit", "4000", "--linear-epochs", "5");
        assertThat(field(raw, "knn200")).isBetween(0.2, 1.0);
    }

    @Test
    void benchPrintsTheTrainerAgainstTheGemmCeiling() {
        String out = run("bench", "--steps", "5", "--cnn-steps", "2", "--pipeline-steps", "0", "--batch-size", "64", "--queue-size", "256");
        String json = out.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
        assertThat(field(json, "gemm_gflops")).isPositive();
        assertThat(field(json, "samples_per_s")).isPositive();
        assertThat(field(json, "fraction_of_gemm")).isBetween(0.0, 1.5);
        assertThat(json).contains("\"pipeline\": null");
        var cnn = java.util.regex.Pattern.compile("\"cnn\": \\{\"samples_per_s\": ([0-9.]+), [^}]*\"fraction_of_gemm\": ([0-9.]+), "
                + "\"lane_wait_ms\": [0-9.]+\\}").matcher(json);
        assertThat(cnn.find()).as(json).isTrue();
        assertThat(Double.parseDouble(cnn.group(1))).isPositive();
        assertThat(Double.parseDouble(cnn.group(2))).isBetween(0.0, 1.5);
        // Every preset with the input shape it ran at.
        for (String preset : new String[] {"cnn", "resnet", "cnn1d", "cnn1d-steps", "gru", "tokens-cnn1d", "gcn"}) {
            String shape = preset.equals("cnn") || preset.equals("resnet") ? "3x32x32" : preset.startsWith("tokens") ? "28"
                    : preset.equals("gcn") ? "32x16 graph" : "28x28";
            var p = java.util.regex.Pattern.compile("\\{\"preset\": \"" + preset + "\", \"input_shape\": \"" + shape + "\", "
                    + "\"samples_per_s\": ([0-9.]+), [^}]*\"fraction_of_gemm\": ([0-9.]+)").matcher(json);
            assertThat(p.find()).as(json).isTrue();
            assertThat(Double.parseDouble(p.group(1))).isPositive();
            assertThat(Double.parseDouble(p.group(2))).isBetween(0.0, 1.5);
        }
        assertThat(out).contains("resnet trainer step, 3x32x32");
        // With lanes (two cores here), the first lane's wait for the second is measured.
        assertThat(field(json, "lane_wait_ms")).isGreaterThanOrEqualTo(0.0);
        assertThat(out).contains("the first lane waits ");
    }

    /**
     * The whole pipeline on an embedded broker, timed after its warm-up third, with overlapped
     * steps: the JSON carries the pipeline's rate, its ratio to the trainer alone, the step time
     * and share inside the job, and the cores each group of threads kept busy.
     */
    @Test
    void benchTimesThePipelineAfterItsWarmUp() {
        String out = run("bench", "--steps", "5", "--cnn-steps", "0", "--pipeline-steps", "30", "--batch-size", "32",
                "--queue-size", "256", "-D", "kontrast.trainer.lanes=false", "-D", "kontrast.trainer.overlap=true");
        String line = out.lines().filter(l -> l.startsWith("Pipeline")).findFirst().orElseThrow();
        // Snapshots every 10 steps; the first third is the warm-up.
        assertThat(line).contains("(steps 10-30;").contains("steps on a thread of their own");
        String json = out.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
        var pipe = java.util.regex.Pattern.compile("\"pipeline\": \\{\"encoder\": \"mlp\", \"overlap\": true, \"samples_per_s\": ([0-9.]+), \"over_trainer\": ([0-9.]+), "
                + "\"step_ms_in_job\": ([0-9.]+), \"step_ms_alone\": ([0-9.]+), \"step_share\": ([0-9.]+), \"views_ms_in_job\": ([0-9.]+), \"lane_wait_ms_in_job\": [0-9.]+, "
                + "\"cores_busy\": \\{\"trainer_thread\": ([0-9.]+), \"step_thread\": ([0-9.]+), \"lane\": ([0-9.]+), \"kafka_fetcher\": ([0-9.]+), \"other_threads\": ([0-9.]+), \"jit\": ([0-9.]+), \"gc\": ([0-9.]+), \"vm_other\": ([0-9.]+)\\}\\}").matcher(json);
        assertThat(pipe.find()).as(json).isTrue();
        assertThat(Double.parseDouble(pipe.group(1))).isPositive();
        assertThat(Double.parseDouble(pipe.group(2))).isPositive();
        assertThat(Double.parseDouble(pipe.group(3))).isPositive();
        assertThat(Double.parseDouble(pipe.group(5))).isBetween(0.0, 1.0);
        assertThat(Double.parseDouble(pipe.group(6))).isPositive();
        // Where the CPU went: the task thread read and built views, the step thread stepped, and
        // with lanes off there is no helper lane.
        assertThat(Double.parseDouble(pipe.group(7))).isPositive();
        assertThat(Double.parseDouble(pipe.group(8))).isPositive();
        assertThat(Double.parseDouble(pipe.group(9))).isZero();
        double busy = 0;
        for (int g = 7; g <= 14; g++) busy += Double.parseDouble(pipe.group(g));
        assertThat(busy).isLessThanOrEqualTo(Runtime.getRuntime().availableProcessors() + 0.25);
        assertThat(out).contains("cores busy (of ");
    }

    @Test
    void benchHandsItsOptionsToThePipelinesJob() {
        var args = BenchCommand.trainArgs("localhost:1", java.nio.file.Path.of("/tmp/ckpt"), 32, 256, 10, 960,
                java.util.List.of("kontrast.trainer.lanes=false", "state.backend.type=rocksdb"));
        assertThat(String.join(" ", args)).endsWith("--max-samples 960 -D kontrast.trainer.lanes=false -D state.backend.type=rocksdb");
    }

    @Test
    void benchRejectsABadOptionAtStartup() {
        var err = new java.io.ByteArrayOutputStream();
        int code = KontrastCli.run(new String[] {"bench", "-D", "kontrast.trainer.lanes=maybe"},
                new java.io.PrintStream(new java.io.ByteArrayOutputStream()), new java.io.PrintStream(err));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("kontrast.trainer.lanes");
    }
}
