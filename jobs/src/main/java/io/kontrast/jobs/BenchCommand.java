package io.kontrast.jobs;

import io.kontrast.data.LabeledImages;
import io.kontrast.data.Samples;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.jobs.cli.Args;
import io.kontrast.jobs.cli.UsageException;
import io.kontrast.jobs.kafka.EmbeddedKafka;
import io.kontrast.math.HyperParams;
import io.kontrast.math.MocoLearner;
import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.Presets;
import io.kontrast.math.nn.Shape;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.math.Network;
import io.kontrast.math.Sgemm;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.schemas.EncoderSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code kontrast bench}: the machine's GEMM ceiling, the trainer step alone against it for both
 * encoders, and
 * samples/s through the whole pipeline (Kafka → decode → views → trainer). Prints a table and one
 * JSON line.
 */
public final class BenchCommand {
    private BenchCommand() {}

    static Args args() {
        return new Args("bench", "Benchmarks the trainer against the machine's GEMM speed, and the whole pipeline. -D options configure the pipeline's job; kontrast.trainer.lanes also the trainer alone.")
                .opt("batch-size", "n", "256", "samples per step")
                .opt("queue-size", "n", "4096", "negative keys K")
                .opt("steps", "n", "200", "timed MLP trainer steps, after 100 warm-up steps and at least 3 s, in rounds of 20 steps, each after its own GEMM measurement")
                .opt("cnn-steps", "n", "20", "timed CNN trainer steps, after 5 warm-up steps and at least 3 s, in rounds of 4 (0: skip the CNN)")
                .opt("replay-slots", "n", "0", "time the min-redundancy replay buffer at n slots of 128-wide features: offering and replaying, per sample, in batches of --batch-size (0: skip)")
                .opt("pipeline-steps", "n", "1500", "trainer steps through the whole pipeline (0: skip it); timed from the first snapshot at or after a third of them (the warm-up) to the last, published every 100 steps as the job's default (fewer in short runs)");
    }

    record Result(double stepsPerSecond, double samplesPerSecond, double gflops, double fractionOfGemm, double slowestRound, double fastestRound,
            double laneWaitMillis) {}

