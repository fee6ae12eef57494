package io.kontrast.operators.train;

import io.kontrast.math.Lanes;
import io.kontrast.math.Learner;
import io.kontrast.math.Network;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.decode.ImageSample;
import io.kontrast.operators.publish.SnapshotCodec;
import io.kontrast.operators.views.BatchViews;
import io.kontrast.operators.views.ViewPair;
import io.kontrast.replay.ReplayBuffer;
import io.kontrast.replay.ReplaySlot;
import io.kontrast.schemas.EncoderSnapshot;
import java.nio.FloatBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.accumulators.LongMaximum;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer: one {@link Learner} per trainer shard (the key), of the configured objective (MoCo
 * by default; the class keeps its first name), fed batches of view pairs, publishing an {@link
 * EncoderSnapshot} every {@code snapshotEverySteps} steps.
 *
 * <p>Learning state is keyed state, so it lives in RocksDB and follows its shard on rescaling:
 *
 * <ul>
 *   <li>{@code queryParams}, {@code keyParams}, {@code velocity}, {@code queryStats}: the online
 *       (query) encoder, MoCo's EMA key encoder, the SGD momentum and the online encoder's
 *       batch-norm running statistics, each one flat float vector;
 *   <li>{@code objectiveState}: the other objectives' own buffers by name (a predictor, its
 *       momentum and statistics, BYOL's target network);
 *   <li>{@code bank}, {@code bankInstances}: InstDisc's memory bank, slot by slot, written like the
 *       queue (only slots changed since the last checkpoint);
 *   <li>{@code progress}: step, snapshot version, samples seen, queue pointer and fill, counters;
 *   <li>{@code queue}: the key queue as a map from slot to key. Only slots written since the last
 *       checkpoint are put, so with incremental checkpoints a checkpoint one step after the last
 *       writes about one batch of keys, not the whole queue;
 *   <li>{@code pendingSamples}: samples received but not yet trained on (a partial batch). A
 *       sample's views are built from it when its batch is full, so they need not be kept: they
 *       follow from the sample id and the seed. ({@code pending}, view pairs, is where earlier
 *       versions kept a partial batch; it is read on restore, and kept only until it is trained on.)
 * </ul>
 *
 * <p>The hot path works on an in-memory copy (ND4J arrays, mirrored from state on a shard's first
 * element after a start or restore) and writes it to state in {@link #snapshotState}: state
 * access per element would cost a RocksDB write per view pair.
 *
 * <p><b>Overlapped steps</b> ({@code kontrast.trainer.overlap}): where a step leaves the CPU free
 * (a GPU backend, by default), each step runs on a thread of its own while the task
 * thread goes on reading, decoding and building the views of the next batch into a second pair
 * of input buffers. The task thread then waits for the step, accounts for it (progress, metrics,
 * snapshot) and hands over the next. At most one step is in flight; it is finished before a
 * checkpoint barrier goes downstream ({@link #prepareSnapshotPreBarrier}), at the end of input,
 * and before a look at a shard, so checkpoints, snapshots and their order are those of steps run
 * on the task thread, and so are the results (the same arithmetic on the same inputs).
 *
 * <p>Versions are part of the checkpoint: after a failover, training resumes at the checkpointed
 * step and version, and the exactly-once sink discards what was published after it, so versions
 * never repeat or go back.
 */
public class MocoTrainerOperator extends AbstractStreamOperator<EncoderSnapshot>
        implements OneInputStreamOperator<ImageSample, EncoderSnapshot> {
    private static final Logger LOG = LoggerFactory.getLogger(MocoTrainerOperator.class);
    public static final String SAMPLES_SEEN_ACCUMULATOR = "kontrast.samples-seen";
    public static final String STEP_ACCUMULATOR = "kontrast.step";
    public static final String VERSION_ACCUMULATOR = "kontrast.snapshot-version";
    public static final String LOSS_ACCUMULATOR = "kontrast.loss";
    public static final String KNN_ACCUMULATOR = "kontrast.probe-knn200";
    /** The classifier head's accuracy on the last step (context, sop). */
    public static final String HEAD_ACCURACY_ACCUMULATOR = "kontrast.head-accuracy";

    private final TrainerSettings settings;

    private transient ValueState<float[]> queryParamsState;
    private transient ValueState<float[]> keyParamsState;
    private transient ValueState<float[]> velocityState;
    private transient ValueState<float[]> statsState;
    private transient ValueState<TrainerProgress> progressState;
    private transient MapState<Integer, float[]> queueState;
    private transient MapState<String, float[]> objectiveState;
    private transient MapState<Integer, float[]> bankState;
    private transient MapState<Integer, String> bankInstanceState;
    private transient MapState<Integer, ReplaySlot> replayState;
    private transient MapState<Integer, Long> replayNeighbourState;
    private transient ListState<ImageSample> pendingState;
    private transient ListState<ImageSample> deferredState;
    // A partial batch and deferred pairs as earlier versions kept them: views already built.
    private transient ListState<ViewPair> legacyPendingState;
    private transient ListState<ViewPair> legacyDeferredState;

    private transient Map<Integer, Shard> shards;
    private transient Shard lastShard;
    private transient LongMaximum samplesSeenAccumulator;
    private transient LongMaximum stepAccumulator;
    private transient LongMaximum versionAccumulator;
    private transient LatestValue lossAccumulator;
    private transient LatestValue knnAccumulator;
    private transient LatestValue headAccuracyAccumulator;
    private transient Counter skippedSteps;
    private transient Counter deferredAfterMax;
    private transient Counter rollbacks;
    private transient Counter replayedSamples;
    private transient Counter withheldSnapshots;
    private transient volatile int collapseAlarm;
    private transient volatile long lastPublishedAt;
    private transient Meter samplesPerSecond;
    private transient Meter stepsPerSecond;
    private transient QualityMonitor monitor;
    private transient volatile Map<String, Double> lastQuality;
    // Overlapped steps: the step thread (null: steps run on the task thread) and the step in flight.
    private transient ExecutorService stepper;
    private transient InFlightStep inFlight;

    public MocoTrainerOperator(TrainerSettings settings) {
        this.settings = settings;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        TypeInformation<float[]> floats = PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO;
        var store = context.getKeyedStateStore();
        queryParamsState = store.getState(new ValueStateDescriptor<>("queryParams", floats));
        keyParamsState = store.getState(new ValueStateDescriptor<>("keyParams", floats));
        velocityState = store.getState(new ValueStateDescriptor<>("velocity", floats));
        statsState = store.getState(new ValueStateDescriptor<>("queryStats", floats));
        progressState =
                store.getState(new ValueStateDescriptor<>("progress", TypeInformation.of(TrainerProgress.class)));
        queueState = store.getMapState(new MapStateDescriptor<>("queue", Types.INT, floats));
        objectiveState = store.getMapState(new MapStateDescriptor<>("objectiveState", Types.STRING, floats));
        bankState = store.getMapState(new MapStateDescriptor<>("bank", Types.INT, floats));
        bankInstanceState = store.getMapState(new MapStateDescriptor<>("bankInstances", Types.INT, Types.STRING));
        replayState = store.getMapState(new MapStateDescriptor<>("replay", Types.INT, TypeInformation.of(ReplaySlot.class)));
        replayNeighbourState = store.getMapState(new MapStateDescriptor<>("replayNeighbours", Types.INT, Types.LONG));
        pendingState =
                store.getListState(new ListStateDescriptor<>("pendingSamples", TypeInformation.of(ImageSample.class)));
        deferredState =
                store.getListState(new ListStateDescriptor<>("deferredSamples", TypeInformation.of(ImageSample.class)));
        legacyPendingState =
                store.getListState(new ListStateDescriptor<>("pending", TypeInformation.of(ViewPair.class)));
        legacyDeferredState =
                store.getListState(new ListStateDescriptor<>("deferred", TypeInformation.of(ViewPair.class)));
    }

    @Override
    public void open() throws Exception {
        super.open();
        Nd4jRuntime.init();
        shards = new HashMap<>();
        samplesSeenAccumulator = new LongMaximum();
        stepAccumulator = new LongMaximum();
        versionAccumulator = new LongMaximum();
        lossAccumulator = new LatestValue();
        knnAccumulator = new LatestValue();
        headAccuracyAccumulator = new LatestValue();
        getRuntimeContext().addAccumulator(HEAD_ACCURACY_ACCUMULATOR, headAccuracyAccumulator);
        getRuntimeContext().addAccumulator(KNN_ACCUMULATOR, knnAccumulator);
        getRuntimeContext().addAccumulator(SAMPLES_SEEN_ACCUMULATOR, samplesSeenAccumulator);
        getRuntimeContext().addAccumulator(STEP_ACCUMULATOR, stepAccumulator);
        getRuntimeContext().addAccumulator(VERSION_ACCUMULATOR, versionAccumulator);
        getRuntimeContext().addAccumulator(LOSS_ACCUMULATOR, lossAccumulator);
        if (!settings.probeSet().isEmpty()) {
            monitor = new QualityMonitor(settings);
        }
        lastQuality = Map.of();
        var metrics = getMetricGroup();
        for (String q : new String[] {"probe_knn200", "probe_linear", "probe_embedding_std", "probe_alignment", "probe_uniformity"}) {
            metrics.gauge(q, () -> lastQuality.getOrDefault(q, Double.NaN));
        }
        skippedSteps = metrics.counter("skippedSteps");
        deferredAfterMax = metrics.counter("samplesDeferredAfterMax");
        rollbacks = metrics.counter("rollbacks");
        replayedSamples = metrics.counter("replayedSamples");
        metrics.gauge("replayFill", () -> lastShard == null || lastShard.replay == null ? 0.0
                : lastShard.replay.filled() / (double) lastShard.replay.capacity());
        withheldSnapshots = metrics.counter("withheldSnapshots");
        metrics.gauge("collapseAlarm", () -> collapseAlarm);
        samplesPerSecond = metrics.meter("samplesPerSecond", new MeterView(10));
        stepsPerSecond = metrics.meter("stepsPerSecond", new MeterView(10));
        metrics.gauge("snapshotAgeSeconds", () -> lastPublishedAt == 0 ? -1.0
                : (System.currentTimeMillis() - lastPublishedAt) / 1000.0);
        metrics.gauge("embeddingStd", () -> lastShard == null ? Double.NaN : lastShard.embeddingStd);
        metrics.gauge("headAccuracy", () -> lastShard == null ? Double.NaN : lastShard.learner.headAccuracy());
        metrics.gauge("stepMillis", () -> lastShard == null ? Double.NaN : lastShard.stepMillis);
        metrics.gauge("stepShare", () -> lastShard == null ? Double.NaN : lastShard.stepShare);
        metrics.gauge("viewsMillis", () -> lastShard == null ? Double.NaN : lastShard.viewsMillis);
        metrics.gauge("laneWaitMillis", () -> lastShard == null ? Double.NaN : lastShard.laneWaitMillis);
        metrics.gauge("loss", () -> lastShard == null ? Double.NaN : lastShard.progress.lossAverage);
        metrics.gauge("step", () -> lastShard == null ? 0L : lastShard.learner.step());
        metrics.gauge("bankInstances", () -> lastShard == null || lastShard.learner.bank() == null ? 0
                : lastShard.learner.bank().filled());
        metrics.gauge("snapshotVersion", () -> lastShard == null ? 0L : lastShard.progress.version);
        metrics.gauge("samplesSeen", () -> lastShard == null ? 0L : lastShard.progress.samplesSeen);
        metrics.gauge("queueFill", () -> lastShard == null || lastShard.learner.queueSize() == 0 ? 0.0
                : lastShard.progress.queueFilled / (double) lastShard.learner.queueSize());
        String overlap = settings.overlap();
        if (settings.replay().policy() == ReplayBuffer.Policy.MIN_REDUNDANCY && !overlap.equals("false")) {
            // A step's features go into the minimum-redundancy buffer before the next step is drawn.
            LOG.info("Trainer: with the min-redundancy replay buffer, steps run on the task thread "
                    + "(kontrast.trainer.overlap={} is not used)", overlap);
        } else if (overlap.equals("true") || (overlap.equals("auto") && Nd4jRuntime.offCpu())) {
            // The step thread works on the device of the task thread, which allocated the learner.
            Integer device = Nd4j.getAffinityManager().getDeviceForCurrentThread();
            stepper = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(() -> {
                    Nd4j.getAffinityManager().unsafeSetDevice(device);
                    r.run();
                }, "kontrast-trainer-step " + getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks());
                t.setDaemon(true);
                return t;
            });
        }
        LOG.info("Trainer: steps {}", stepper == null ? "on the task thread"
                : "on a thread of their own, overlapping the next batch's input (kontrast.trainer.overlap=" + overlap + ")");
        // Mirror every shard this subtask owns now, so that a restored shard resumes (and drains
        // what it deferred) even if no new input arrives.
        List<Integer> keys;
        try (Stream<Integer> owned = this.<Integer>getKeyedStateBackend().getKeys("progress", VoidNamespace.INSTANCE)) {
            keys = owned.toList();
        }
        for (int key : keys) {
            setCurrentKey(key);
            shard(key);
        }
    }

    @Override
    public void processElement(StreamRecord<ImageSample> element) throws Exception {
        Shard s = shard((Integer) getCurrentKey());
        lastShard = s;
        if (overBudget(s)) {
            // Over budget: keep it (in RocksDB) for a later run with a larger budget rather than
            // lose it; the job is about to be stopped with a savepoint.
            deferredAfterMax.inc();
            deferredState.add(element.getValue());
            return;
        }
        s.add(element.getValue());
        if (s.pending == settings.hyperParams().batchSize()) {
            batchRead(s);
        }
    }

    /** A batch has been read: train on it, with the replay buffer when there is one. */
    private void batchRead(Shard s) {
        if (s.replay == null || s.hasBuilt()) {
            // (A partial batch of views an earlier version built is trained on as it is.)
            train(s);
        } else {
            trainWithReplay(s);
        }
    }

    /**
     * Trains on a batch read from the stream with the replay buffer: {@code stepsPerBatch} steps,
     * each on {@code freshPerStep} of the samples just read (taken in turn) and the rest of its
     * batch drawn from the buffer; then the samples read are offered to the buffer. Replayed
     * samples get new views (their view seed is the id and the sighting) and, for minimum
     * redundancy, their features from the step; samples read get theirs from the step that took
     * them.
     */
    private void trainWithReplay(Shard s) {
        ReplayBuffer buffer = s.replay;
        var r = settings.replay();
        int batch = settings.hyperParams().batchSize();
        int dim = s.learner.network().outputDim();
        s.keepRead();
        // The batch read counts once its first step has finished (a snapshot of a later step of
        // the batch says so; one of an earlier batch's step, finished meanwhile, does not).
        TrainerProgress p = s.progress;
        int cursor = 0;
        for (int j = 0; j < r.stepsPerBatch(); j++) {
            int replayRows = Math.min(batch - r.freshPerStep(), buffer.filled());
            int freshRows = batch - replayRows;
            int[] slots = s.drawnSlots;
            buffer.draw(replayRows, p.replayDraws++, slots);
            for (int row = 0; row < freshRows; row++) {
                int f = cursor++ % batch;
                s.source[row] = f;
                s.setRow(row, s.readPixels[f], s.readIds[f], s.readInstances[f], s.readLabels[f], s.readEventTimes[f]);
            }
            for (int t = 0; t < replayRows; t++) {
                int slot = slots[t];
                s.setRow(freshRows + t, buffer.pixels(slot), buffer.id(slot) + "#r" + (buffer.sightings(slot) + 1),
                        buffer.instance(slot), buffer.label(slot), buffer.eventTime(slot));
                s.replayRows[t] = freshRows + t;
            }
            s.pending = batch;
            s.readPerStep = j == 0 ? batch : 0;
            s.replayedInStep = replayRows;
            s.midGroup = j < r.stepsPerBatch() - 1;
            train(s);
            if (buffer.policy() == ReplayBuffer.Policy.RESERVOIR) {
                // No features to wait for: the step may still be in flight (overlapped steps).
                buffer.replayed(replayRows, slots, null, null);
                replayedSamples.inc(replayRows);
                continue;
            }
            if (!s.lastStepFinite) {
                for (int row = 0; row < freshRows; row++) s.skippedRead[s.source[row]] = true;
            } else {
                float[] features = s.learner.features();
                if (features != null) {
                    for (int row = 0; row < freshRows; row++) {
                        System.arraycopy(features, row * dim, s.readFeatures, s.source[row] * dim, dim);
                        s.readHasFeature[s.source[row]] = true;
                    }
                }
                buffer.replayed(replayRows, slots, features, s.replayRows);
                replayedSamples.inc(replayRows);
            }
        }
        s.readPerStep = batch;
        s.replayedInStep = 0;
        s.midGroup = false;
        if (buffer.policy() == ReplayBuffer.Policy.MIN_REDUNDANCY) {
            s.featuresOfUntrained(dim);
        }
        s.offerRead(buffer, dim);
        p.replayFilled = buffer.filled();
        p.replayOffered = buffer.offered();
        if (settings.sampleBudget() > 0 && p.samplesSeen + s.inFlight >= settings.sampleBudget()) {
            // The budget is read: the last step publishes when it finishes; if it was skipped as
            // non-finite, the snapshot of the budget is published here.
            finishStep();
            if (s.publishedStep != p.step && p.samplesSeen >= settings.sampleBudget()) publish(s);
        }
    }

    /**
     * Whether a sample for {@code s} would go past the sample budget. A step in flight is finished
     * first when it decides the answer, since a skipped step does not count its samples.
     */
    private boolean overBudget(Shard s) {
        long max = settings.sampleBudget();
        if (max <= 0 || s.progress.samplesSeen + s.inFlight + s.pending < max) {
            return false;
        }
        finishStep();
        return s.progress.samplesSeen + s.pending >= max;
    }

    /** Builds the full batch's views and steps on them, on this thread or on the step thread. */
    private void train(Shard s) {
        Learner learner = s.learner;
        long viewsStarted = System.nanoTime();
        // A step in flight has the learner's lanes: then the views are built on this thread alone.
        s.buildViews(inFlight == null);
        long started = System.nanoTime();
        s.viewNanos += started - viewsStarted;
        if (s.windowStart == 0) s.windowStart = viewsStarted;
        if (stepper == null) {
            int slot = learner.queuePointer();
            float loss = learner.step(s.a[s.current], s.b[s.current], s.instances, s.targets);
            s.pending = 0;
            s.lastStepFinite = !Float.isNaN(loss);
            afterStep(s, slot, loss, System.nanoTime() - started, s.readPerStep, s.replayedInStep, s.midGroup);
            return;
        }
        finishStep();
        InFlightStep f = new InFlightStep(s, learner.queuePointer(), s.current, s.readPerStep, s.replayedInStep, s.midGroup);
        String[] instances = s.instances.clone(); // the next batch overwrites the shard's
        int[] targets = s.targets == null ? null : s.targets.clone();
        s.inFlight = s.readPerStep;
        s.pending = 0;
        s.current ^= 1;
        f.future = stepper.submit(() -> {
            long t = System.nanoTime();
            f.loss = learner.step(s.a[f.inputs], s.b[f.inputs], instances, targets);
            f.nanos = System.nanoTime() - t;
            return null;
        });
        inFlight = f;
    }

    /** Waits for the step in flight, if any, and accounts for it (progress, metrics, snapshot). */
    private void finishStep() {
        InFlightStep f = inFlight;
        if (f == null) return;
        inFlight = null;
        f.shard.inFlight = 0;
        try {
            f.future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a training step", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
        afterStep(f.shard, f.slot, f.loss, f.nanos, f.read, f.replayed, f.midGroup);
    }

    /**
     * Accounts for a finished step: counters, progress, and a snapshot when one is due. {@code
     * read}: samples read that the step counts; {@code replayed}: its samples from the replay
     * buffer; {@code midGroup}: not the last step of its batch read.
     */
    private void afterStep(Shard s, int slot, float loss, long stepNanos, int read, int replayed, boolean midGroup) {
        Learner learner = s.learner;
        int batch = settings.hyperParams().batchSize();
        s.stepNanos += stepNanos;
        s.timedSteps++;
        TrainerProgress p = s.progress;
        if (Float.isNaN(loss)) {
            skippedSteps.inc();
            p.skippedSteps = learner.skippedSteps();
            if (++s.nonFiniteRun >= settings.rollbackAfter()) {
                rollback(s);
            }
            return;
        }
        s.nonFiniteRun = 0;
        s.dirty.set(slot, slot + learner.keysPerStep());
        if (read > 0) samplesPerSecond.markEvent(read);
        stepsPerSecond.markEvent();
        p.step = learner.step();
        p.queuePointer = learner.queuePointer();
        p.queueFilled = Math.min(learner.queueSize(), p.queueFilled + learner.keysPerStep());
        p.samplesSeen += read;
        p.replayed += replayed;
        p.lastLoss = loss;
        p.lossAverage = Double.isNaN(p.lossAverage) ? loss : 0.95 * p.lossAverage + 0.05 * loss;
        samplesSeenAccumulator.add(p.samplesSeen);
        stepAccumulator.add(p.step);
        lossAccumulator.add(p.lossAverage);
        double headAccuracy = learner.headAccuracy();
        if (Double.isFinite(headAccuracy)) headAccuracyAccumulator.add(headAccuracy);
        boolean finished = !midGroup && settings.sampleBudget() > 0 && p.samplesSeen >= settings.sampleBudget();
        if (p.step % settings.snapshotEverySteps() == 0 || finished) {
            publish(s);
        }
    }

    /**
     * A run of non-finite steps means the model has diverged: go back to the parameters of the
     * last published snapshot (or of the last restore) and clear the optimizer's momentum.
     */
    private void rollback(Shard s) {
        s.learner.params().assign(s.goodParams);
        s.learner.stats().assign(s.goodStats);
        for (Map.Entry<String, INDArray> e : s.learner.state().entrySet()) {
            e.getValue().assign(s.goodState.get(e.getKey()));
        }
        s.learner.clearMomentum();
        s.nonFiniteRun = 0;
        rollbacks.inc();
        LOG.warn("Trainer shard {}: {} non-finite steps in a row; rolled back to the last good parameters",
                s.key, settings.rollbackAfter());
    }

    private void publish(Shard s) {
        TrainerProgress p = s.progress;
        s.embeddingStd = s.learner.embeddingStd();
        if (!(s.embeddingStd >= settings.collapseMinStd())) {
            collapseAlarm = 1;
            withheldSnapshots.inc();
            LOG.warn("Trainer shard {}: embeddings collapsed (per-dimension std {} < {}); snapshot withheld at step {}",
                    s.key, s.embeddingStd, settings.collapseMinStd(), p.step);
            return;
        }
        collapseAlarm = 0;
        lastPublishedAt = System.currentTimeMillis();
        s.publishedStep = p.step;
        s.rememberGood();
        p.version++;
        versionAccumulator.add(p.version);
        var vs = settings.views();
        SnapshotCodec.Header header =
                new SnapshotCodec.Header(
                        settings.modelId(),
                        p.version,
                        p.step,
                        p.samplesSeen,
                        Instant.now(),
                        settings.snapshotInputShape(),
                        vs.inputMean(),
                        vs.inputStd(),
                        vs.channelStats());
        Map<String, Double> metrics = new HashMap<>();
        metrics.put("loss", p.lossAverage);
        metrics.put("last_loss", (double) p.lastLoss);
        metrics.put("embedding_std", s.embeddingStd);
        metrics.put("skipped_steps", (double) p.skippedSteps);
        metrics.put("learning_rate", settings.hyperParams().learningRateAt(p.step));
        double headAccuracy = s.learner.headAccuracy();
        if (Double.isFinite(headAccuracy)) metrics.put("head_accuracy", headAccuracy);
        if (s.learner.bank() != null) {
            metrics.put("bank_instances", (double) s.learner.bank().filled());
        }
        if (s.replay != null) {
            metrics.put("replayed", (double) p.replayed);
            metrics.put("replay_fill", (double) s.replay.filled());
        }
        // Where the trainer's thread spends its time since the last snapshot: the mean step, and
        // the share of wall time in steps (near 1: the trainer is the bottleneck; lower: it waits
        // for input, or builds it, as when views run in its thread).
        long now = System.nanoTime();
        if (s.timedSteps > 0) {
            s.stepMillis = s.stepNanos / 1e6 / s.timedSteps;
            s.stepShare = s.stepNanos / (double) Math.max(1, now - s.windowStart);
            metrics.put("step_ms", s.stepMillis);
            s.viewsMillis = s.viewNanos / 1e6 / s.timedSteps;
            metrics.put("views_ms", s.viewsMillis);
            metrics.put("step_share", s.stepShare);
            s.laneWaitMillis = (s.learner.laneWaitNanos() - s.laneWaitAtWindowStart) / 1e6 / s.timedSteps;
            metrics.put("lane_wait_ms", s.laneWaitMillis);
        }
        s.stepNanos = 0;
        s.viewNanos = 0;
        s.timedSteps = 0;
        s.windowStart = now;
        s.laneWaitAtWindowStart = s.learner.laneWaitNanos();
        if (monitor != null) {
            lastQuality = monitor.score(s.learner);
            metrics.putAll(lastQuality);
            knnAccumulator.add(lastQuality.get("probe_knn200"));
        }
        INDArray logitScale = s.learner.state().get("logitScale");
        if (logitScale != null) metrics.put("temperature", Math.exp(-logitScale.getDouble(0)));
        if (s.learner.network() instanceof io.kontrast.math.nn.Towers towers) {
            List<int[]> shapes = new ArrayList<>();
            for (var part : settings.parts()) shapes.add(TrainerSettings.snapshotInputShape(part.shape()));
            for (EncoderSnapshot snapshot : SnapshotCodec.fromTowers(header, towers, shapes, s.learner.params(),
                    s.learner.stats(), metrics)) {
                snapshot.setObjective(s.learner.objective());
                output.collect(new StreamRecord<>(snapshot));
            }
            return;
        }
        EncoderSnapshot snapshot =
                SnapshotCodec.fromNetwork(header, s.learner.network(), s.learner.params(), s.learner.stats(), metrics);
        snapshot.setObjective(s.learner.objective());
        output.collect(new StreamRecord<>(snapshot));
    }

    /** The step in flight goes out with the checkpoint it belongs to, before the barrier. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        finishStep();
    }

    /** At the end of input, the last step's progress and snapshot are not left in flight. */
    @Override
    public void finish() throws Exception {
        finishStep();
        super.finish();
    }

    /** Stops the step thread and the learners' lane threads (on a normal end, a failure or a cancel alike). */
    @Override
    public void close() throws Exception {
        try {
            if (stepper != null) {
                // The step in flight uses the lanes closed below: let it end first.
                stepper.shutdown();
                if (!stepper.awaitTermination(60, TimeUnit.SECONDS)) {
                    LOG.warn("Trainer: a training step did not end within 60 s of close");
                }
                inFlight = null;
            }
            if (shards != null) {
                for (Shard s : shards.values()) {
                    s.learner.close();
                }
                shards.clear();
            }
        } finally {
            super.close();
        }
    }

    private Shard shard(int key) throws Exception {
        Shard s = shards.get(key);
        if (s == null) {
            s = load(key);
            shards.put(key, s);
        }
        return s;
    }

    /** Mirrors a shard's state into memory; a shard with no state starts fresh. */
    private Shard load(int key) throws Exception {
        Learner learner = settings.newLearner(settings.seed() + key);
        LOG.info("Trainer shard {}: objective {}; steps in {}; optimizer as {}", key, learner.objective(),
                learner.lanes() ? "two lanes" : "one thread",
                learner.fusedUpdate() ? "one vectorised pass"
                        : "BLAS calls (a CPU JVM started with --add-modules=jdk.incubator.vector runs it as one pass)");
        Shard s = new Shard(key, learner, settings, stepper != null);
        if (s.replay != null) {
            LOG.info("Trainer shard {}: replay buffer {} of {} samples ({} steps per batch read, {} of each step's {} from the "
                    + "stream)", key, s.replay.policy().optionName(), s.replay.capacity(), settings.replay().stepsPerBatch(),
                    settings.replay().freshPerStep(), settings.hyperParams().batchSize());
        }
        TrainerProgress p = progressState.value();
        if (p == null) {
            s.dirty.set(0, learner.queueSize());
            s.rememberGood();
            return s;
        }
        s.progress = p;
        float[] savedParams = queryParamsState.value();
        if (savedParams.length != learner.params().length()) {
            // Another encoder wrote this checkpoint: say so, and how to go on, rather than fail in a copy.
            throw new IllegalStateException("trainer shard " + key + ": the checkpoint's encoder has " + savedParams.length
                    + " parameters, the configured one (kontrast.encoder=" + settings.encoder() + ") has " + learner.params().length()
                    + ": restore with the encoder and kontrast.encoder.spec it was trained with, or start fresh (--fresh)");
        }
        learner.params().assign(Nd4j.createFromArray(savedParams));
        learner.velocity().assign(Nd4j.createFromArray(velocityState.value()));
        float[] stats = statsState.value();
        if (stats != null) {
            // Absent in state written before the CNN encoder existed: the MLP keeps none.
            learner.stats().assign(Nd4j.createFromArray(stats));
        }
        for (Map.Entry<String, INDArray> e : learner.state().entrySet()) {
            // MoCo's key encoder has kept its own state since before other objectives existed.
            float[] saved = e.getKey().equals("keyParams") ? keyParamsState.value() : objectiveState.get(e.getKey());
            if (saved != null && saved.length == e.getValue().length()) {
                e.getValue().assign(Nd4j.createFromArray(saved));
            } else {
                LOG.info("Trainer shard {}: the checkpoint has no {} for objective {} (it was trained with another); "
                        + "it starts fresh", key, e.getKey(), learner.objective());
            }
        }
        if (learner.queueSize() > 0) {
            for (Map.Entry<Integer, float[]> e : queueState.entries()) {
                if (e.getKey() < learner.queueSize()) {
                    learner.restoreQueueRow(e.getKey(), e.getValue());
                }
            }
        }
        var bank = learner.bank();
        if (bank != null) {
            int restored = 0;
            for (Map.Entry<Integer, String> e : bankInstanceState.entries()) {
                float[] v = bankState.get(e.getKey());
                if (v != null && e.getKey() < bank.capacity() && v.length == bank.dim()) {
                    bank.restore(e.getKey(), e.getValue(), v);
                    restored++;
                }
            }
            LOG.info("Trainer shard {}: memory bank restored with {} instances", key, restored);
        }
        if (s.replay != null && p.replayFilled > 0) {
            restoreReplay(s, p);
        }
        learner.restoreCounters(p.step, bank != null && p.queuePointer >= bank.capacity() ? 0 : p.queuePointer,
                p.skippedSteps, p.lastLoss);
        Iterable<ViewPair> legacy = legacyPendingState.get();
        if (legacy != null) {
            for (ViewPair v : legacy) {
                s.addBuilt(v);
            }
        }
        Iterable<ImageSample> pending = pendingState.get();
        if (pending != null) {
            for (ImageSample v : pending) {
                s.add(v);
            }
        }
        samplesSeenAccumulator.add(p.samplesSeen);
        stepAccumulator.add(p.step);
        versionAccumulator.add(p.version);
        s.rememberGood();
        shards.put(key, s);
        drainDeferred(s);
        return s;
    }

    /** Mirrors a shard's replay buffer from state: its counters, slots and neighbour records. */
    private void restoreReplay(Shard s, TrainerProgress p) throws Exception {
        ReplayBuffer buffer = s.replay;
        int filled = Math.min(p.replayFilled, buffer.capacity());
        buffer.restoreCounters(filled, p.replayOffered);
        int restored = 0;
        for (Map.Entry<Integer, ReplaySlot> e : replayState.entries()) {
            if (e.getKey() < filled) {
                buffer.restore(e.getKey(), e.getValue());
                restored++;
            }
        }
        if (restored != filled) {
            throw new IllegalStateException("trainer shard " + s.key + ": the checkpoint's replay buffer has " + restored
                    + " of its " + filled + " slots");
        }
        if (buffer.policy() == ReplayBuffer.Policy.MIN_REDUNDANCY) {
            if (filled < p.replayFilled) {
                buffer.rebuildNeighbours();
            } else {
                for (Map.Entry<Integer, Long> e : replayNeighbourState.entries()) {
                    if (e.getKey() < filled) buffer.restoreNeighbour(e.getKey(), e.getValue());
                }
            }
        }
        LOG.info("Trainer shard {}: replay buffer restored with {} samples ({} offered so far){}", s.key, filled,
                p.replayOffered, filled < p.replayFilled ? "; the checkpoint held " + p.replayFilled
                        + ", more than kontrast.replay.size, so the rest were let go" : "");
    }

    /** Trains on what an earlier run deferred past its budget, as far as this run's budget allows. */
    private void drainDeferred(Shard s) throws Exception {
        legacyDeferredState.update(drain(s, legacyDeferredState.get(), s::addBuilt));
        deferredState.update(drain(s, deferredState.get(), s::add));
    }

    /** Adds what the budget allows of {@code deferred}, training on each full batch; returns the rest. */
    private <T> List<T> drain(Shard s, Iterable<T> deferred, java.util.function.Consumer<T> add) {
        List<T> keep = new ArrayList<>();
        if (deferred == null) return keep;
        int batch = settings.hyperParams().batchSize();
        for (T v : deferred) {
            if (overBudget(s)) {
                keep.add(v);
                continue;
            }
            add.accept(v);
            if (s.pending == batch) {
                batchRead(s);
            }
        }
        return keep;
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        finishStep(); // already done before the barrier; a snapshot never holds a step in flight
        for (Shard s : shards.values()) {
            setCurrentKey(s.key);
            queryParamsState.update(s.learner.params().toFloatVector());
            for (Map.Entry<String, INDArray> e : s.learner.state().entrySet()) {
                if (e.getKey().equals("keyParams")) {
                    keyParamsState.update(e.getValue().toFloatVector());
                } else {
                    objectiveState.put(e.getKey(), e.getValue().toFloatVector());
                }
            }
            velocityState.update(s.learner.velocity().toFloatVector());
            statsState.update(s.learner.stats().toFloatVector());
            progressState.update(s.progress);
            for (int slot = s.dirty.nextSetBit(0); slot >= 0; slot = s.dirty.nextSetBit(slot + 1)) {
                queueState.put(slot, s.learner.queueRow(slot));
            }
            s.dirty.clear();
            var bank = s.learner.bank();
            if (bank != null) {
                java.util.BitSet written = bank.takeDirty();
                for (int slot = written.nextSetBit(0); slot >= 0; slot = written.nextSetBit(slot + 1)) {
                    bankState.put(slot, bank.vector(slot));
                    bankInstanceState.put(slot, bank.instance(slot));
                }
            }
            if (s.replay != null) {
                BitSet changed = s.replay.takeDirty();
                for (int slot = changed.nextSetBit(0); slot >= 0; slot = changed.nextSetBit(slot + 1)) {
                    replayState.put(slot, s.replay.slot(slot));
                }
                if (s.replay.policy() == ReplayBuffer.Policy.MIN_REDUNDANCY) {
                    BitSet moved = s.replay.takeDirtyNeighbours();
                    for (int slot = moved.nextSetBit(0); slot >= 0; slot = moved.nextSetBit(slot + 1)) {
                        replayNeighbourState.put(slot, s.replay.packedNeighbour(slot));
                    }
                }
            }
            pendingState.update(s.pendingSamples());
            legacyPendingState.update(s.pendingBuiltPairs());
        }
    }

    /** The in-memory shard of a key, loading it if needed; for tests. */
    TrainerView view(int key) throws Exception {
        finishStep();
        setCurrentKey(key);
        Shard s = shard(key);
        return new TrainerView(s.learner, s.progress, s.pending);
    }

    /** The replay buffer of a shard (null without one); for tests. */
    ReplayBuffer replayBuffer(int key) throws Exception {
        finishStep();
        setCurrentKey(key);
        return shard(key).replay;
    }

    /** Adds pairs with built views to a shard's partial batch, as an earlier version's state held them; for tests. */
    void addBuiltPairs(int key, List<ViewPair> pairs) throws Exception {
        setCurrentKey(key);
        Shard s = shard(key);
        for (ViewPair v : pairs) {
            s.addBuilt(v);
        }
    }

    /** Whether steps run on a thread of their own; for tests. */
    boolean overlapsSteps() {
        return stepper != null;
    }

    /** A read-only look at a shard, for tests. */
    record TrainerView(Learner learner, TrainerProgress progress, int pending) {}

    long rollbackCount() {
        return rollbacks.getCount();
    }

    long withheldSnapshotCount() {
        return withheldSnapshots.getCount();
    }

    /** A step handed to the step thread: its shard, queue slot and input buffers, and its result. */
    private static final class InFlightStep {
        final Shard shard;
        final int slot;
        final int inputs;
        final int read;
        final int replayed;
        final boolean midGroup;
        Future<?> future;
        // Written by the step thread; read after future.get().
        float loss;
        long nanos;

        InFlightStep(Shard shard, int slot, int inputs, int read, int replayed, boolean midGroup) {
            this.shard = shard;
            this.slot = slot;
            this.inputs = inputs;
            this.read = read;
            this.replayed = replayed;
            this.midGroup = midGroup;
        }
    }

    /** One trainer shard in memory. */
    private static final class Shard {
        final int key;
        final Learner learner;
        // Input buffers (first views, second views): one pair, or two with overlapped steps, where
        // the next batch's views are built into one while the step in flight reads the other.
        final INDArray[] a;
        final INDArray[] b;
        final FloatBuffer[] aData;
        final FloatBuffer[] bData;
        int current;
        // Samples in the step in flight (counted in samples seen once it has finished).
        int inFlight;
        final String[] ids;
        final String[] instances;
        // Each sample's target when the objective predicts one from its views (context prediction), else null.
        final int[] targets;
        final int[] labels;
        final long[] eventTimes;
        // The batch's samples, copied in; their views are built when the batch is full.
        final float[][] pixels;
        // Slots whose views came built (a partial batch restored from an earlier version's state).
        final boolean[] built;
        final int inputChannels;
        final int inputHeight;
        final int inputWidth;
        final int inputSize;
        final BatchViews batchViews;
        final java.util.function.BiConsumer<Runnable, Runnable> inLanes;
        // Both parts on this thread, one after the other (Lanes.run without lanes).
        static final java.util.function.BiConsumer<Runnable, Runnable> ONE_THREAD = (onHelper, onCaller) -> Lanes.run(null, onHelper, onCaller);
        final BitSet dirty = new BitSet();
        TrainerProgress progress = new TrainerProgress();
        int pending;
        // Samples read that the next step counts (0 in a replay step: the batch read counts once).
        int readPerStep;
        // Samples from the replay buffer in the step (counted once the step is finite).
        int replayedInStep;
        // A replay step before the last of its batch read (the budget is not reached within a batch).
        boolean midGroup;
        boolean lastStepFinite;
        long publishedStep = -1;
        // The replay buffer, and the batch read set aside while replay steps use the input arrays.
        final ReplayBuffer replay;
        final float[][] readPixels;
        final String[] readIds;
        final String[] readInstances;
        final int[] readLabels;
        final long[] readEventTimes;
        final float[] readFeatures;
        final boolean[] readHasFeature;
        final int[] source;
        final int[] replayRows;
        // Scratch: the slots a replay step drew, rows of samples read without a feature, rows offered.
        final int[] drawnSlots;
        final int[] untrainedRows;
        final int[] offeredRows;
        final float[] projected;
        // Samples read whose step (the one that took them) was skipped: they get no feature.
        final boolean[] skippedRead;
        Network.Workspace inferenceWs;
        int nonFiniteRun;
        double embeddingStd = Double.NaN;
        // Step timing since the last snapshot (not state: it describes this process).
        long stepNanos;
        long viewNanos;
        int timedSteps;
        long windowStart;
        long laneWaitAtWindowStart;
        double stepMillis = Double.NaN;
        double laneWaitMillis = Double.NaN;
        double stepShare = Double.NaN;
        double viewsMillis = Double.NaN;
        final INDArray goodParams;
        final Map<String, INDArray> goodState = new HashMap<>();
        final INDArray goodStats;

        Shard(int key, Learner learner, TrainerSettings settings, boolean overlapped) {
            this.key = key;
            this.learner = learner;
            this.inputChannels = settings.inputChannels();
            this.inputHeight = settings.inputHeight();
            this.inputWidth = settings.inputWidth();
            this.inputSize = settings.inputSize();
            int batch = learner.hyperParams().batchSize();
            int pairs = overlapped ? 2 : 1;
            a = new INDArray[pairs];
            b = new INDArray[pairs];
            aData = new FloatBuffer[pairs];
            bData = new FloatBuffer[pairs];
            for (int i = 0; i < pairs; i++) {
                a[i] = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, inputSize);
                b[i] = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, inputSize);
                aData[i] = a[i].data().asNioFloat();
                bData[i] = b[i].data().asNioFloat();
            }
            ids = new String[batch];
            instances = new String[batch];
            targets = learner.needsTargets() ? new int[batch] : null;
            labels = new int[batch];
            eventTimes = new long[batch];
            pixels = new float[batch][inputSize];
            built = new boolean[batch];
            var objective = settings.objective();
            batchViews = targets == null
                    ? new BatchViews(settings.views(), settings.inputChannels(), inputHeight, inputWidth)
                    : new BatchViews(settings.views(), settings.inputChannels(), inputHeight, inputWidth,
                            objective.contextGap(), objective.contextJitter());
            if (settings.paired() && objective.clipKindViews()) {
                batchViews.withParts(settings.parts().stream().map(TrainerSettings.Part::shape).toList());
            }
            if (objective.name().equals("sop")) batchViews.withOtherSegments(objective.sopOtherFraction());
            batchViews.corrupting(!objective.name().equals("dgi") ? BatchViews.Corruption.NONE
                    : objective.dgiCorruption().equals("batch") ? BatchViews.Corruption.BATCH : BatchViews.Corruption.NEIGHBOURHOOD);
            inLanes = learner::inLanes;
            readPerStep = batch;
            var r = settings.replay();
            if (r.enabled()) {
                int dim = learner.network().outputDim();
                replay = new ReplayBuffer(r.policy(), r.size(), inputSize, dim, settings.seed() * 31 + key);
                readPixels = new float[batch][inputSize];
                readIds = new String[batch];
                readInstances = new String[batch];
                readLabels = new int[batch];
                readEventTimes = new long[batch];
                readFeatures = new float[batch * dim];
                readHasFeature = new boolean[batch];
                source = new int[batch];
                replayRows = new int[batch];
                drawnSlots = new int[batch];
                untrainedRows = new int[batch];
                offeredRows = new int[batch];
                projected = r.policy() == ReplayBuffer.Policy.MIN_REDUNDANCY ? new float[batch * dim] : null;
                skippedRead = new boolean[batch];
            } else {
                skippedRead = null;
                replay = null;
                readPixels = null;
                readIds = null;
                readInstances = null;
                readLabels = null;
                readEventTimes = null;
                readFeatures = null;
                readHasFeature = null;
                source = null;
                replayRows = null;
                drawnSlots = null;
                untrainedRows = null;
                offeredRows = null;
                projected = null;
            }
            goodParams = learner.params().dup();
            learner.state().forEach((name, buffer) -> goodState.put(name, buffer.dup()));
            goodStats = learner.stats().dup();
        }

        void rememberGood() {
            goodParams.assign(learner.params());
            learner.state().forEach((name, buffer) -> goodState.get(name).assign(buffer));
            goodStats.assign(learner.stats());
        }

        void add(ImageSample v) {
            if (v.channels != inputChannels || v.height != inputHeight || v.width != inputWidth || v.pixels == null
                    || v.pixels.length != inputSize) {
                throw new IllegalArgumentException("sample " + v.id + " of " + v.channels + "x" + v.height + "x" + v.width
                        + ", expected " + inputChannels + "x" + inputHeight + "x" + inputWidth);
            }
            System.arraycopy(v.pixels, 0, pixels[pending], 0, inputSize);
            ids[pending] = v.id;
            instances[pending] = v.instanceOrId();
            labels[pending] = v.label;
            eventTimes[pending] = v.eventTime;
            built[pending] = false;
            pending++;
        }

        /** Whether the partial batch holds views an earlier version built (restored from its state). */
        boolean hasBuilt() {
            for (int i = 0; i < pending; i++) if (built[i]) return true;
            return false;
        }

        /** Sets the full batch read aside, so that replay steps can fill the input arrays. */
        void keepRead() {
            for (int i = 0; i < pending; i++) {
                if (built[i]) {
                    throw new IllegalStateException("a partial batch of built views (from an earlier version's state) "
                            + "cannot go through the replay buffer; finish it with kontrast.replay.policy=none first");
                }
                System.arraycopy(pixels[i], 0, readPixels[i], 0, inputSize);
                readIds[i] = ids[i];
                readInstances[i] = instances[i];
                readLabels[i] = labels[i];
                readEventTimes[i] = eventTimes[i];
                readHasFeature[i] = false;
                skippedRead[i] = false;
            }
        }

        /**
         * Samples read that no step took (steps-per-batch × fresh-fraction &lt; 1) get their
         * feature from the online encoder's projection of their first view, batch norm on running
         * statistics; a sample whose step was skipped as non-finite gets none.
         */
        void featuresOfUntrained(int dim) {
            int n = 0;
            int[] rowOf = untrainedRows;
            for (int i = 0; i < readIds.length; i++) {
                if (readHasFeature[i] || skippedRead[i]) continue;
                setRow(n, readPixels[i], readIds[i], readInstances[i], readLabels[i], readEventTimes[i]);
                rowOf[n++] = i;
            }
            if (n == 0) return;
            pending = n;
            buildViews(true);
            pending = 0;
            if (inferenceWs == null) inferenceWs = learner.network().newWorkspace(readIds.length);
            INDArray p = learner.project(a[current], inferenceWs);
            float[] out = projected;
            if (Shape.hasDefaultStridesForShape(p) && p.ordering() == 'c') {
                p.data().asNioFloat().get((int) p.offset(), out, 0, n * dim);
            } else {
                System.arraycopy(p.dup('c').data().asFloat(), 0, out, 0, n * dim);
            }
            for (int r = 0; r < n; r++) {
                double norm = 0;
                for (int c = r * dim; c < (r + 1) * dim; c++) norm += (double) out[c] * out[c];
                float scale = (float) (1 / Math.max(1e-12, Math.sqrt(norm)));
                int i = rowOf[r];
                for (int c = 0; c < dim; c++) readFeatures[i * dim + c] = out[r * dim + c] * scale;
                readHasFeature[i] = true;
            }
        }

        /** Row {@code row} of the next step's batch. */
        void setRow(int row, float[] samplePixels, String id, String instance, int label, long eventTime) {
            System.arraycopy(samplePixels, 0, pixels[row], 0, inputSize);
            ids[row] = id;
            instances[row] = instance;
            labels[row] = label;
            eventTimes[row] = eventTime;
            built[row] = false;
        }

        /**
         * Offers the batch read to the buffer. Minimum redundancy compares features: a sample
         * without one (its step was skipped as non-finite) is not offered.
         */
        void offerRead(ReplayBuffer buffer, int dim) {
            int n = readIds.length;
            int[] featRows = offeredRows;
            int kept = 0;
            boolean needFeatures = buffer.policy() == ReplayBuffer.Policy.MIN_REDUNDANCY;
            for (int i = 0; i < n; i++) {
                if (needFeatures && !readHasFeature[i]) continue;
                if (kept != i) {
                    float[] t = readPixels[kept];
                    readPixels[kept] = readPixels[i];
                    readPixels[i] = t;
                    readIds[kept] = readIds[i];
                    readInstances[kept] = readInstances[i];
                    readLabels[kept] = readLabels[i];
                    readEventTimes[kept] = readEventTimes[i];
                }
                featRows[kept] = i;
                kept++;
            }
            buffer.offer(kept, readPixels, readIds, readInstances, readLabels, readEventTimes,
                    needFeatures ? readFeatures : null, featRows);
        }

        /** A pair whose views an earlier version built (restored from its state). */
        void addBuilt(ViewPair v) {
            if (v.first.length != inputSize || v.second.length != inputSize) {
                throw new IllegalArgumentException(
                        "view of " + v.first.length + " values, expected " + inputSize);
            }
            aData[current].put(pending * inputSize, v.first);
            bData[current].put(pending * inputSize, v.second);
            ids[pending] = v.id;
            instances[pending] = v.id;
            if (targets != null) targets[pending] = -1; // built by an earlier version: no position
            labels[pending] = v.label;
            built[pending] = true;
            pending++;
        }

        /**
         * Builds the views of the full batch into the current input buffers, in both of the
         * learner's lanes (see {@link BatchViews}) or on this thread alone.
         */
        void buildViews(boolean useLanes) {
            batchViews.build(pixels, ids, built, pending, aData[current], bData[current], targets,
                    useLanes ? inLanes : ONE_THREAD);
        }

        List<ImageSample> pendingSamples() {
            List<ImageSample> out = new ArrayList<>(pending);
            for (int i = 0; i < pending; i++) {
                if (!built[i]) {
                    ImageSample sample = new ImageSample(ids[i], eventTimes[i], inputChannels, inputHeight, inputWidth, pixels[i].clone(), labels[i]);
                    sample.instance = instances[i].equals(ids[i]) ? null : instances[i];
                    out.add(sample);
                }
            }
            return out;
        }

        List<ViewPair> pendingBuiltPairs() {
            List<ViewPair> out = new ArrayList<>();
            for (int i = 0; i < pending; i++) {
                if (built[i]) {
                    float[] first = new float[inputSize];
                    float[] second = new float[inputSize];
                    aData[current].get(i * inputSize, first);
                    bData[current].get(i * inputSize, second);
                    out.add(new ViewPair(ids[i], key, labels[i], first, second));
                }
            }
            return out;
        }
    }
}
