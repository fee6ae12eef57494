package io.kontrast.jobs;

import static io.kontrast.operators.KontrastOptions.*;

import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.operators.KafkaSettings;
import io.kontrast.operators.TrainerSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * {@code kontrast train}: the training job. Runs on a local MiniCluster when started with {@code
 * java -jar}, or on a cluster when submitted with {@code flink run}. With the same {@code
 * --checkpoint-dir} it resumes from the newest retained checkpoint or savepoint by itself.
 */
public final class TrainCommand {
    private TrainCommand() {}

    static Args args() {
        return new Args("train", "Runs the training job: samples topic -> views -> trainer -> encoder snapshots.")
                .opt("bootstrap", "servers", BOOTSTRAP.defaultValue(), "Kafka bootstrap servers")
                .opt("kafka-config", "file", null, KafkaCli.CONFIG_HELP)
                .opt("topic", "name", SAMPLES_TOPIC.defaultValue(), "samples topic")
                .opt("snapshot-topic", "name", SNAPSHOTS_TOPIC.defaultValue(), "encoder snapshot topic")
                .opt("dlq-topic", "name", DLQ_TOPIC.defaultValue(), "dead-letter topic")
                .opt("checkpoint-dir", "dir", "kontrast-checkpoints", "checkpoint directory; the newest checkpoint in it is resumed")
                .opt("checkpoint-interval", "duration", "10s", "checkpoint interval (snapshots are committed at checkpoints)")
                .opt("snapshot-every", "steps", SNAPSHOT_EVERY.defaultValue().toString(), "publish a snapshot every this many steps")
                .opt("max-samples", "n", "0", "stop cleanly after training on n samples, across restarts (0: never)")
                .opt("duration", "duration", "0", "stop cleanly after this long, e.g. 10m (0: never)")
                .opt("encoder", String.join("|", TrainerSettings.ENCODERS), ENCODER.defaultValue(), "encoder preset (auto: the best measured for the input shape)")
                .opt("encoder-spec", "file", null, "a JSON layer list for the encoder (see docs/encoders.md)")
                .opt("input-shape", "CxHxW|TxF|F", INPUT_SHAPE.defaultValue(), "the encoder's input: an image, e.g. 1x28x28, a sequence of T steps of F features, e.g. 28x28, or a vector of F features, e.g. 784")
                .opt("parts", "name=shape,name=shape", null, "paired samples, e.g. top=1x14x28,bottom=1x14x28: a tower per part, with --objective clip")
                .flag("graph", "graph samples: node neighbourhoods (parts nodes, edges, centre), with --input-shape NxF (up to N nodes of F features)")
                .opt("vocab", "V", null, "token samples: [T] INT32 ids in [0, V), with --input-shape T (e.g. --input-shape 28 --vocab 129)")
                .opt("input-stats", "file", null, "normalise each channel (feature) with its own mean and std, from this file of kontrast stats")
                .opt("input-format", "sample|image", INPUT_FORMAT.defaultValue(), "records are Avro Samples, or encoded images (JPEG, PNG)")
                .opt("objective", String.join("|", TrainerSettings.OBJECTIVES), OBJECTIVE.defaultValue(), "contrastive objective (see docs/objectives.md)")
                .opt("batch-size", "n", BATCH_SIZE.defaultValue().toString(), "samples per step")
                .opt("queue-size", "n", QUEUE_SIZE.defaultValue().toString(), "negative keys K")
                .opt("model-id", "id", MODEL_ID.defaultValue(), "model id of the snapshots")
                .opt("view-parallelism", "n", VIEW_PARALLELISM.defaultValue().toString(), "parallelism of the source and decoding (the trainer builds the views)")
                .opt("from-checkpoint", "path", null, "restore from this checkpoint")
                .opt("from-savepoint", "path", null, "restore from this savepoint")
                .flag("fresh", "ignore retained checkpoints and start a new model");
    }

