package io.kontrast.jobs;

import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.decode.ImageSample;
import io.kontrast.operators.decode.RawRecord;
import io.kontrast.operators.decode.SampleDecodeFunction;
import io.kontrast.operators.embed.EmbedFunction;
import io.kontrast.schemas.DeadLetter;
import io.kontrast.schemas.Embedding;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The embedding pipeline: samples → decode (bad records → dead letters) → embed with the newest
 * snapshot (snapshots arrive as a broadcast stream) → embeddings.
 */
public final class EmbedJob {
    private final Source<RawRecord, ?, ?> samples;
    private final Source<byte[], ?, ?> snapshots;
    private final Sink<Embedding> embeddings;
    private final Sink<DeadLetter> deadLetters;
    private final TrainerSettings settings;
    private final String modelId;
    private final int parallelism;
    private String part;

    /** Paired samples: embed the part of this name of each record (null: the sample's own tensor). */
    public EmbedJob part(String name) {
        this.part = name;
        return this;
    }

    public EmbedJob(Source<RawRecord, ?, ?> samples, Source<byte[], ?, ?> snapshots, Sink<Embedding> embeddings,
            Sink<DeadLetter> deadLetters, TrainerSettings settings, String modelId, int parallelism) {
        this.samples = samples;
        this.snapshots = snapshots;
        this.embeddings = embeddings;
        this.deadLetters = deadLetters;
        this.settings = settings;
        this.modelId = modelId;
        this.parallelism = parallelism;
    }

    public void build(StreamExecutionEnvironment env) {
        SingleOutputStreamOperator<ImageSample> decoded =
                env.fromSource(samples, WatermarkStrategy.noWatermarks(), "samples")
                        .uid("embed-samples-source")
                        .setParallelism(parallelism)
                        .process(part == null ? SampleDecodeFunction.of(settings) : SampleDecodeFunction.ofPart(settings, part))
                        .returns(ImageSample.class)
                        .name("decode")
                        .uid("embed-decode")
                        .setParallelism(parallelism);
        decoded.getSideOutput(SampleDecodeFunction.DEAD_LETTERS)
                .sinkTo(deadLetters).name("dead-letters").uid("embed-dead-letters-sink");
        BroadcastStream<byte[]> broadcast =
                env.fromSource(snapshots, WatermarkStrategy.noWatermarks(), "snapshots")
                        .uid("embed-snapshots-source")
                        .setParallelism(1)
                        .broadcast(EmbedFunction.SNAPSHOT_STATE);
        decoded.connect(broadcast)
                .process(new EmbedFunction(modelId))
                .returns(new AvroTypeInfo<>(Embedding.class))
                .name("embed")
                .uid("embed")
                .setParallelism(parallelism)
                .sinkTo(embeddings)
                .name("embeddings")
                .uid("embeddings-sink")
                .setParallelism(parallelism);
    }
}
