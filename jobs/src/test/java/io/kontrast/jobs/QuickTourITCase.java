package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.data.FashionMnist;
import io.kontrast.data.LabeledImages;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The README's quick tour, run as written on a real broker: every line of its code block, with
 * only the budgets shrunk (fewer samples, a smaller evaluation bank) and the broker's address and
 * the paths moved to this test's. A newcomer who copies the lines gets what this test gets.
 */
class QuickTourITCase extends WithKafka {
    /** Budgets shrunk, per command: options replaced, and options added if the line lacks them. */
    static final Map<String, Map<String, String>> SHRINK = Map.of(
            "replay", Map.of("--epochs", "1", "--limit", "3200"),
            "train", Map.of("--max-samples", "3072", "--snapshot-every", "8", "--checkpoint-interval", "2s"),
            "evaluate", Map.of("--bank-limit", "2000"),
            "report", Map.of("--map-samples", "500"));

    static final Path ROOT = Path.of(System.getProperty("kontrast.root"));

    @Test
    void theQuickTourRunsAsWritten() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int tour = readme.indexOf("## Quick tour");
        int start = readme.indexOf("```bash", tour) + "```bash".length();
        String block = readme.substring(start, readme.indexOf("```", start));
        String bootstrap = kafka.bootstrapServers();
        // The topics the kafka line's broker creates at its start.
        io.kontrast.jobs.kafka.EmbeddedKafka.createTopics(bootstrap,
                io.kontrast.jobs.kafka.EmbeddedKafka.kontrastTopics("samples", "samples.dlq", "encoder-snapshots"));

        List<String> commands = new ArrayList<>();
        String pythonLine = null;
        for (String raw : block.split("\n")) {
            String line = raw.replaceAll("\\s+#.*$", "").replaceAll("&\\s*$", "").trim();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("python3 ")) {
                pythonLine = line;
                continue;
            }
            assertThat(line).as("a quick-tour line").startsWith("java -jar jobs/target/kontrast.jar ");
            String[] words = line.substring("java -jar jobs/target/kontrast.jar ".length()).split("\\s+");
            commands.add(words[0]);
            if (words[0].equals("kafka")) continue; // this test's broker stands in for it
            String out = run(relocate(words, bootstrap));
            switch (words[0]) {
                case "replay" -> assertThat(out).contains("Sent 3200 samples");
                case "train" -> assertThat(out).contains("samples=3072");
                case "evaluate" -> {
                    assertThat(out).contains("\"knn200\"", "\"linear\"", "\"dataset\": \"fashion-mnist\"");
                    double knn = Double.parseDouble(out.replaceAll("(?s).*\"knn200\": ([0-9.]+).*", "$1"));
                    assertThat(knn).as(out).isGreaterThan(0.5); // ten classes: chance is 0.1
                }
                case "report" -> assertThat(tmp.resolve("kontrast-report/index.html")).exists();
                case "export" -> assertThat(Files.size(tmp.resolve("encoder.onnx"))).isGreaterThan(100_000);
                default -> { }
            }
        }
        assertThat(commands).containsExactly("kafka", "replay", "train", "report", "evaluate", "export");

        // The paragraph under the block: checkpoints lists what train kept, the savepoint it
        // stopped with at its budget, which the same train line resumes from.
        String listed = run("checkpoints", "--checkpoint-dir", tmp.resolve("kontrast-ckpt").toString());
        assertThat(listed).containsPattern("savepoints/savepoint-\\S+ .*<- newest").contains("moco-trainer");

        // The Python consumer, on images laid out as the comment above it says: float32 pixels in
        // 0..1, [n, C, H, W]. Its embeddings are the newest snapshot's, as Java computes them.
        assertThat(pythonLine).isNotNull();
        LabeledImages images = FashionMnist.load(FashionMnist.DEFAULT_DIR, "test").head(16);
        ByteBuffer x = ByteBuffer.allocate(16 * 784 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 16; i++) for (float v : images.image(i)) x.putFloat(v);
        Files.write(tmp.resolve("x.f32"), x.array());
        List<String> py = new ArrayList<>(List.of(Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3"));
        py.addAll(List.of(relocate(pythonLine.substring("python3 ".length()).split("\\s+"), bootstrap)));
        Process p = new ProcessBuilder(py).directory(tmp.toFile()).redirectErrorStream(true).start();
        String pyOut = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(pyOut).isZero();

        List<EncoderSnapshot> snapshots = SnapshotTopicReader.readAll(bootstrap, "encoder-snapshots", Duration.ofSeconds(30));
        EncoderSnapshot newest = snapshots.get(snapshots.size() - 1);
        assertThat(newest.getSamplesSeen()).isEqualTo(3072);
        assertThat(pyOut).contains("\"version\": " + newest.getVersion());
        INDArray expected = SnapshotFeatures.extract(newest, images);
        ByteBuffer e = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("e.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(e.remaining()).isEqualTo(expected.length() * 4);
        for (int i = 0; i < expected.length(); i++) {
            assertThat((double) e.getFloat()).isCloseTo(expected.getDouble(i), org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    /**
     * One quick-tour line, moved to this test: the broker's address, {@code /tmp/...} and bare
     * file names into the test's directory, the project's own files to their place in the
     * checkout, and the budgets shrunk.
     */
    static String[] relocate(String[] words, String bootstrap) {
        List<String> out = new ArrayList<>();
        Map<String, String> shrink = SHRINK.getOrDefault(words[0], Map.of());
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            if (i > 0 && shrink.containsKey(words[i - 1])) {
                out.add(shrink.get(words[i - 1]));
                continue;
            }
            seen.add(w);
            if (w.equals("localhost:9092")) {
                out.add(bootstrap);
            } else if (w.startsWith("/tmp/")) {
                out.add(tmp.resolve(w.substring("/tmp/".length())).toString());
            } else if (!w.startsWith("-") && w.contains("/") && Files.exists(ROOT.resolve(w))) {
                out.add(ROOT.resolve(w).toString());
            } else if (!w.startsWith("-") && w.matches("[\\w-]+\\.(onnx|f32|bin)")) {
                out.add(tmp.resolve(w).toString());
            } else {
                out.add(w);
            }
        }
        for (var s : shrink.entrySet()) {
            if (!seen.contains(s.getKey())) out.addAll(List.of(s.getKey(), s.getValue()));
        }
        if (!words[0].endsWith(".py") && !seen.contains("--bootstrap")) out.addAll(List.of("--bootstrap", bootstrap));
        return out.toArray(String[]::new);
    }

    static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = KontrastCli.run(args, new PrintStream(out, true), new PrintStream(out, true));
        assertThat(exit).as(String.join(" ", args) + "\n" + out).isZero();
        return out.toString();
    }
}
