package io.kontrast.operators.embed;

import io.kontrast.client.Encoder;
import io.kontrast.client.InvalidSnapshotException;
import io.kontrast.client.SnapshotCodecs;
import io.kontrast.operators.decode.ImageSample;
import io.kontrast.schemas.DType;
import io.kontrast.schemas.Embedding;
import io.kontrast.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds samples with the newest encoder snapshot. Snapshots arrive on the broadcast side; the
 * newest valid one of the configured model is kept in broadcast state (so a restore resumes with
 * it), and a new version takes over between two samples without stopping the stream. Samples that
 * arrive before any snapshot wait (in operator state across checkpoints) and are embedded as soon
 * as the first one arrives: none is dropped.
 */
public class EmbedFunction extends BroadcastProcessFunction<ImageSample, byte[], Embedding>
        implements CheckpointedFunction {
    private static final Logger LOG = LoggerFactory.getLogger(EmbedFunction.class);
    public static final String EMBEDDED_ACCUMULATOR = "kontrast.samples-embedded";
    private static final String LATEST = "latest";

    public static final MapStateDescriptor<String, byte[]> SNAPSHOT_STATE =
            new MapStateDescriptor<>("snapshot", Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

    private final String modelId;
    private transient Encoder encoder;
    private transient List<ImageSample> waiting;
    private transient ListState<ImageSample> waitingState;
    private transient LongCounter embedded;
    private transient Counter rejectedSnapshots;
    private transient Counter versionSwitches;

    /** {@code modelId}: embed only with snapshots of this model (null: any). */
    public EmbedFunction(String modelId) {
        this.modelId = modelId;
    }

    @Override
    public void open(OpenContext ctx) {
        embedded = new LongCounter();
        getRuntimeContext().addAccumulator(EMBEDDED_ACCUMULATOR, embedded);
        var metrics = getRuntimeContext().getMetricGroup();
        rejectedSnapshots = metrics.counter("rejectedSnapshots");
        versionSwitches = metrics.counter("snapshotSwitches");
        metrics.gauge("snapshotVersion", () -> encoder == null ? 0L : encoder.version());
        metrics.gauge("samplesWaiting", () -> waiting == null ? 0 : waiting.size());
    }

    @Override
    public void processElement(ImageSample s, ReadOnlyContext ctx, Collector<Embedding> out) throws Exception {
        if (encoder == null) {
            encoder = fromState(ctx.getBroadcastState(SNAPSHOT_STATE));
        }
        if (encoder == null) {
            waiting.add(s);
            return;
        }
        out.collect(embed(encoder, s));
    }

    @Override
    public void processBroadcastElement(byte[] value, Context ctx, Collector<Embedding> out) throws Exception {
        Encoder next;
        try {
            next = SnapshotCodecs.encoder(value);
        } catch (InvalidSnapshotException e) {
            rejectedSnapshots.inc();
            LOG.warn("Rejected snapshot: {}", e.getMessage());
            return;
        }
        if (modelId != null && !modelId.equals(next.modelId())) {
            return;
        }
        BroadcastState<String, byte[]> state = ctx.getBroadcastState(SNAPSHOT_STATE);
        Encoder current = encoder != null ? encoder : fromState(state);
        if (current != null && next.version() <= current.version()) {
            return;
        }
        state.put(LATEST, value);
        encoder = next;
        versionSwitches.inc();
        for (ImageSample s : waiting) {
            out.collect(embed(encoder, s));
        }
        waiting.clear();
    }

    private static Encoder fromState(ReadOnlyBroadcastState<String, byte[]> state) throws Exception {
        byte[] b = state.get(LATEST);
        return b == null ? null : SnapshotCodecs.encoder(b);
    }

    private Embedding embed(Encoder e, ImageSample s) {
        float[] v = e.embed(s.channels == 1 || s.height == 1 ? s.pixels : planar(s)); // vectors and sequences are as on the wire
        ByteBuffer data = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(v);
        embedded.add(1L);
        return Embedding.newBuilder()
                .setSampleId(s.id)
                .setModelId(e.modelId())
                .setSnapshotVersion(e.version())
                .setEventTime(Instant.ofEpochMilli(s.eventTime))
                .setLabel(s.label >= 0 ? s.label : null)
                .setVector(Tensor.newBuilder().setShape(List.of(v.length)).setDtype(DType.FLOAT32).setData(data).build())
                .build();
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        waitingState.update(waiting);
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        waitingState = ctx.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>("waiting", TypeInformation.of(ImageSample.class)));
        waiting = new ArrayList<>();
        for (ImageSample s : waitingState.get()) {
            waiting.add(s);
        }
    }

    /** A sample's interleaved (h, w, c) pixels in the [C, H, W] order that snapshots take. */
    static float[] planar(ImageSample s) {
        int area = s.height * s.width;
        float[] chw = new float[s.pixels.length];
        for (int p = 0; p < area; p++) {
            for (int c = 0; c < s.channels; c++) chw[c * area + p] = s.pixels[p * s.channels + c];
        }
        return chw;
    }
}
