package io.kontrast.jobs;

import static io.kontrast.operators.KontrastOptions.*;

import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.jobs.kafka.TransactionalKafkaSink;
import io.kontrast.operators.KafkaSettings;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.decode.RawRecord;
import io.kontrast.operators.decode.RawRecordDeserializer;
import io.kontrast.operators.embed.EmbedFunction;
import io.kontrast.operators.publish.DeadLetterRecordSerializer;
import io.kontrast.operators.publish.EmbeddingRecordSerializer;
import io.kontrast.schemas.DeadLetter;
import io.kontrast.schemas.Embedding;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** {@code kontrast embed}: embeds every sample with the newest snapshot, switching versions live. */
public final class EmbedCommand {
    private EmbedCommand() {}

    static Args args() {
        return new Args("embed", "Embeds samples with the newest encoder snapshot and writes Embedding records.")
                .opt("bootstrap", "servers", BOOTSTRAP.defaultValue(), "Kafka bootstrap servers")
                .opt("kafka-config", "file", null, KafkaCli.CONFIG_HELP)
                .opt("topic", "name", SAMPLES_TOPIC.defaultValue(), "samples topic")
                .opt("snapshot-topic", "name", SNAPSHOTS_TOPIC.defaultValue(), "encoder snapshot topic (read_committed)")
                .opt("embeddings-topic", "name", "embeddings", "output topic")
                .opt("dlq-topic", "name", DLQ_TOPIC.defaultValue(), "dead-letter topic")
                .opt("model-id", "id", null, "embed only with snapshots of this model (default: any)")
                .opt("part", "name", null, "paired samples: embed this part of each record, with its tower (--model-id <model>.<part>, -D kontrast.input.shape=<the part's shape>)")
                .opt("group-id", "id", "kontrast-embed", "consumer group of the samples source")
                .opt("parallelism", "n", "1", "parallelism of decoding and embedding")
                .opt("max-samples", "n", "0", "stop cleanly after embedding n samples (0: never)")
                .opt("delivery", "exactly-once|at-least-once", "exactly-once",
                        "exactly-once: embeddings and dead letters in transactions, visible to read_committed consumers at each "
                        + "checkpoint; at-least-once: visible at once, repeats after a restore (keys are sample ids)")
                .opt("checkpoint-dir", "dir", "kontrast-embed-checkpoints", "checkpoint directory; the newest checkpoint in it is resumed")
                .opt("checkpoint-interval", "duration", "10s", "checkpoint interval")
                .flag("fresh", "ignore retained checkpoints");
    }

    static int run(Args a, PrintStream out) throws Exception {
        Configuration conf = TrainCommand.baseConfiguration(a);
        if (a.has("bootstrap")) conf.set(BOOTSTRAP, a.get("bootstrap"));
        KafkaCli.configFile(a, conf);
        if (a.has("topic")) conf.set(SAMPLES_TOPIC, a.get("topic"));
        if (a.has("snapshot-topic")) conf.set(SNAPSHOTS_TOPIC, a.get("snapshot-topic"));
        if (a.has("dlq-topic")) conf.set(DLQ_TOPIC, a.get("dlq-topic"));
        conf.set(GROUP_ID, a.get("group-id"));
        int parallelism = a.getInt("parallelism", 1, 1024);
        long max = a.getLong("max-samples", 0);
        boolean exactlyOnce = a.choice("delivery", "exactly-once", "at-least-once").equals("exactly-once");
        Duration interval = a.getDuration("checkpoint-interval");
        if (interval.isZero()) throw new UsageException("option --checkpoint-interval must be positive");
        TrainerSettings settings;
        try {
            settings = TrainerSettings.from(conf);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path checkpointDir = a.path("checkpoint-dir");
        FlinkSetup.apply(conf, a.get("checkpoint-dir"), interval);
        TrainCommand.restorePoint(a, checkpointDir, out).ifPresent(p -> FlinkSetup.restoreFrom(conf, p));
        TrainCommand.ensureTopics(conf); // also checks the client settings
        Properties client = KafkaSettings.client(conf);
        EmbeddedKafka.createTopics(client, List.of(new EmbeddedKafka.TopicSpec(a.get("embeddings-topic"), 1, Map.of())));

        KafkaSource<RawRecord> samples = KafkaSource.<RawRecord>builder()
                .setProperties(client)
                .setTopics(conf.get(SAMPLES_TOPIC))
                .setGroupId(conf.get(GROUP_ID))
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawRecordDeserializer())
                .build();
        KafkaSource<byte[]> snapshots = KafkaSource.<byte[]>builder()
                .setProperties(client)
                .setTopics(conf.get(SNAPSHOTS_TOPIC))
                .setGroupId(conf.get(GROUP_ID) + "-snapshots")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(KafkaRecordDeserializationSchema.valueOnly(ByteArrayDeserializer.class))
                .setProperty("isolation.level", "read_committed")
                .setProperty("max.partition.fetch.bytes", Integer.toString(TrainJob.MAX_SNAPSHOT_BYTES))
                .setProperty("fetch.max.bytes", Integer.toString(2 * TrainJob.MAX_SNAPSHOT_BYTES))
                .build();
        Sink<Embedding> embeddings;
        Sink<DeadLetter> deadLetters;
        if (exactlyOnce) {
            // One transactional id prefix per sink, stable across restarts: the consumer group names the job.
            Properties producer = KafkaSettings.with(client, Map.of("compression.type", "lz4"));
            embeddings = TransactionalKafkaSink.create(producer, new EmbeddingRecordSerializer(a.get("embeddings-topic")),
                    "kontrast-embed-" + conf.get(GROUP_ID));
            Properties dlq = KafkaSettings.with(client, Map.of());
            deadLetters = TransactionalKafkaSink.create(dlq, new DeadLetterRecordSerializer(conf.get(DLQ_TOPIC)),
                    "kontrast-embed-" + conf.get(GROUP_ID) + ".dead-letters");
        } else {
            embeddings = KafkaSink.<Embedding>builder()
                    .setKafkaProducerConfig(KafkaSettings.with(client, Map.of()))
                    .setRecordSerializer(new EmbeddingRecordSerializer(a.get("embeddings-topic")))
                    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                    .setProperty("compression.type", "lz4")
                    .build();
            deadLetters = KafkaSink.<DeadLetter>builder()
                    .setKafkaProducerConfig(KafkaSettings.with(client, Map.of()))
                    .setRecordSerializer(new DeadLetterRecordSerializer(conf.get(DLQ_TOPIC)))
                    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                    .build();
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        new EmbedJob(samples, snapshots, embeddings, deadLetters, settings, a.get("model-id"), parallelism)
                .part(a.has("part") ? a.get("part") : null).build(env);
        JobRunner.Outcome o = new JobRunner(out, Duration.ofSeconds(10), EmbedFunction.EMBEDDED_ACCUMULATOR)
                .run(env, "kontrast-embed", max, Duration.ZERO);
        out.println("Embedding ended: " + o.status() + ", samples embedded=" + o.samplesSeen());
        return 0;
    }
}