    /** Turns the named options and -D properties into a Flink configuration and validates it. */
    static Configuration configuration(Args a) {
        Configuration conf = baseConfiguration(a);
        Map<String, String> named = Map.of(
                "bootstrap", BOOTSTRAP.key(),
                "topic", SAMPLES_TOPIC.key(),
                "snapshot-topic", SNAPSHOTS_TOPIC.key(),
                "dlq-topic", DLQ_TOPIC.key(),
                "snapshot-every", SNAPSHOT_EVERY.key(),
                "max-samples", MAX_SAMPLES.key(),
                "batch-size", BATCH_SIZE.key(),
                "queue-size", QUEUE_SIZE.key(),
                "model-id", MODEL_ID.key(),
                "view-parallelism", VIEW_PARALLELISM.key());
        if (a.has("input-format")) {
            conf.set(INPUT_FORMAT, a.choice("input-format", "sample", "image"));
        }
        encoderOptions(a, conf);
        if (a.has("objective")) {
            conf.set(OBJECTIVE, a.choice("objective", TrainerSettings.OBJECTIVES.toArray(String[]::new)));
        }
        KafkaCli.configFile(a, conf);
        for (var e : named.entrySet()) {
            if (a.has(e.getKey())) {
                conf.setString(e.getValue(), a.get(e.getKey()));
            }
        }
        a.getLong("snapshot-every", 1);
        a.getLong("max-samples", 0);
        a.getInt("batch-size", 2, 65536);
        a.getInt("queue-size", 2, 1 << 24);
        a.getInt("view-parallelism", 1, 1024);
        conf.set(CHECKPOINT_INTERVAL, a.getDuration("checkpoint-interval"));
        if (conf.get(CHECKPOINT_INTERVAL).isZero()) {
            throw new UsageException("option --checkpoint-interval must be positive");
        }
        if (a.has("from-checkpoint") && a.has("from-savepoint")) {
            throw new UsageException("options --from-checkpoint and --from-savepoint exclude each other");
        }
        try {
            TrainerSettings.from(conf);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return conf;
    }

    /** {@code --encoder}, {@code --encoder-spec}, {@code --parts}, {@code --input-shape} and {@code --vocab} into their options. */
    static void encoderOptions(Args a, Configuration conf) {
        if (a.has("encoder")) {
            conf.set(ENCODER, a.choice("encoder", TrainerSettings.ENCODERS.toArray(String[]::new)));
        }
        if (a.has("encoder-spec")) {
            conf.set(ENCODER_SPEC, a.path("encoder-spec").toAbsolutePath().toString());
        }
        if (a.has("parts")) {
            conf.set(INPUT_PARTS, a.get("parts"));
        }
        if (a.has("input-shape")) {
            conf.set(INPUT_SHAPE, a.get("input-shape"));
        }
        if (a.flag("graph")) {
            conf.set(INPUT_GRAPH, true);
        }
        if (a.has("vocab")) {
            conf.set(INPUT_VOCAB, a.getInt("vocab", 0, 1 << 24));
        }
        if (a.declares("input-stats") && a.has("input-stats")) {
            InputStats.read(a.path("input-stats")).applyTo(conf);
        }
    }

    /**
     * The cluster's Flink configuration when running inside a Flink distribution or image ({@code
     * FLINK_CONF_DIR} set: {@code kontrast.*} keys may live there, e.g. in a FlinkDeployment's
     * flinkConfiguration), otherwise empty; then the {@code -D} properties on top.
     */
    static Configuration baseConfiguration(Args a) {
        Configuration conf = System.getenv("FLINK_CONF_DIR") != null
                ? GlobalConfiguration.loadConfiguration()
                : new Configuration();
        for (String kv : a.properties()) {
            int eq = kv.indexOf('=');
            conf.setString(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return conf;
    }

    static int run(Args a, PrintStream out) throws Exception {
        Configuration conf = configuration(a);
        Duration duration = a.getDuration("duration");
        Path checkpointDir = a.path("checkpoint-dir");
        FlinkSetup.apply(conf, a.get("checkpoint-dir"), conf.get(CHECKPOINT_INTERVAL));
        restorePoint(a, checkpointDir, out).ifPresent(p -> FlinkSetup.restoreFrom(conf, p));
        ensureTopics(conf);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        TrainJob job = TrainJob.kafka(conf);
        if (job.settings().sampleBudget() != job.settings().maxSamples()) {
            out.println("--max-samples " + job.settings().maxSamples() + " rounded down to whole batches: "
                    + job.settings().sampleBudget() + " samples.");
        }
        job.build(env);
        JobRunner.Outcome o = new JobRunner(out, Duration.ofSeconds(10))
                .run(env, "kontrast-train " + job.settings().modelId(), job.settings().sampleBudget(), duration);
        out.println("Training ended: " + o.status() + ", samples=" + o.samplesSeen() + ", step=" + o.step()
                + ", last snapshot version=" + o.version());
        return 0;
    }

    static Optional<String> restorePoint(Args a, Path checkpointDir, PrintStream out) throws Exception {
        if (a.has("from-checkpoint")) return Optional.of(a.get("from-checkpoint"));
        if (a.has("from-savepoint")) return Optional.of(a.get("from-savepoint"));
        if (a.flag("fresh") || a.get("checkpoint-dir").contains("://")) return Optional.empty();
        Optional<Path> newest = FlinkSetup.newestRestorePoint(checkpointDir);
        newest.ifPresent(p -> out.println("Resuming from " + p + " (use --fresh to start over)."));
        return newest.map(p -> p.toAbsolutePath().toUri().toString());
    }

    /** Fails fast when Kafka is unreachable, and creates missing topics with the right settings. */
    static void ensureTopics(Configuration conf) throws Exception {
        Properties client;
        try {
            client = KafkaSettings.client(conf);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        String bootstrap = client.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        try (Admin admin = Admin.create(KafkaSettings.with(client, Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000)))) {
            admin.describeCluster().clusterId().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new UsageException("cannot reach Kafka at " + bootstrap + " (--bootstrap / "
                    + BOOTSTRAP.key() + "): " + e.getMessage());
        }
        EmbeddedKafka.createTopics(client, EmbeddedKafka.kontrastTopics(
                conf.get(SAMPLES_TOPIC), conf.get(DLQ_TOPIC), conf.get(SNAPSHOTS_TOPIC)));
    }
}
