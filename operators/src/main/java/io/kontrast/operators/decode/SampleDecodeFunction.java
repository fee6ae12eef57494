package io.kontrast.operators.decode;

import io.kontrast.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes raw Kafka records into {@link ImageSample}s. Every record that cannot be used leaves on
 * {@link #DEAD_LETTERS} as a {@link DeadLetter} holding the original key and value, its topic,
 * partition and offset, and the reason; a counter per reason ({@code deadLetters.<REASON>})
 * counts them. Nothing a record contains can make this function throw.
 */
public class SampleDecodeFunction extends ProcessFunction<RawRecord, ImageSample> {
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    private final int channels;
    private final int height;
    private final int width;
    private final int maxRecordBytes;
    private final boolean images;
    private final long maxPixels;
    private transient SampleDecoder decoder;
    private transient ImageDecoder imageDecoder;
    private transient Map<RejectReason, Counter> rejected;
    private transient Counter decoded;

    public SampleDecodeFunction(int height, int width, int maxRecordBytes) {
        this(1, height, width, maxRecordBytes, "sample", 0);
    }

    /**
     * @param format {@code sample}: values are Avro {@code Sample}s; {@code image}: values are
     *     encoded images (the key, if any, is the sample id; otherwise topic/partition/offset)
     * @param maxPixels images claiming more pixels are refused before decoding
     */
    public SampleDecodeFunction(int channels, int height, int width, int maxRecordBytes, String format, long maxPixels) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.maxRecordBytes = maxRecordBytes;
        this.images = format.equals("image");
        this.maxPixels = maxPixels;
    }

    private String instanceAttribute = "instance";
    /** Token samples: the vocabulary size; 0 otherwise. */
    private int vocab;
    /** Graph samples: the most nodes and the features per node; 0 otherwise. */
    private int graphNodes;
    private int graphFeatures;
    /** Paired samples: the parts' names and shapes ({C, H, W}); null otherwise. */
    private java.util.List<String> partNames;
    private java.util.List<int[]> partShapes;

    /** The decoding function the settings ask for. */
    public static SampleDecodeFunction of(io.kontrast.operators.TrainerSettings s) {
        SampleDecodeFunction f = new SampleDecodeFunction(
                s.inputChannels(), s.inputHeight(), s.inputWidth(), s.maxRecordBytes(), s.inputFormat(), s.maxPixels());
        f.instanceAttribute = s.objective().instanceAttribute();
        f.vocab = s.inputVocab();
        f.graphNodes = s.graphs() ? s.inputWidth() : 0;
        f.graphFeatures = s.graphs() ? s.graphFeatures() : 0;
        if (s.paired()) {
            f.partNames = new java.util.ArrayList<>();
            f.partShapes = new java.util.ArrayList<>();
            for (var p : s.parts()) {
                f.partNames.add(p.name());
                f.partShapes.add(new int[] {p.shape().channels(), p.shape().height(), p.shape().width()});
            }
        }
        return f;
    }

    /**
     * Decoding of one part of paired samples, as one tower's input: the part named {@code part}
     * of each record, read at the settings' input shape.
     */
    public static SampleDecodeFunction ofPart(io.kontrast.operators.TrainerSettings s, String part) {
        SampleDecodeFunction f = of(s);
        f.partNames = new java.util.ArrayList<>(java.util.List.of(part));
        f.partShapes = new java.util.ArrayList<>();
        f.partShapes.add(new int[] {s.inputChannels(), s.inputHeight(), s.inputWidth()});
        return f;
    }

    @Override
    public void open(OpenContext ctx) {
        decoder = (partNames != null ? new SampleDecoder(partNames, partShapes, maxRecordBytes)
                : new SampleDecoder(channels, height, width, maxRecordBytes).tokens(vocab).graph(graphNodes, graphFeatures)).instanceAttribute(instanceAttribute);
        imageDecoder = images ? new ImageDecoder(channels, height, width, maxRecordBytes, maxPixels) : null;
        rejected = new EnumMap<>(RejectReason.class);
        for (RejectReason r : RejectReason.values()) {
            rejected.put(r, getRuntimeContext().getMetricGroup().counter("deadLetters." + r.name()));
        }
        decoded = getRuntimeContext().getMetricGroup().counter("samplesDecoded");
    }

    @Override
    public void processElement(RawRecord r, Context ctx, Collector<ImageSample> out) {
        SampleDecoder.Result result = images
                ? imageDecoder.decode(r.key != null && r.key.length > 0 ? new String(r.key, java.nio.charset.StandardCharsets.UTF_8)
                        : r.topic + "/" + r.partition + "/" + r.offset, r.timestamp, r.label, r.value)
                : decoder.decode(r.value);
        if (result.ok()) {
            decoded.inc();
            out.collect(result.sample());
            return;
        }
        rejected.get(result.reason()).inc();
        ctx.output(DEAD_LETTERS, deadLetter(r, result.reason(), result.message()));
    }

    public static DeadLetter deadLetter(RawRecord r, RejectReason reason, String message) {
        return DeadLetter.newBuilder()
                .setTopic(r.topic == null ? "" : r.topic)
                .setPartition(r.partition)
                .setOffset(r.offset)
                .setKey(r.key == null ? null : ByteBuffer.wrap(r.key))
                .setValue(r.value == null ? null : ByteBuffer.wrap(r.value))
                .setReason(reason.name())
                .setMessage(message)
                .setFailedAt(Instant.now())
                .build();
    }
}