    static int run(Args a, PrintStream out) throws Exception {
        int batch = a.getInt("batch-size", 2, 65536);
        int queue = a.getInt("queue-size", batch, 1 << 22);
        int steps = a.getInt("steps", 1, 1_000_000);
        int cnnSteps = a.getInt("cnn-steps", 0, 1_000_000);
        int pipelineSteps = a.getInt("pipeline-steps", 0, 1_000_000);
        int replaySlots = a.getInt("replay-slots", 0, 1 << 24);
        // -D options reach the pipeline's job, and the trainer options the trainer alone too.
        Configuration conf = TrainCommand.baseConfiguration(a);
        boolean lanes;
        boolean overlap;
        try {
            TrainerSettings settings = TrainerSettings.from(conf);
            lanes = settings.lanes();
            overlap = settings.overlap().equals("true") || (settings.overlap().equals("auto") && Nd4jRuntime.offCpu());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Gemm gemmProbe = new Gemm();
        List<Double> gemms = new ArrayList<>();
        gemms.add(gemmProbe.gflops(3, 10));
        double views = viewPairsPerSecond();
        out.printf(Locale.ROOT, "View pairs (one thread): %.0f samples/s%n", views);
        double batchViews = batchViewPairsPerSecond(256);
        out.printf(Locale.ROOT, "View pairs (batches of 256, in the trainer's two lanes): %.0f samples/s%n", batchViews);
        double decodes = decodesPerSecond();
        out.printf(Locale.ROOT, "Decoding (one thread): %.0f records/s%n", decodes);
        // The mlp twice, as the CNN below: the faster round counts.
        Result mlp = null;
        for (int round = 0; round < 2; round++) {
            Result r = trainerStep(new LayerNet("mlp", Presets.mlp(new Shape(1, 28, 28), false), 1), lanes, batch, queue, 100, steps, 20, gemmProbe, gemms);
            out.printf(Locale.ROOT, "MLP trainer step, 1x28x28 (batch %d, K %d): %.1f steps/s, %.0f samples/s, %.1f GFLOP/s, %.2f of GEMM (rounds: %.1f-%.1f steps/s; the first lane waits %.2f ms a step for the second)%n",
                    batch, queue, r.stepsPerSecond(), r.samplesPerSecond(), r.gflops(), r.fractionOfGemm(), r.slowestRound(), r.fastestRound(),
                    r.laneWaitMillis());
            mlp = mlp == null || r.samplesPerSecond() > mlp.samplesPerSecond() ? r : mlp;
        }
        String cnnJson = "null";
        String presetsJson = "[]";
        if (cnnSteps > 0) {
            // The CNN twice: its first round runs before the JIT has settled; the faster round counts.
            Result cnn = null;
            for (int round = 0; round < 2; round++) {
                Result r = trainerStep(new LayerNet("cnn", Presets.cnn(new Shape(1, 28, 28)), 1), lanes, batch, queue, 5, cnnSteps, 4, gemmProbe, gemms);
                out.printf(Locale.ROOT, "CNN trainer step, 1x28x28 (batch %d, K %d): %.2f steps/s, %.0f samples/s, %.1f GFLOP/s, %.2f of GEMM (rounds: %.2f-%.2f steps/s)%n",
                        batch, queue, r.stepsPerSecond(), r.samplesPerSecond(), r.gflops(), r.fractionOfGemm(), r.slowestRound(), r.fastestRound());
                cnn = cnn == null || r.samplesPerSecond() > cnn.samplesPerSecond() ? r : cnn;
            }
            cnnJson = json(cnn);
            // Every other preset, at the input it is made for: colour images, sequences of 28 steps.
            StringBuilder list = new StringBuilder();
            for (String preset : new String[] {"cnn", "resnet", "cnn1d", "cnn1d-steps", "gru", "tokens-cnn1d", "gcn"}) {
                // A graph preset takes packed neighbourhoods of 32 nodes of 16 features (sbm-graphs').
                Shape shape = preset.equals("tokens-cnn1d") ? Shape.vector(28)
                        : preset.equals("gcn") ? Shape.sequence(io.kontrast.data.SbmGraphs.MAX_NODES, io.kontrast.data.SbmGraphs.ROW)
                        : preset.startsWith("cnn1d") || preset.equals("gru") ? Shape.sequence(28, 28) : new Shape(3, 32, 32);
                String shapeName = preset.equals("gcn") ? io.kontrast.data.SbmGraphs.MAX_NODES + "x" + io.kontrast.data.SbmGraphs.FEATURES + " graph"
                        : shape.toString();
                LayerNet net = new LayerNet(preset, switch (preset) {
                    case "cnn" -> Presets.cnn(shape);
                    case "resnet" -> Presets.resnet(shape);
                    case "cnn1d" -> Presets.cnn1d(shape);
                    case "cnn1d-steps" -> Presets.cnn1dSteps(shape);
                    // 28 token ids of a vocabulary of 129 (fashion-mnist-tokens) through the embedding and the cnn1d.
                    case "tokens-cnn1d" -> Presets.tokens(28, 129, Presets::cnn1d);
                    case "gcn" -> Presets.gcn(shape);
                    default -> Presets.gru(shape);
                }, 1);
                Result r = trainerStep(net, lanes, batch, queue, 3, cnnSteps, 4, gemmProbe, gemms);
                out.printf(Locale.ROOT, "%s trainer step, %s (batch %d, K %d): %.2f steps/s, %.0f samples/s, %.1f GFLOP/s, %.2f of GEMM%n",
                        preset, shapeName, batch, queue, r.stepsPerSecond(), r.samplesPerSecond(), r.gflops(), r.fractionOfGemm());
                list.append(list.length() > 0 ? ", " : "").append(json(r).replace("{",
                        String.format(Locale.ROOT, "{\"preset\": \"%s\", \"input_shape\": \"%s\", ", preset, shapeName)));
            }
            presetsJson = "[" + list + "]";
        }
        String replayJson = "null";
        if (replaySlots > 0) {
            double[] us = replayMicros(replaySlots, 128, batch);
            out.printf(Locale.ROOT, "Replay buffer, min-redundancy, %d slots of 128 floats (batches of %d): offering %.1f us a sample, replaying %.1f us a sample (rounds: %.1f-%.1f and %.1f-%.1f)%n",
                    replaySlots, batch, us[0], us[1], us[2], us[3], us[4], us[5]);
            long[] bytes = replaySlotBytes(784, 128);
            // One step of batch B with half of it replayed changes at most B offered + B/2 replayed slots.
            long perStep = (long) (batch + batch / 2) * (bytes[0] + 12);
            out.printf(Locale.ROOT, "Replay slot of a 1x28x28 sample with a 128-wide feature: %d bytes serialized (the RocksDB value; plus a 4-byte key and a 12-byte neighbour record), about %d bytes in memory; the whole buffer %.1f MB, a checkpoint one step after the last at most %.2f MB (%d changed slots)%n",
                    bytes[0], bytes[1], replaySlots * (bytes[0] + 16) / 1e6, perStep / 1e6, batch + batch / 2);
            replayJson = String.format(Locale.ROOT, "{\"slots\": %d, \"offer_us_per_sample\": %.2f, \"replay_us_per_sample\": %.2f, \"slot_bytes_serialized\": %d, \"slot_bytes_memory\": %d}",
                    replaySlots, us[0], us[1], bytes[0], bytes[1]);
        }
        String pipelineJson = "null";
        if (pipelineSteps > 0) {
            Pipeline pipe = pipeline(batch, queue, pipelineSteps, a.properties());
            double over = pipe.samplesPerSecond() / mlp.samplesPerSecond();
            out.printf(Locale.ROOT, "Pipeline (Kafka -> decode -> views -> trainer, MLP; steps %s): %.0f samples/s, %.2f of the trainer alone (steps %d-%d; between snapshots %.0f-%.0f samples/s)%n",
                    overlap ? "on a thread of their own, overlapping the input" : "on the task thread", pipe.samplesPerSecond(), over,
                    pipe.fromStep(), pipe.toStep(), pipe.slowestInterval(), pipe.fastestInterval());
            out.printf(Locale.ROOT, "  inside the job: a step takes %.1f ms (alone: %.1f ms), and steps take %.2f of the trainer thread's time; building a batch's views takes %.2f ms; the first lane waits %.2f ms a batch for the second (alone: %.2f)%n",
                    pipe.stepMillis(), 1000 / mlp.stepsPerSecond(), pipe.stepShare(), pipe.viewsMillis(), pipe.laneWaitMillis(), mlp.laneWaitMillis());
            Map<String, Double> cores = pipe.coresBusy();
            out.printf(Locale.ROOT, "  cores busy (of %d): trainer thread %.2f, its step thread %.2f, its helper lane %.2f, Kafka fetcher %.2f, other threads (broker, Flink, clients) %.2f, JIT %.2f, GC %.2f, rest of the VM %.2f%n",
                    Runtime.getRuntime().availableProcessors(), cores.get(CpuSampler.TRAINER), cores.get(CpuSampler.STEP), cores.get(CpuSampler.LANE),
                    cores.get(CpuSampler.FETCHER), cores.get(CpuSampler.OTHER), cores.get(CpuSampler.JIT), cores.get(CpuSampler.GC),
                    cores.get(CpuSampler.VM));
            StringBuilder coresJson = new StringBuilder("{");
            cores.forEach((g, c) -> coresJson.append(coresJson.length() > 1 ? ", " : "").append(String.format(Locale.ROOT, "\"%s\": %.3f", g, c)));
            coresJson.append("}");
            pipelineJson = String.format(Locale.ROOT,
                    "{\"encoder\": \"mlp\", \"overlap\": %s, \"samples_per_s\": %.1f, \"over_trainer\": %.3f, \"step_ms_in_job\": %.2f, \"step_ms_alone\": %.2f, \"step_share\": %.3f, \"views_ms_in_job\": %.3f, \"lane_wait_ms_in_job\": %.3f, \"cores_busy\": %s}",
                    overlap, pipe.samplesPerSecond(), over, pipe.stepMillis(), 1000 / mlp.stepsPerSecond(), pipe.stepShare(), pipe.viewsMillis(), pipe.laneWaitMillis(), coresJson);
        }
        double gemm = median(gemms);
        out.printf(Locale.ROOT, "GEMM 1024^3 float: %.1f GFLOP/s (the ceiling; median of %d measurements, %.0f-%.0f)%n",
                gemm, gemms.size(), Collections.min(gemms), Collections.max(gemms));
        out.println(String.format(Locale.ROOT,
                "{\"gemm_gflops\": %.2f, \"views_per_s_one_thread\": %.1f, \"views_per_s_two_lanes\": %.1f, \"decodes_per_s_one_thread\": %.1f, \"mlp\": %s, \"cnn\": %s, \"presets\": %s, \"replay\": %s, \"pipeline\": %s}",
                gemm, views, batchViews, decodes, json(mlp), cnnJson, presetsJson, replayJson, pipelineJson));
        return 0;
    }

    /**
     * The minimum-redundancy buffer's cost: a full buffer of random unit features, then rounds of
     * offering a batch of new samples (each compared with every slot) and refreshing the features
     * of a batch of replayed ones. Returns microseconds per sample offered and per sample replayed
     * (medians of seven rounds after two warm-up rounds), then each one's slowest and fastest round.
     */
    static double[] replayMicros(int slots, int dim, int batch) {
        var buffer = new io.kontrast.replay.ReplayBuffer(io.kontrast.replay.ReplayBuffer.Policy.MIN_REDUNDANCY, slots, 1, dim, 1);
        SplittableRandom rnd = new SplittableRandom(1);
        float[][] pixels = new float[batch][1];
        String[] ids = new String[batch];
        int[] labels = new int[batch];
        long[] times = new long[batch];
        int[] rows = new int[batch];
        for (int i = 0; i < batch; i++) rows[i] = i;
        float[] feats = new float[batch * dim];
        Runnable fresh = () -> {
            for (int i = 0; i < batch * dim; i += dim) {
                double norm = 0;
                for (int c = 0; c < dim; c++) {
                    feats[i + c] = (float) rnd.nextGaussian();
                    norm += feats[i + c] * feats[i + c];
                }
                for (int c = 0; c < dim; c++) feats[i + c] /= (float) Math.sqrt(norm);
            }
        };
        int id = 0;
        while (buffer.filled() < slots) {
            fresh.run();
            for (int i = 0; i < batch; i++) ids[i] = "s" + id++;
            buffer.offer(batch, pixels, ids, ids, labels, times, feats, rows);
        }
        List<Double> offer = new ArrayList<>();
        List<Double> replay = new ArrayList<>();
        for (int round = 0; round < 9; round++) {
            fresh.run();
            for (int i = 0; i < batch; i++) ids[i] = "s" + id++;
            long t0 = System.nanoTime();
            buffer.offer(batch, pixels, ids, ids, labels, times, feats, rows);
            long t1 = System.nanoTime();
            fresh.run();
            int[] drawn = buffer.draw(batch, round);
            long t2 = System.nanoTime();
            buffer.replayed(drawn.length, drawn, feats, rows);
            long t3 = System.nanoTime();
            if (round >= 2) {
                offer.add((t1 - t0) / 1e3 / batch);
                replay.add((t3 - t2) / 1e3 / drawn.length);
            }
        }
        return new double[] {median(offer), median(replay), Collections.max(offer), Collections.min(offer),
                Collections.max(replay), Collections.min(replay)};
    }

    /**
     * A replay slot's size: serialized with the serializer Flink's keyed state uses for it (the
     * RocksDB value), and in memory (pixels and strings on the heap, the feature off-heap; object
     * headers counted, 16 bytes each).
     */
    static long[] replaySlotBytes(int inputSize, int dim) throws java.io.IOException {
        io.kontrast.replay.ReplaySlot slot = new io.kontrast.replay.ReplaySlot();
        slot.id = "fashion-mnist/train/12345/e3";
        slot.instance = "fashion-mnist/train/12345";
        slot.label = 7;
        slot.eventTime = System.currentTimeMillis();
        slot.pixels = new float[inputSize];
        slot.sightings = 3;
        slot.feature = new float[dim];
        var serializer = org.apache.flink.api.common.typeinfo.TypeInformation.of(io.kontrast.replay.ReplaySlot.class)
                .createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl());
        var out = new org.apache.flink.core.memory.DataOutputSerializer(8192);
        serializer.serialize(slot, out);
        long memory = 16 + 4L * inputSize + 2 * (40 + slot.id.length()) + 4L * dim + 4 + 8 + 4 + 4 + 4 + 8 * 3;
        return new long[] {out.length(), memory};
    }

