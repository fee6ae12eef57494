package io.kontrast.jobs;

import io.kontrast.jobs.kafka.TransactionalKafkaSink;
import io.kontrast.operators.KafkaSettings;
import io.kontrast.operators.KontrastOptions;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.decode.ImageSample;
import io.kontrast.operators.decode.RawRecord;
import io.kontrast.operators.decode.RawRecordDeserializer;
import io.kontrast.operators.decode.SampleDecodeFunction;
import io.kontrast.operators.publish.DeadLetterRecordSerializer;
import io.kontrast.operators.publish.SnapshotRecordSerializer;
import io.kontrast.operators.train.MocoTrainerOperator;
import io.kontrast.operators.train.ShardKeySelector;
import io.kontrast.schemas.DeadLetter;
import io.kontrast.schemas.EncoderSnapshot;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The training pipeline: samples → decode (bad records → dead letters) → keyBy(trainer shard) →
 * MoCo trainer (which builds two views per sample) → encoder snapshots.
 *
 * <p>A pipeline builder: {@link #kafka} wires it to Kafka; tests can hand it other sources and
 * sinks and run the same pipeline.
 */
public final class TrainJob {
    /** Snapshots are several MB; producers and topics must allow it. */
    public static final int MAX_SNAPSHOT_BYTES = 64 << 20;

    private final Source<RawRecord, ?, ?> source;
    private final Sink<EncoderSnapshot> snapshotSink;
    private final Sink<DeadLetter> deadLetterSink;
    private final TrainerSettings settings;
    private final int viewParallelism;

    public TrainJob(
            Source<RawRecord, ?, ?> source,
            Sink<EncoderSnapshot> snapshotSink,
            Sink<DeadLetter> deadLetterSink,
            TrainerSettings settings,
            int viewParallelism) {
        this.source = source;
        this.snapshotSink = snapshotSink;
        this.deadLetterSink = deadLetterSink;
        this.settings = settings;
        this.viewParallelism = viewParallelism;
    }

    /** The job on Kafka topics named by the configuration. */
    public static TrainJob kafka(Configuration conf) {
        TrainerSettings settings = TrainerSettings.from(conf);
        Properties client = KafkaSettings.client(conf);
        KafkaSource<RawRecord> source =
                KafkaSource.<RawRecord>builder()
                        .setProperties(client)
                        .setTopics(conf.get(KontrastOptions.SAMPLES_TOPIC))
                        .setGroupId(conf.get(KontrastOptions.GROUP_ID))
                        .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                        .setDeserializer(new RawRecordDeserializer())
                        .setProperty("partition.discovery.interval.ms", "30000")
                        .build();
        Properties snapshotProducer = KafkaSettings.with(client, Map.of(
                "max.request.size", Integer.toString(MAX_SNAPSHOT_BYTES), "compression.type", "lz4"));
        Sink<EncoderSnapshot> snapshots = TransactionalKafkaSink.create(snapshotProducer,
                new SnapshotRecordSerializer(conf.get(KontrastOptions.SNAPSHOTS_TOPIC)), "kontrast-" + settings.modelId());
        // Dead letters exactly once too: a restored job decodes again what followed its
        // checkpoint, and the transaction of the failed run, with those dead letters, is aborted.
        Properties deadLetterProducer = KafkaSettings.with(client, Map.of("max.request.size", Integer.toString(MAX_SNAPSHOT_BYTES)));
        Sink<DeadLetter> deadLetters = TransactionalKafkaSink.create(deadLetterProducer,
                new DeadLetterRecordSerializer(conf.get(KontrastOptions.DLQ_TOPIC)), deadLetterTransactionalIdPrefix(settings.modelId()));
        return new TrainJob(source, snapshots, deadLetters, settings, conf.get(KontrastOptions.VIEW_PARALLELISM));
    }

    /** Distinct from the snapshot sink's prefix ({@code kontrast-<model id>}), as each sink's must be. */
    public static String deadLetterTransactionalIdPrefix(String modelId) {
        return "kontrast-" + modelId + ".dead-letters";
    }

    public TrainerSettings settings() {
        return settings;
    }

    public void build(StreamExecutionEnvironment env) {
        // Each operator of this pipeline builds a new record per input and holds on to none, so
        // object reuse is safe; it saves a deep copy of every record between chained operators.
        // An explicit pipeline.object-reuse wins.
        if (env.getConfiguration().getOptional(PipelineOptions.OBJECT_REUSE).isEmpty()) {
            env.getConfig().enableObjectReuse();
        }
        DataStream<RawRecord> raw =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "samples")
                        .uid("samples-source")
                        .setParallelism(viewParallelism);
        SingleOutputStreamOperator<ImageSample> decoded =
                raw.process(SampleDecodeFunction.of(settings))
                        .returns(ImageSample.class)
                        .name("decode")
                        .uid("decode")
                        .setParallelism(viewParallelism);
        decoded.getSideOutput(SampleDecodeFunction.DEAD_LETTERS)
                .sinkTo(deadLetterSink)
                .name("dead-letters")
                .uid("dead-letters-sink");
        // With one source subtask feeding the one trainer subtask, every sample already is where
        // keyBy would send it. The stream is then reinterpreted as keyed, so that source and
        // decoding chain into the trainer's thread: no serialization, no hand-over between
        // threads, and no thread competing with the trainer's native threads for the cores. The
        // trainer builds each batch's views itself, half in each of its lanes.
        KeyedStream<ImageSample, Integer> keyed = viewParallelism == 1
                ? DataStreamUtils.reinterpretAsKeyedStream(decoded, new ShardKeySelector(1), Types.INT)
                : decoded.keyBy(new ShardKeySelector(1), Types.INT);
        SingleOutputStreamOperator<EncoderSnapshot> snapshots =
                keyed
                        .transform("moco-trainer", new AvroTypeInfo<>(EncoderSnapshot.class), new MocoTrainerOperator(settings))
                        .uid("moco-trainer")
                        .setParallelism(1)
                        .setMaxParallelism(128);
        snapshots.sinkTo(snapshotSink).name("snapshots").uid("snapshots-sink").setParallelism(1);
    }
}
