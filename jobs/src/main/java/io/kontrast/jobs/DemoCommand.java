package io.kontrast.jobs;

import static io.kontrast.operators.KontrastOptions.*;

import io.kontrast.data.LabeledImages;
import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code kontrast demo}: everything in one process. An embedded Kafka broker, a replay of the
 * dataset into {@code samples}, the training job on a MiniCluster with Flink's web UI, a progress
 * line every few seconds, and at the end a summary of the committed snapshots.
 */
public final class DemoCommand {
    private DemoCommand() {}

    static Args args() {
        return new Args("demo", "Runs broker, replay and training in one process, with Flink's web UI.")
                .opt("duration", "duration", "0", "stop after this long, e.g. 90s or 10m (0: until Ctrl-C)")
                .opt("dataset", "fashion-mnist|synthetic|image-folder", null, "dataset (default: fashion-mnist if installed, else synthetic)")
                .opt("dir", "dir", null, "the image folder of --dataset image-folder (replayed as its JPEG/PNG files)")
                .opt("data-dir", "dir", null, "Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)")
                .opt("work-dir", "dir", null, "broker data and checkpoints (default: a temporary directory, removed at exit)")
                .opt("rate", "records/s", "0", "replay rate (0: as fast as possible)")
                .opt("web-port", "port", "8081", "Flink web UI port")
                .opt("kafka-port", "port", "0", "broker port (0: any free port)")
                .opt("snapshot-every", "steps", "50", "publish a snapshot every this many steps")
                .opt("encoder", "auto|mlp|cnn|resnet|custom", ENCODER.defaultValue(), "encoder preset (auto: the best measured for the input shape)")
                .opt("encoder-spec", "file", null, "a JSON layer list for the encoder")
                .opt("batch-size", "n", BATCH_SIZE.defaultValue().toString(), "samples per step")
                .opt("queue-size", "n", QUEUE_SIZE.defaultValue().toString(), "negative keys K");
    }

    static int run(Args a, PrintStream out) throws Exception {
        Duration duration = a.getDuration("duration");
        String dataset = a.has("dataset") ? a.choice("dataset", "fashion-mnist", "synthetic", "image-folder")
                : (Datasets.fashionMnistInstalled(a.path("data-dir")) ? "fashion-mnist" : "synthetic");
        int webPort = a.getInt("web-port", 0, 65535);
        int kafkaPort = a.getInt("kafka-port", 0, 65535);
        Configuration conf = TrainCommand.baseConfiguration(a);
        conf.set(SNAPSHOT_EVERY, a.getInt("snapshot-every", 1, Integer.MAX_VALUE));
        conf.set(BATCH_SIZE, a.getInt("batch-size", 2, 65536));
        conf.set(QUEUE_SIZE, a.getInt("queue-size", 2, 1 << 24));
        TrainCommand.encoderOptions(a, conf);
        conf.set(CHECKPOINT_INTERVAL, Duration.ofSeconds(5));
        boolean folder = dataset.equals("image-folder");
        if (folder) {
            // The folder's files are replayed as they are: JPEG or PNG records, RGB 32x32 unless told otherwise.
            conf.set(INPUT_FORMAT, "image");
            if (!conf.contains(INPUT_SHAPE)) conf.set(INPUT_SHAPE, "3x32x32");
        }
        if (!conf.contains(PROBE_SET)) {
            conf.set(PROBE_SET, dataset.equals("synthetic") ? "synthetic" : folder ? ""
                    : a.has("data-dir") ? "fashion-mnist:" + a.get("data-dir") : "fashion-mnist");
        }
        try {
            io.kontrast.operators.TrainerSettings.from(conf);
        } catch (IllegalArgumentException e) {
            throw new io.kontrast.jobs.cli.UsageException(e.getMessage());
        }
        double rate = a.getDouble("rate", 0);
        LabeledImages images = Datasets.load(dataset, "train", folder ? a.path("dir") : a.path("data-dir"),
                io.kontrast.operators.TrainerSettings.from(conf).inputShape());

        boolean temporary = !a.has("work-dir");
        Path work = temporary ? Files.createTempDirectory("kontrast-demo") : a.path("work-dir");
        out.println("Kontrast demo: " + images.name() + " (" + images.size() + " images), work dir " + work);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(kafkaPort, work.resolve("kafka"))) {
            String bootstrap = kafka.bootstrapServers();
            EmbeddedKafka.createTopics(bootstrap, EmbeddedKafka.kontrastTopics(
                    SAMPLES_TOPIC.defaultValue(), DLQ_TOPIC.defaultValue(), SNAPSHOTS_TOPIC.defaultValue()));
            out.println("Kafka broker at " + bootstrap);

            Replayer replayer = new Replayer(bootstrap, SAMPLES_TOPIC.defaultValue());
            Thread replay = new Thread(() -> replayer.replay(images, 0, rate, true, 7, folder), "replay");
            replay.setDaemon(true);
            replay.start();

            conf.set(BOOTSTRAP, bootstrap);
            conf.set(RestOptions.PORT, webPort);
            FlinkSetup.apply(conf, work.resolve("checkpoints"), conf.get(CHECKPOINT_INTERVAL));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
            TrainJob.kafka(conf).build(env);
            out.println("Flink web UI: http://localhost:" + webPort + "  (Ctrl-C stops cleanly)");
            JobRunner.Outcome o = new JobRunner(out, Duration.ofSeconds(5)).run(env, "kontrast-demo", 0, duration);
            replayer.stop();

            List<EncoderSnapshot> snapshots =
                    SnapshotTopicReader.readAll(bootstrap, SNAPSHOTS_TOPIC.defaultValue(), Duration.ofSeconds(30));
            out.println("Trained on " + o.samplesSeen() + " samples in " + o.step() + " steps; "
                    + snapshots.size() + " snapshots committed to " + SNAPSHOTS_TOPIC.defaultValue()
                    + (snapshots.isEmpty() ? "." : ", newest v" + snapshots.get(snapshots.size() - 1).getVersion()
                            + " (loss " + String.format("%.4f", snapshots.get(snapshots.size() - 1).getMetrics().get("loss")) + ")."));
        } finally {
            if (temporary) {
                deleteTree(work);
            }
        }
        return 0;
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // best effort
        }
    }
}