    private static String json(Result r) {
        return String.format(Locale.ROOT,
                "{\"samples_per_s\": %.1f, \"steps_per_s\": %.3f, \"gflops\": %.2f, \"fraction_of_gemm\": %.3f, \"lane_wait_ms\": %.3f}",
                r.samplesPerSecond(), r.stepsPerSecond(), r.gflops(), r.fractionOfGemm(), r.laneWaitMillis());
    }

    /**
     * Items per second of {@code work} (which does {@code perRound} items) on one thread, as in a
     * running job: rounds are repeated for three seconds first, so that the JIT has compiled the
     * code and the heap has grown to the allocation rate (until then, fresh heap pages fault on
     * first touch, which made decoding several times slower), then the median of seven timed rounds.
     */
    static double perSecond(Runnable work, int perRound) {
        long warm = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < warm) work.run();
        List<Double> rates = new ArrayList<>();
        for (int r = 0; r < 7; r++) {
            long t0 = System.nanoTime();
            work.run();
            rates.add(perRound / ((System.nanoTime() - t0) / 1e9));
        }
        return median(rates);
    }

    /** Two augmented views per sample, as the views operator builds them, on images and sample ids made beforehand. */
    static double viewPairsPerSecond() {
        var settings = io.kontrast.operators.TrainerSettings.from(new org.apache.flink.configuration.Configuration());
        var aug = new io.kontrast.operators.views.ViewAugmenter(settings.views());
        LabeledImages images = SyntheticShapes.generate(1000, 2, "synthetic/bench");
        float[] a = new float[784];
        float[] b = new float[784];
        String[] ids = new String[images.size()];
        float[][] imgs = new float[images.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "bench/" + i;
            imgs[i] = images.image(i);
        }
        return perSecond(() -> {
            for (int i = 0; i < ids.length; i++) {
                var rnd = aug.randomFor(ids[i]);
                aug.augment(imgs[i], 28, 28, rnd, a);
                aug.augment(imgs[i], 28, 28, rnd, b);
            }
        }, ids.length);
    }

    /**
     * View pairs as the trainer builds them when a batch is full: a batch at a time into native
     * buffers, in two lanes taking samples from a shared counter (one after the other without
     * lanes).
     */
    static double batchViewPairsPerSecond(int batch) {
        var settings = io.kontrast.operators.TrainerSettings.from(new org.apache.flink.configuration.Configuration());
        var builder = new io.kontrast.operators.views.BatchViews(settings.views(), 28, 28);
        LabeledImages images = SyntheticShapes.generate(batch, 2, "synthetic/bench");
        float[][] pixels = new float[batch][];
        String[] ids = new String[batch];
        for (int i = 0; i < batch; i++) {
            pixels[i] = images.image(i);
            ids[i] = "bench/" + i;
        }
        INDArray a = Nd4j.create(DataType.FLOAT, batch, 784);
        INDArray b = Nd4j.create(DataType.FLOAT, batch, 784);
        java.nio.FloatBuffer aData = a.data().asNioFloat();
        java.nio.FloatBuffer bData = b.data().asNioFloat();
        io.kontrast.math.Lanes lanes = io.kontrast.math.Lanes.forMachine("kontrast-bench-lane");
        try {
            return perSecond(() -> {
                for (int r = 0; r < 4; r++) {
                    builder.build(pixels, ids, null, batch, aData, bData,
                            (helper, caller) -> io.kontrast.math.Lanes.run(lanes, helper, caller));
                }
            }, 4 * batch);
        } finally {
            if (lanes != null) lanes.close();
            // The buffers write into a's and b's memory: keep them alive until here.
            java.lang.ref.Reference.reachabilityFence(a);
            java.lang.ref.Reference.reachabilityFence(b);
        }
    }

    /** Avro records (UINT8 28×28 samples) decoded and validated into images. */
    static double decodesPerSecond() {
        LabeledImages images = SyntheticShapes.generate(1000, 3, "synthetic/bench-decode");
        byte[][] records = new byte[images.size()][];
        for (int i = 0; i < records.length; i++) {
            records[i] = Samples.encode(Samples.sample(images, i, "bench/" + i, false));
        }
        var decoder = new io.kontrast.operators.decode.SampleDecoder(28, 28, 1 << 20);
        return perSecond(() -> {
            for (byte[] r : records) {
                if (!decoder.decode(r).ok()) throw new IllegalStateException("a bench record failed to decode");
            }
        }, records.length);
    }

    /** Square float GEMMs on matrices allocated once, so that each measurement times only the GEMMs. */
    static final class Gemm {
        private static final int N = 1024;
        private final INDArray x = Nd4j.rand(DataType.FLOAT, N, N);
        private final INDArray y = Nd4j.rand(DataType.FLOAT, N, N);
        private final INDArray z = Nd4j.create(DataType.FLOAT, N, N);

        double gflops(int warmup, int reps) {
            // The route the step's GEMMs take (oneDNN's sgemm directly on the CPU backend).
            for (int i = 0; i < warmup; i++) Sgemm.gemm(x, y, z, false, false, 1.0, 0.0);
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) Sgemm.gemm(x, y, z, false, false, 1.0, 0.0);
            double secs = (System.nanoTime() - t0) / 1e9;
            return reps * 2.0 * N * N * N / secs / 1e9;
        }
    }

    /** FLOPs of one MoCo step: query forward, key forward, query backward, and the InfoNCE GEMMs. */
    static double stepFlops(Network net, int batch, int queue) {
        double forward = batch * net.forwardFlops();
        double firstInputGrad = batch * net.firstLayerFlops();
        double backward = 2 * forward - firstInputGrad; // dW for every layer, dX for all but the first
        double infoNce = 2 * 2.0 * batch * queue * net.outputDim(); // logits and dLoss/dq
        return 2 * forward + backward + infoNce;
    }

    /**
     * Times {@code steps} trainer steps in rounds of {@code perRound}, each round right after a GEMM
     * measurement (added to {@code gemms}): on a shared machine the speed of both drifts, and a
     * round compares the step with the ceiling of the same moment. Rates and the fraction are
     * medians over the rounds.
     */
    static Result trainerStep(Network net, boolean lanes, int batch, int queue, int warmup, int steps, int perRound, Gemm gemmProbe, List<Double> gemms) {
        MocoLearner learner = new MocoLearner(net, HyperParams.mocoV2(batch, queue), 1, lanes);
        SplittableRandom rnd = new SplittableRandom(3);
        float[] v = new float[batch * net.inputDim()];
        // A token encoder takes ids of its embedding's vocabulary; any other, values.
        LayerNet.Param first = net instanceof LayerNet ln ? ln.params().get(0) : null;
        int vocab = first != null && first.kind().equals("embedding") ? (int) first.shape()[0] : 0;
        boolean graph = first != null && first.kind().equals("graph_conv");
        if (graph) {
            // Packed graphs: real neighbourhoods, whose adjacency and node mask are 0 or 1.
            LabeledImages graphs = io.kontrast.data.SbmGraphs.load("train").head(batch);
            for (int i = 0; i < batch; i++) System.arraycopy(graphs.image(i), 0, v, i * net.inputDim(), net.inputDim());
        } else {
            for (int i = 0; i < v.length; i++) v[i] = vocab > 0 ? rnd.nextInt(vocab) : (float) rnd.nextGaussian();
        }
        INDArray a = Nd4j.createFromArray(v).reshape(batch, net.inputDim());
        INDArray b = vocab > 0 || graph ? a.dup() : a.add(0.1);
        // Warm-up: the JIT compiles the step's loops (the optimizer's vector pass among them) in
        // the first seconds; a long-running job runs compiled code.
        long warmUntil = System.nanoTime() + 3_000_000_000L;
        for (int i = 0; i < warmup || System.nanoTime() < warmUntil; i++) learner.step(a, b);
        double flops = stepFlops(net, batch, queue);
        List<Double> rates = new ArrayList<>();
        List<Double> fractions = new ArrayList<>();
        long waitedBefore = learner.laneWaitNanos();
        for (int done = 0; done < steps; ) {
            double gemm = gemmProbe.gflops(1, 3);
            gemms.add(gemm);
            int n = Math.min(perRound, steps - done);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) learner.step(a, b);
            double sps = n / ((System.nanoTime() - t0) / 1e9);
            rates.add(sps);
            fractions.add(sps * flops / 1e9 / gemm);
            done += n;
        }
        double laneWait = (learner.laneWaitNanos() - waitedBefore) / 1e6 / steps;
        learner.close();
        double sps = median(rates);
        return new Result(sps, sps * batch, sps * flops / 1e9, median(fractions), Collections.min(rates), Collections.max(rates), laneWait);
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /**
     * A train run on an embedded broker: samples/s from the first snapshot after the warm-up (a
     * third of the steps) to the last, the slowest and fastest interval between snapshots, and
     * over the same snapshots, the trainer's mean step time, the share of its thread's time in
     * steps and the time it takes to build a batch's views (the snapshots' {@code step_ms}, {@code
     * step_share}, {@code views_ms}, {@code lane_wait_ms}), and the cores each group of threads kept busy from the
     * first of those snapshots to the last ({@link CpuSampler}).
     */
    record Pipeline(double samplesPerSecond, double stepMillis, double stepShare, double viewsMillis, double laneWaitMillis, long fromStep, long toStep, double slowestInterval, double fastestInterval,
            Map<String, Double> coresBusy) {}

    /** The pipeline's {@code train} command line: the bench's own settings, then its {@code -D} options. */
    static List<String> trainArgs(String bootstrap, Path checkpoints, int batch, int queue, int snapshotEvery, long samples, List<String> properties) {
        List<String> train = new ArrayList<>(List.of("train", "--bootstrap", bootstrap, "--fresh",
                "--checkpoint-dir", checkpoints.toString(), "--batch-size", Integer.toString(batch),
                "--queue-size", Integer.toString(queue), "--snapshot-every", Integer.toString(snapshotEvery),
                "--max-samples", Long.toString(samples)));
        for (String kv : properties) {
            train.add("-D");
            train.add(kv);
        }
        return train;
    }

    static Pipeline pipeline(int batch, int queue, int steps, List<String> properties) throws Exception {
        Path dir = Files.createTempDirectory("kontrast-bench");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0, dir.resolve("kafka"))) {
            String bootstrap = kafka.bootstrapServers();
            EmbeddedKafka.createTopics(bootstrap, EmbeddedKafka.kontrastTopics("samples", "samples.dlq", "encoder-snapshots"));
            LabeledImages images = SyntheticShapes.generate(5000, 1, "synthetic/train");
            long total = (long) steps * batch;
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.LINGER_MS_CONFIG, 20,
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
                for (long n = 0; n < total; n++) {
                    int i = (int) (n % images.size());
                    String id = "b/" + i + "/e" + n / images.size();
                    p.send(new ProducerRecord<>("samples", Samples.encode(Samples.sample(images, i, id, false))));
                }
            }
            // The job's default snapshot interval (100 steps), with at least three snapshots.
            int every = Math.max(1, Math.min(100, steps / 3));
            List<String> train = trainArgs(bootstrap, dir.resolve("ckpt"), batch, queue, every, total, properties);
            try (CpuSampler cpu = new CpuSampler(200)) {
                int exit = KontrastCli.run(train.toArray(String[]::new), new PrintStream(new ByteArrayOutputStream()), System.err);
                if (exit != 0) throw new IllegalStateException("pipeline run failed: exit " + exit);
                return timed(bootstrap, steps, cpu);
            }
        } finally {
            DemoCommand.deleteTree(dir);
        }
    }

    /** The pipeline's figures from its snapshots, and where the CPU went meanwhile. */
    private static Pipeline timed(String bootstrap, int steps, CpuSampler cpu) throws Exception {
        List<EncoderSnapshot> all = SnapshotTopicReader.readAll(bootstrap, "encoder-snapshots", Duration.ofSeconds(30));
        // The first third of the run warms up: the JIT compiles the job's record path (the
        // source, decoding, views) in its first seconds, as the trainer alone gets 3 s of
        // warm-up before it is timed. A long-running job runs compiled code.
        int from = 0;
        while (from < all.size() - 2 && all.get(from).getStep() < steps / 3) from++;
        List<EncoderSnapshot> s = all.subList(from, all.size());
        List<Double> intervals = new ArrayList<>();
        for (int i = 1; i < s.size(); i++) {
            double dt = (s.get(i).getCreatedAt().toEpochMilli() - s.get(i - 1).getCreatedAt().toEpochMilli()) / 1000.0;
            intervals.add((s.get(i).getSamplesSeen() - s.get(i - 1).getSamplesSeen()) / dt);
        }
        EncoderSnapshot first = s.get(0);
        EncoderSnapshot last = s.get(s.size() - 1);
        double secs = (last.getCreatedAt().toEpochMilli() - first.getCreatedAt().toEpochMilli()) / 1000.0;
        double stepMillis = s.subList(1, s.size()).stream().mapToDouble(x -> x.getMetrics().get("step_ms")).average().orElse(Double.NaN);
        double stepShare = s.subList(1, s.size()).stream().mapToDouble(x -> x.getMetrics().get("step_share")).average().orElse(Double.NaN);
        double viewsMillis = s.subList(1, s.size()).stream().mapToDouble(x -> x.getMetrics().get("views_ms")).average().orElse(Double.NaN);
        double laneWaitMillis = s.subList(1, s.size()).stream().mapToDouble(x -> x.getMetrics().get("lane_wait_ms")).average().orElse(Double.NaN);
        return new Pipeline((last.getSamplesSeen() - first.getSamplesSeen()) / secs, stepMillis, stepShare, viewsMillis, laneWaitMillis,
                first.getStep(), last.getStep(), Collections.min(intervals), Collections.max(intervals),
                cpu.coresBusy(first.getCreatedAt().toEpochMilli(), last.getCreatedAt().toEpochMilli()));
    }
}
