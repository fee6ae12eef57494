package io.kontrast.jobs;

import io.kontrast.data.LabeledImages;
import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.math.nn.Shape;
import io.kontrast.operators.KontrastOptions;
import io.kontrast.operators.decode.ImageDecoder;
import io.kontrast.operators.decode.SampleDecoder;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code kontrast stats}: per-channel input statistics (see {@link InputStats}) of a dataset
 * split, or of the first samples of a topic decoded as the trainer decodes them, for {@code train
 * --input-stats} and {@code evaluate --input-stats}.
 */
public final class StatsCommand {
    private StatsCommand() {}

    static Args args() {
        return new Args("stats", "Computes the per-channel mean and std of a dataset split or of a topic's samples, for --input-stats.")
                .opt("dataset", Datasets.CHOICES, "fashion-mnist", "dataset (images, sequences or vectors), without --bootstrap")
                .opt("dir", "dir", null, "the image folder of --dataset image-folder: DIR/<split>/<class>/<image files>")
                .opt("data-dir", "dir", null, "Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)")
                .opt("split", "train|test", "train", "dataset split")
                .opt("limit", "n", "0", "use only the first n samples of the split (0: all)")
                .opt("bootstrap", "servers", null, "read the samples of --topic on this broker instead of a dataset")
                .opt("kafka-config", "file", null, KafkaCli.CONFIG_HELP)
                .opt("topic", "name", KontrastOptions.SAMPLES_TOPIC.defaultValue(), "samples topic, with --bootstrap")
                .opt("input-format", "sample|image", KontrastOptions.INPUT_FORMAT.defaultValue(), "records are Avro Samples, or encoded images (JPEG, PNG), with --bootstrap")
                .opt("max-samples", "n", "10000", "with --bootstrap: the first n samples of the topic (committed records, from its beginning)")
                .opt("input-shape", "CxHxW|TxF|F", null, "the trainer's input shape: images are fitted to it as the trainer fits them "
                        + "(an image folder: 3x32x32 when not given); with --bootstrap, required")
                .opt("std-floor", "f", "0.05", "each std is at least this fraction of the mean std over the channels")
                .opt("out", "file", null, "write the statistics here as JSON (they are printed either way)");
    }

    static int run(Args a, PrintStream out) throws Exception {
        double floor = a.getDouble("std-floor", 0);
        Map<String, Object> about = new LinkedHashMap<>();
        InputStats stats;
        if (a.has("bootstrap")) {
            if (!a.has("input-shape")) throw new UsageException("option --input-shape is required with --bootstrap (the trainer's input shape)");
            Shape shape = ReplayCommand.shape(a);
            String format = a.choice("input-format", "sample", "image");
            long max = a.getLong("max-samples", 1);
            about.put("topic", a.get("topic"));
            about.put("input_shape", shape.toString());
            about.put("input_format", format);
            Topic t = fromTopic(a, shape, format, max);
            stats = t.acc().finish(floor);
            about.put("rejected", t.rejected());
        } else {
            String dataset = a.choice("dataset", Datasets.NAMES);
            String split = a.choice("split", "train", "test");
            int limit = a.getInt("limit", 0, Integer.MAX_VALUE);
            Shape shape = dataset.equals("image-folder") ? (a.has("input-shape") ? ReplayCommand.shape(a) : new Shape(3, 32, 32)) : null;
            java.nio.file.Path dir = dataset.equals("image-folder") ? a.path("dir") : a.path("data-dir");
            LabeledImages set = Datasets.load(dataset, split, dir, shape);
            stats = InputStats.of(set, limit, floor);
            about.put("dataset", dataset);
            about.put("split", split);
            about.put("input_shape", new Shape(set.channels(), set.height(), set.width()).toString());
        }
        String json = stats.toJson(about);
        if (a.has("out")) {
            Files.writeString(a.path("out"), json + "\n");
        }
        out.println(json);
        return 0;
    }

    record Topic(InputStats.Accumulator acc, long rejected) {}

    /**
     * The first {@code max} samples of the topic that decode at {@code shape} (records that do not
     * are counted, as the trainer would send them to the dead-letter topic), or all there are.
     */
    private static Topic fromTopic(Args a, Shape shape, String format, long max) {
        int maxBytes = KontrastOptions.MAX_RECORD_BYTES.defaultValue();
        SampleDecoder samples = new SampleDecoder(shape.channels(), shape.height(), shape.width(), maxBytes);
        ImageDecoder images = format.equals("image")
                ? new ImageDecoder(shape.channels(), shape.height(), shape.width(), maxBytes, KontrastOptions.MAX_PIXELS.defaultValue())
                : null;
        String topic = a.get("topic");
        java.util.Properties props = io.kontrast.operators.KafkaSettings.with(KafkaCli.client(a), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "kontrast-stats-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 << 20,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        InputStats.Accumulator acc = new InputStats.Accumulator(shape.channels());
        long rejected = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            var infos = c.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) throw new UsageException("option --topic: no topic '" + topic + "' on " + a.get("bootstrap"));
            Set<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toSet());
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long idleSince = System.nanoTime();
            while (acc.samples() < max) {
                boolean any = false;
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    any = true;
                    if (acc.samples() >= max) break;
                    SampleDecoder.Result result = images != null
                            ? images.decode(r.key() != null ? new String(r.key(), StandardCharsets.UTF_8) : r.topic() + "/" + r.partition() + "/" + r.offset(),
                                    r.timestamp(), -1, r.value())
                            : samples.decode(r.value());
                    if (result.ok()) acc.add(result.sample().pixels);
                    else rejected++;
                }
                boolean done = true;
                for (TopicPartition tp : parts) {
                    if (c.position(tp) < end.get(tp)) done = false;
                }
                if (done) break;
                if (any) idleSince = System.nanoTime();
                else if (System.nanoTime() - idleSince > Duration.ofSeconds(60).toNanos()) break;
            }
        }
        return new Topic(acc, rejected);
    }
}
