package io.kontrast.math.objective;

import static io.kontrast.math.nn.LayerSpec.batchNorm;
import static io.kontrast.math.nn.LayerSpec.conv1d;
import static io.kontrast.math.nn.LayerSpec.conv2d;
import static io.kontrast.math.nn.LayerSpec.flatten;
import static io.kontrast.math.nn.LayerSpec.linear;
import static io.kontrast.math.nn.LayerSpec.maxPool2d;
import static io.kontrast.math.nn.LayerSpec.relu;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kontrast.math.HyperParams;
import io.kontrast.math.Network;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.math.nn.EncoderSpec;
import io.kontrast.math.nn.LayerNet;
import io.kontrast.math.nn.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every objective's gradient against central finite differences, in double precision: dLoss/dz
 * of the objective alone (and of its predictor's parameters), and dLoss/dθ of a whole learner,
 * through a convolutional encoder with split batch norm, the shuffled order of the 2N rows and the
 * objective.
 */
class ObjectiveGradientTest {
    static final int PAIRS = 4;
    static final double EPS = 1e-6;

    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    static LayerNet smallEncoder() {
        return new LayerNet("test", new EncoderSpec(Shape.vector(6), List.of(linear(5), batchNorm()), List.of(relu(), linear(4))),
                1, DataType.DOUBLE);
    }

    static Objective objective(String name, Network online, int pairs) {
        return switch (name) {
            case "dim" -> {
                var map = ((LayerNet) online).featureMapShape();
                yield new DeepInfoMax(pairs, map.channels(), map.height() * map.width(), online.outputDim(), 0.5,
                        DataType.DOUBLE, 3);
            }
            case "cpc" -> {
                var map = ((LayerNet) online).featureMapShape();
                yield new Cpc(pairs, map.steps(), map.channels(), 3, 2, 2, DataType.DOUBLE, 3);
            }
            case "simclr" -> new SimClr(pairs, online.outputDim(), 0.5);
            case "simsiam" -> new Siamese(false, true, online, pairs, 5, DataType.DOUBLE, 3);
            case "simsiam-no-stop-gradient" -> new Siamese(false, false, online, pairs, 5, DataType.DOUBLE, 3);
            case "byol" -> new Siamese(true, true, online, pairs, 5, DataType.DOUBLE, 3);
            case "instdisc" -> new InstDisc(pairs, online.outputDim(), 6, 16, 0.5, 0.5, DataType.DOUBLE, 3);
            case "context" -> new ContextPrediction(pairs, online.outputDim(), 5, DataType.DOUBLE, 3);
            case "sop" -> ContextPrediction.sentenceOrder(pairs, online.outputDim(), 5, DataType.DOUBLE, 3);
            case "sop-other" -> ContextPrediction.sentenceOrder(pairs, online.outputDim(), 5, DataType.DOUBLE, 3, true);
            case "sop-contrast" -> ContextPrediction.sentenceOrder(pairs, online.outputDim(), 5, DataType.DOUBLE, 3, true, 0.7, 0.5);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A batch of given outputs and a given feature map, its gradient written into {@code dMap}. */
    static Objective.Batch mapBatch(INDArray z, INDArray map, INDArray dMap) {
        return mapBatch(z, map, dMap, null);
    }

    /** The same, with the views' inputs. */
    static Objective.Batch mapBatch(INDArray z, INDArray map, INDArray dMap, INDArray inputs) {
        return new Objective.Batch() {
            public INDArray inputs() {
                return inputs;
            }

            public int pairs() {
                return PAIRS;
            }

            public INDArray z() {
                return z;
            }

            public INDArray featureMap() {
                return map;
            }

            public INDArray featureMapGradient() {
                return dMap;
            }

            public void encode(Network net, INDArray params, Network.Workspace ws, INDArray out) {
                throw new UnsupportedOperationException();
            }
        };
    }

    /** A batch of given outputs; its views go through other networks in pair order. */
    record FixedBatch(int pairs, INDArray z, INDArray x, String[] instances, int[] targets) implements Objective.Batch {
        FixedBatch(int pairs, INDArray z, INDArray x) {
            this(pairs, z, x, null, null);
        }

        FixedBatch(int pairs, INDArray z, INDArray x, String[] instances) {
            this(pairs, z, x, instances, null);
        }

        @Override
        public void encode(Network net, INDArray params, Network.Workspace ws, INDArray out) {
            out.assign(net.forward(params, null, x, ws, true));
        }
    }

    /**
     * SimSiam's gradient leaves out, by design, the path through its target (the stop-gradient),
     * so finite differences of its loss do not give it. It is the gradient against a constant
     * target: half BYOL's (whose target is another network's output, checked against finite
     * differences below) when BYOL's target output equals z.
     */
    @org.junit.jupiter.api.Test
    void simSiamsGradientIsTheGradientAgainstAConstantTarget() {
        SplittableRandom rnd = new SplittableRandom(13);
        LayerNet online = smallEncoder();
        INDArray z = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        INDArray frozen = z.dup();
        Objective.Batch batch = new Objective.Batch() {
            public int pairs() {
                return PAIRS;
            }

            public INDArray z() {
                return z;
            }

            public void encode(Network net, INDArray params, Network.Workspace ws, INDArray out) {
                out.assign(frozen);
            }
        };
        INDArray simsiam = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4);
        INDArray byol = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4);
        double lossS = objective("simsiam", online, PAIRS).lossAndGradient(batch, simsiam);
        double lossB = objective("byol", online, PAIRS).lossAndGradient(batch, byol);
        assertThat(lossB).isCloseTo(2 + 2 * lossS, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(simsiam.sub(byol.mul(0.5)).amaxNumber().doubleValue()).isLessThan(1e-12);
        assertThat(simsiam.amaxNumber().doubleValue()).isGreaterThan(1e-3);
    }

    /** Ten instances in the bank, the batch's four among them: every positive is a bank entry. */
    static String[] knownInstances(MemoryBank bank, SplittableRandom rnd) {
        double[] v = new double[bank.dim()];
        for (int i = 0; i < 10; i++) {
            double sq = 0;
            for (int c = 0; c < v.length; c++) {
                v[c] = rnd.nextDouble() * 2 - 1;
                sq += v[c] * v[c];
            }
            for (int c = 0; c < v.length; c++) v[c] /= Math.sqrt(sq);
            bank.put("i" + i, v, 0);
        }
        return new String[] {"i7", "i2", "i9", "i4"};
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"simclr", "simsiam-no-stop-gradient", "byol", "instdisc", "context", "sop", "sop-other", "sop-contrast"})
    void theObjectivesGradientMatchesFiniteDifferences(String name) {
        SplittableRandom rnd = new SplittableRandom(11);
        LayerNet online = smallEncoder();
        Objective objective = objective(name, online, PAIRS);
        INDArray onlineParams = online.newParams();
        online.init(onlineParams, online.newStats(), 5);
        objective.init(onlineParams.add(random(rnd, onlineParams.length()).muli(0.3)));
        INDArray z = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        INDArray x = random(rnd, 2 * PAIRS * 6L).reshape(2 * PAIRS, 6);
        String[] instances = objective instanceof InstDisc d ? knownInstances(d.bank(), rnd) : null;
        // Context prediction: positions of the pairs, one of them without (a pair built by an earlier version).
        int[] targets = !objective.needsTargets() ? null : name.equals("sop") ? new int[] {1, 0, -1, 1}
                : name.startsWith("sop-") ? new int[] {2, 0, -1, 1} : new int[] {5, 0, -1, 7};
        FixedBatch batch = new FixedBatch(PAIRS, z, x, instances, targets);
        INDArray dz = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4);
        double loss = objective.lossAndGradient(batch, dz);
        assertThat(loss).isFinite();
        INDArray analytic = dz.dup();
        DoubleSupplier lossOf = () -> objective.lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4));
        List<String> wrong = compare(z.reshape(-1), analytic.reshape(-1), lossOf, 1, "z");
        if (objective instanceof Siamese s) {
            objective.lossAndGradient(batch, dz);
            INDArray predictorGrads = s.predictorGradients().dup();
            wrong.addAll(compare(objective.state().get("predictorParams"), predictorGrads, lossOf, 1, "predictor"));
        }
        if (objective instanceof ContextPrediction c) {
            objective.lossAndGradient(batch, dz);
            INDArray headGrads = c.headGradients().dup();
            assertThat(headGrads.amaxNumber().doubleValue()).isPositive();
            wrong.addAll(compare(objective.state().get("headParams"), headGrads, lossOf, 1, "head"));
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * BYOL's target momentum follows the learning-rate schedule's cosine: the key momentum at each
     * cycle's start, halfway to 1 at its middle, near 1 at its end, the key momentum again after the
     * restart; warm-up does not change it. Constant, it is the key momentum throughout.
     */
    @org.junit.jupiter.api.Test
    void byolsTargetMomentumRisesTowardsOneOverEachCosineCycle() {
        LayerNet online = smallEncoder();
        Siamese cosine = new Siamese(true, true, true, online, PAIRS, 5, DataType.DOUBLE, 3);
        Siamese constant = new Siamese(true, true, false, online, PAIRS, 5, DataType.DOUBLE, 3);
        HyperParams hp = new HyperParams(PAIRS, 8, 0.5, 0.99, 0.1, 0.9, 0, 50, false, 100);
        org.assertj.core.data.Offset<Double> close = org.assertj.core.data.Offset.offset(1e-12);
        assertThat(cosine.targetMomentum(hp, 0)).isCloseTo(0.99, close);
        assertThat(cosine.targetMomentum(hp, 50)).isCloseTo(0.995, close);
        assertThat(cosine.targetMomentum(hp, 99)).isGreaterThan(0.9999).isLessThan(1);
        assertThat(cosine.targetMomentum(hp, 100)).isCloseTo(0.99, close);
        assertThat(cosine.targetMomentum(hp, 200)).isCloseTo(0.995, close);
        for (long step : new long[] {0, 50, 99, 100, 200}) assertThat(constant.targetMomentum(hp, step)).isEqualTo(0.99);
        HyperParams flat = new HyperParams(PAIRS, 8, 0.5, 0.99, 0.1, 0.9, 0, 50, false, 0);
        assertThat(cosine.targetMomentum(flat, 1234)).isCloseTo(0.99, close);
    }

    /**
     * Sentence order's content term is NT-Xent in which only pairs of one sample's segments (classes
     * 0 and 1) score their partner, against all the batch's other rows; a pair of two samples'
     * segments (2) and one without a class (-1) are negatives only. The term adds its weight times
     * that to the order head's loss.
     */
    @org.junit.jupiter.api.Test
    void sentenceOrdersContentTermIsNtXentOverEachSamplesOwnSegments() {
        SplittableRandom rnd = new SplittableRandom(19);
        INDArray z = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        int[] targets = {2, 0, -1, 1};
        FixedBatch batch = new FixedBatch(PAIRS, z, null, null, targets);
        ContextPrediction alone = ContextPrediction.sentenceOrder(PAIRS, 4, 5, DataType.DOUBLE, 3, true);
        ContextPrediction both = ContextPrediction.sentenceOrder(PAIRS, 4, 5, DataType.DOUBLE, 3, true, 0.7, 0.5);
        double headLoss = alone.lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4));
        double loss = both.lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4));
        double[] u = unit(z);
        int rows = 2 * PAIRS;
        double expected = 0;
        int anchors = 0;
        for (int i = 0; i < rows; i++) {
            int pair = i % PAIRS;
            if (targets[pair] != 0 && targets[pair] != 1) continue;
            int partner = (i + PAIRS) % rows;
            double sum = 0;
            for (int j = 0; j < rows; j++) {
                if (j != i) sum += Math.exp(dot(u, i, j) / 0.5);
            }
            expected += Math.log(sum) - dot(u, i, partner) / 0.5;
            anchors++;
        }
        expected /= anchors;
        assertThat(anchors).isEqualTo(4);
        assertThat(both.contrastLoss()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(loss).isCloseTo(headLoss + 0.7 * expected, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(alone.contrastLoss()).isNaN();
        assertThatThrownBy(() -> ContextPrediction.sentenceOrder(PAIRS, 4, 5, DataType.DOUBLE, 3, false, -1, 0.5))
                .hasMessageContaining("contrast weight");
    }

    private static double dot(double[] u, int i, int j) {
        double s = 0;
        for (int c = 0; c < 4; c++) s += u[i * 4 + c] * u[j * 4 + c];
        return s;
    }

    /**
     * SimSiam's predictor steps at the constant learning rate whatever the encoder's schedule
     * gives (a scheduled rate of 0 still moves it); BYOL's follows the schedule (0 leaves it).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"simsiam", "byol"})
    void simSiamsPredictorKeepsItsRateAndByolsFollowsTheSchedule(String name) {
        SplittableRandom rnd = new SplittableRandom(13);
        LayerNet online = smallEncoder();
        Objective objective = objective(name, online, PAIRS);
        INDArray onlineParams = online.newParams();
        online.init(onlineParams, online.newStats(), 5);
        objective.init(onlineParams);
        INDArray z = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        INDArray x = random(rnd, 2 * PAIRS * 6L).reshape(2 * PAIRS, 6);
        FixedBatch batch = new FixedBatch(PAIRS, z, x, null, null);
        objective.lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4));
        INDArray before = objective.state().get("predictorParams").dup();
        objective.update(0.0, new HyperParams(PAIRS, 8, 0.5, 0.9, 0.1, 0.9, 0, 0), onlineParams);
        double moved = objective.state().get("predictorParams").sub(before).amaxNumber().doubleValue();
        if (name.equals("simsiam")) {
            assertThat(moved).isPositive();
        } else {
            assertThat(moved).isZero();
        }
    }

    /**
     * Deep InfoMax's gradient with respect to the global features (the outputs), the feature map
     * and its own local map, against finite differences of its loss (4 locations of 3 channels),
     * each location scoring its own view's global feature or (AMDIM) its partner view's.
     */
    @ParameterizedTest(name = "across views {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void deepInfoMaxsGradientMatchesFiniteDifferences(boolean acrossViews) {
        SplittableRandom rnd = new SplittableRandom(17);
        int channels = 3;
        int locations = 4;
        DeepInfoMax dim = new DeepInfoMax(PAIRS, channels, locations, 4, 0.5, acrossViews, DataType.DOUBLE, 3);
        INDArray z = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        INDArray map = random(rnd, 2L * PAIRS * locations * channels).reshape(2 * PAIRS, locations * channels);
        INDArray dMap = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, locations * channels);
        Objective.Batch batch = mapBatch(z, map, dMap);
        INDArray dz = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4);
        assertThat(dim.lossAndGradient(batch, dz)).isFinite();
        INDArray analyticZ = dz.dup();
        INDArray analyticMap = dMap.dup();
        INDArray analyticLocal = dim.localGradients().dup();
        assertThat(analyticMap.amaxNumber().doubleValue()).isPositive();
        DoubleSupplier lossOf = () -> dim.lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4));
        List<String> wrong = compare(z.reshape(-1), analyticZ.reshape(-1), lossOf, 1, "z");
        wrong.addAll(compare(map.reshape(-1), analyticMap.reshape(-1), lossOf, 1, "feature map"));
        wrong.addAll(compare(dim.state().get("localParams"), analyticLocal, lossOf, 1, "local map"));
        assertThat(wrong).isEmpty();
    }

    /**
     * CPC's gradient with respect to the feature map (through both the predicted latents and the
     * context model's input) and to its own parameters (the GRU and the k-step predictions),
     * against finite differences of its loss; the encoder's output takes none.
     */
    @org.junit.jupiter.api.Test
    void cpcsGradientMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(19);
        int steps = 4;
        int channels = 3;
        Cpc cpc = new Cpc(PAIRS, steps, channels, 3, 1, 2, DataType.DOUBLE, 5);
        INDArray z = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        INDArray map = random(rnd, 2L * PAIRS * steps * channels).reshape(2 * PAIRS, steps * channels);
        INDArray dMap = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, steps * channels);
        Objective.Batch batch = mapBatch(z, map, dMap);
        INDArray dz = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4).assign(Double.NaN);
        assertThat(cpc.lossAndGradient(batch, dz)).isFinite();
        assertThat(dz.amaxNumber().doubleValue()).as("the output takes no gradient").isZero();
        INDArray analyticMap = dMap.dup();
        INDArray analyticOwn = cpc.gradients().dup();
        assertThat(analyticMap.amaxNumber().doubleValue()).isPositive();
        DoubleSupplier lossOf = () -> cpc.lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4));
        List<String> wrong = compare(map.reshape(-1), analyticMap.reshape(-1), lossOf, 1, "feature map");
        wrong.addAll(compare(cpc.parameters(), analyticOwn, lossOf, 1, "context model and predictions"));
        assertThat(wrong).isEmpty();
    }

    /**
     * DGI's gradient with respect to the feature map (the real nodes through their scores and the
     * summary, the corrupted ones through theirs) and to its bilinear discriminator, against finite
     * differences of its loss; absent nodes and the encoder's output take none.
     */
    @org.junit.jupiter.api.Test
    void dgisGradientMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(23);
        int nodes = 4;
        int channels = 4;
        int features = 2;
        Dgi dgi = new Dgi(PAIRS, nodes, channels, features, DataType.DOUBLE, 5);
        INDArray z = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        INDArray inputs = io.kontrast.math.nn.RandomGraphs.packed(rnd, PAIRS, nodes, features);
        INDArray pairInputs = Nd4j.concat(0, inputs, inputs);
        INDArray map = random(rnd, 2L * PAIRS * nodes * channels).reshape(2 * PAIRS, nodes * channels);
        INDArray dMap = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, nodes * channels);
        Objective.Batch batch = mapBatch(z, map, dMap, pairInputs);
        INDArray dz = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4).assign(Double.NaN);
        assertThat(dgi.lossAndGradient(batch, dz)).isFinite();
        assertThat(dz.amaxNumber().doubleValue()).as("the output takes no gradient").isZero();
        INDArray analyticMap = dMap.dup();
        INDArray analyticOwn = dgi.discriminatorGradients().dup();
        assertThat(analyticMap.amaxNumber().doubleValue()).isPositive();
        // Absent nodes take no gradient.
        for (int g = 0; g < 2 * PAIRS; g++) {
            for (int i = 0; i < nodes; i++) {
                if (pairInputs.getDouble(g, (long) i * (features + nodes + 1) + features + nodes) == 0) {
                    for (int k = 0; k < channels; k++) assertThat(analyticMap.getDouble(g, (long) i * channels + k)).isZero();
                }
            }
        }
        DoubleSupplier lossOf = () -> dgi.lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4));
        List<String> wrong = compare(map.reshape(-1), analyticMap.reshape(-1), lossOf, 1, "feature map");
        wrong.addAll(compare(dgi.state().get("discriminator"), analyticOwn, lossOf, 1, "discriminator"));
        assertThat(wrong).isEmpty();
    }

    /** DGI through a whole learner: two graph convolutions, the second's nodes its feature map. */
    @org.junit.jupiter.api.Test
    void aWholeDgiLearnersGradientMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(29);
        int nodes = 4;
        int features = 2;
        LayerNet net = new LayerNet("test", new EncoderSpec(Shape.sequence(nodes, features + nodes + 1),
                List.of(io.kontrast.math.nn.LayerSpec.graphConv(3), relu(), io.kontrast.math.nn.LayerSpec.graphConv(3),
                        io.kontrast.math.nn.LayerSpec.graphCentre(), batchNorm()),
                List.of(relu(), linear(4))), 1, DataType.DOUBLE);
        assertThat(net.featureMapShape()).isEqualTo(Shape.sequence(nodes, 3));
        HyperParams hp = new HyperParams(PAIRS, 8, 0.5, 0.9, 0.1, 0.9, 0, 0);
        ObjectiveLearner learner = new ObjectiveLearner(net, hp, new Dgi(PAIRS, nodes, 3, features, DataType.DOUBLE, 3), 21,
                DataType.DOUBLE);
        INDArray a = io.kontrast.math.nn.RandomGraphs.packed(rnd, PAIRS, nodes, features);
        // The corruption: the same graphs, each node's features from another node.
        INDArray b = a.dup();
        int c = features + nodes + 1;
        for (int g = 0; g < PAIRS; g++) {
            for (int f = 0; f < features; f++) {
                double t = b.getDouble(g, f);
                b.putScalar(g, f, b.getDouble(g, c + f));
                b.putScalar(g, c + f, t);
            }
        }
        assertThat(learner.lossAndGradient(a, b)).isFinite();
        INDArray analytic = learner.gradients().dup();
        List<String> wrong = compare(learner.params(), analytic, () -> learner.lossAndGradient(a, b), 2, "θ");
        assertThat(wrong).isEmpty();
    }

    /**
     * CLIP's symmetric InfoNCE, alone and with the in-part term: its gradient with respect to both
     * towers' outputs and to its learned log-scale, against finite differences of its loss.
     */
    @ParameterizedTest(name = "in-part weight {0}")
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0, 0.7})
    void clipsGradientMatchesFiniteDifferences(double inPartWeight) {
        SplittableRandom rnd = new SplittableRandom(23);
        Clip clip = new Clip(PAIRS, 3, 0.5, Clip.MAX_SCALE, inPartWeight, DataType.DOUBLE);
        INDArray z = random(rnd, 2 * PAIRS * 6L).reshape(2 * PAIRS, 6);
        INDArray dz = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 6);
        Objective.Batch batch = new FixedBatch(PAIRS, z, null);
        assertThat(clip.lossAndGradient(batch, dz)).isFinite();
        INDArray analytic = dz.dup();
        double analyticScale = clip.logScaleGradient();
        DoubleSupplier lossOf = () -> clip.lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 6));
        List<String> wrong = compare(z.reshape(-1), analytic.reshape(-1), lossOf, 1, "z");
        double t = clip.logScale().getDouble(0);
        clip.logScale().putScalar(0, t + EPS);
        double up = lossOf.getAsDouble();
        clip.logScale().putScalar(0, t - EPS);
        double down = lossOf.getAsDouble();
        clip.logScale().putScalar(0, t);
        assertThat(analyticScale).isCloseTo((up - down) / (2 * EPS), org.assertj.core.data.Offset.offset(1e-7));
        assertThat(wrong).isEmpty();
    }

    /** The in-part term adds λ times the mean of the towers' NT-Xent losses, as written out here. */
    @org.junit.jupiter.api.Test
    void clipsInPartTermIsEachTowersNtXent() {
        SplittableRandom rnd = new SplittableRandom(29);
        int dim = 3;
        int rows = 2 * PAIRS;
        INDArray z = random(rnd, rows * 2L * dim).reshape(rows, 2 * dim);
        Objective.Batch batch = new FixedBatch(PAIRS, z, null);
        double alone = new Clip(PAIRS, dim, 0.5, Clip.MAX_SCALE, 0, DataType.DOUBLE)
                .lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, rows, 2 * dim));
        double with = new Clip(PAIRS, dim, 0.5, Clip.MAX_SCALE, 0.7, DataType.DOUBLE)
                .lossAndGradient(batch, Nd4j.create(DataType.DOUBLE, rows, 2 * dim));
        double expected = 0;
        for (int tower = 0; tower < 2; tower++) {
            double[][] x = new double[rows][];
            for (int r = 0; r < rows; r++) {
                x[r] = z.getRow(r).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(tower * dim, (tower + 1) * dim)).toDoubleVector();
                double norm = Math.sqrt(x[r][0] * x[r][0] + x[r][1] * x[r][1] + x[r][2] * x[r][2]);
                for (int k = 0; k < dim; k++) x[r][k] /= norm;
            }
            double sum = 0;
            for (int i = 0; i < rows; i++) {
                int partner = (i + PAIRS) % rows;
                double denominator = 0;
                for (int j = 0; j < rows; j++) {
                    if (j != i) denominator += Math.exp(dot(x[i], x[j]) / 0.5);
                }
                sum += -Math.log(Math.exp(dot(x[i], x[partner]) / 0.5) / denominator);
            }
            expected += sum / rows / 2;
        }
        assertThat(with - alone).isCloseTo(0.7 * expected, org.assertj.core.data.Offset.offset(1e-9));
        assertThatThrownBy(() -> new Clip(PAIRS, dim, 0.5, Clip.MAX_SCALE, -1, DataType.DOUBLE)).hasMessageContaining("at least 0");
    }

    private static double dot(double[] u, double[] v) {
        double d = 0;
        for (int k = 0; k < u.length; k++) d += u[k] * v[k];
        return d;
    }

    /**
     * CLIP's learned scale starts at the inverse temperature within [1, maxScale], rises to its
     * bound and no further when every pair is already aligned, and a scale restored from beyond the
     * bound (a checkpoint of a wider one) is used at the bound.
     */
    @org.junit.jupiter.api.Test
    void clipsScaleStaysWithinItsBounds() {
        SplittableRandom rnd = new SplittableRandom(31);
        assertThat(new Clip(PAIRS, 3, 0.01, 10, DataType.DOUBLE).logScale().getDouble(0))
                .isCloseTo(Math.log(10), org.assertj.core.data.Offset.offset(1e-12));
        Clip clip = new Clip(PAIRS, 3, 0.5, 10, DataType.DOUBLE);
        assertThat(clip.logScale().getDouble(0)).isCloseTo(Math.log(2), org.assertj.core.data.Offset.offset(1e-12));
        // Each row's two towers' outputs equal: positives at cosine 1, so a sharper softmax always lowers the loss.
        INDArray half = random(rnd, 2 * PAIRS * 3L).reshape(2 * PAIRS, 3);
        INDArray z = Nd4j.hstack(half, half);
        INDArray dz = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 6);
        HyperParams hp = new HyperParams(PAIRS, 8, 0.5, 0.9, 0.1, 0.9, 0, 0);
        Objective.Batch batch = new FixedBatch(PAIRS, z, null);
        for (int step = 0; step < 20; step++) {
            clip.lossAndGradient(batch, dz);
            assertThat(clip.logScaleGradient()).isNegative();
            clip.update(1000, hp, null);
            assertThat(clip.logScale().getDouble(0)).isBetween(0.0, Math.log(10) + 1e-12);
        }
        assertThat(clip.logScale().getDouble(0)).isCloseTo(Math.log(10), org.assertj.core.data.Offset.offset(1e-12));
        clip.logScale().putScalar(0, Math.log(100));
        assertThat(clip.temperature()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
        assertThatThrownBy(() -> new Clip(PAIRS, 3, 0.2, 0.5, DataType.DOUBLE)).hasMessageContaining("at least 1");
    }

    /** CLIP through a whole learner: two towers of their own (a convolution and an MLP), split batch norm. */
    @org.junit.jupiter.api.Test
    void aWholeClipLearnersGradientMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(14);
        io.kontrast.math.nn.Towers towers = new io.kontrast.math.nn.Towers(List.of("left", "right"), List.of(
                new LayerNet("test", new EncoderSpec(new Shape(1, 4, 4),
                        List.of(conv2d(2, 3, 1, 1), batchNorm(), relu(), flatten(), linear(4)), List.of(relu(), linear(3))),
                        2, DataType.DOUBLE),
                new LayerNet("test", new EncoderSpec(Shape.vector(5), List.of(linear(4), batchNorm()), List.of(relu(), linear(3))),
                        2, DataType.DOUBLE)));
        assertThat(towers.inputDim()).isEqualTo(21);
        assertThat(towers.outputDim()).isEqualTo(6);
        HyperParams hp = new HyperParams(PAIRS, 8, 0.5, 0.9, 0.1, 0.9, 0, 0);
        ObjectiveLearner learner = new ObjectiveLearner(towers, hp, new Clip(PAIRS, 3, 0.5, DataType.DOUBLE), 21, DataType.DOUBLE);
        INDArray a = random(rnd, PAIRS * 21L).reshape(PAIRS, 21);
        INDArray b = random(rnd, PAIRS * 21L).reshape(PAIRS, 21);
        assertThat(learner.lossAndGradient(a, b)).isFinite();
        INDArray analytic = learner.gradients().dup();
        assertThat(analytic.amaxNumber().doubleValue()).isPositive();
        List<String> wrong = compare(learner.params(), analytic, () -> learner.lossAndGradient(a, b), 2, "θ");
        assertThat(wrong).isEmpty();
    }

    /** CPC through a whole learner: a conv1d encoder with split batch norm, its feature map over time. */
    @org.junit.jupiter.api.Test
    void aWholeCpcLearnersGradientMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(13);
        LayerNet net = new LayerNet("test", new EncoderSpec(Shape.sequence(6, 2),
                List.of(conv1d(3, 3, 1, 1), batchNorm(), relu(), flatten(), linear(5), batchNorm()),
                List.of(relu(), linear(4))), 2, DataType.DOUBLE);
        HyperParams hp = new HyperParams(PAIRS, 8, 0.5, 0.9, 0.1, 0.9, 0, 0);
        ObjectiveLearner learner = new ObjectiveLearner(net, hp, objective("cpc", net, PAIRS), 21, DataType.DOUBLE);
        INDArray a = random(rnd, PAIRS * 12L).reshape(PAIRS, 12);
        INDArray b = random(rnd, PAIRS * 12L).reshape(PAIRS, 12);
        assertThat(learner.lossAndGradient(a, b)).isFinite();
        INDArray analytic = learner.gradients().dup();
        List<String> wrong = compare(learner.params(), analytic, () -> learner.lossAndGradient(a, b), 2, "θ");
        assertThat(wrong).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"simclr", "simsiam-no-stop-gradient", "byol", "instdisc", "context", "sop", "sop-contrast", "dim"})
    void aWholeLearnersGradientMatchesFiniteDifferences(String name) {
        SplittableRandom rnd = new SplittableRandom(12);
        // Split batch norm in two groups: the 2N rows go through the encoder shuffled.
        LayerNet net = new LayerNet("test", new EncoderSpec(new Shape(2, 4, 4),
                List.of(conv2d(3, 3, 1, 1), batchNorm(), relu(), maxPool2d(2, 2), flatten(), linear(5), batchNorm()),
                List.of(relu(), linear(4))), 2, DataType.DOUBLE);
        assertThat(net.shufflesKeys()).isTrue();
        HyperParams hp = new HyperParams(PAIRS, 8, 0.5, 0.9, 0.1, 0.9, 0, 0);
        ObjectiveLearner learner = new ObjectiveLearner(net, hp, objective(name, net, PAIRS), 21, DataType.DOUBLE);
        INDArray a = random(rnd, PAIRS * 32L).reshape(PAIRS, 32);
        INDArray b = random(rnd, PAIRS * 32L).reshape(PAIRS, 32);
        if (learner.bank() != null) learner.instances(knownInstances(learner.bank(), rnd));
        if (learner.needsTargets()) learner.targets(name.startsWith("sop") ? new int[] {1, 0, 0, 1} : new int[] {3, 6, 1, 4});
        assertThat(learner.lossAndGradient(a, b)).isFinite();
        INDArray analytic = learner.gradients().dup();
        List<String> wrong = compare(learner.params(), analytic, () -> learner.lossAndGradient(a, b), 3, "θ");
        assertThat(wrong).isEmpty();
    }

    /**
     * InstDisc on instances the bank has not seen: each view's positive is the other view's output,
     * a negative that is the row's own instance is left out, and the step writes each instance's
     * entry, the normalised mean of its two views; a second sighting moves it by the bank momentum.
     */
    @org.junit.jupiter.api.Test
    void instDiscWritesNewInstancesAndMovesKnownOnesByItsMomentum() {
        SplittableRandom rnd = new SplittableRandom(14);
        InstDisc d = new InstDisc(PAIRS, 4, 6, 16, 0.5, 0.5, DataType.DOUBLE, 3);
        INDArray z = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        String[] fresh = {"a", "b", "c", "d"};
        INDArray dz = Nd4j.create(DataType.DOUBLE, 2 * PAIRS, 4);
        // An empty bank: no negatives, and a positive per row.
        double first = d.lossAndGradient(new FixedBatch(PAIRS, z, null, fresh), dz);
        assertThat(first).isFinite().isGreaterThanOrEqualTo(0);
        d.update(0.1, null, null);
        assertThat(d.bank().filled()).isEqualTo(4);
        double[] u = unit(z);
        for (int i = 0; i < PAIRS; i++) {
            float[] entry = d.bank().vector(d.bank().slotOf(fresh[i]));
            double[] mean = new double[4];
            double sq = 0;
            for (int c = 0; c < 4; c++) {
                mean[c] = u[i * 4 + c] + u[(PAIRS + i) * 4 + c];
                sq += mean[c] * mean[c];
            }
            for (int c = 0; c < 4; c++) assertThat((double) entry[c]).isCloseTo(mean[c] / Math.sqrt(sq), org.assertj.core.data.Offset.offset(1e-6));
        }
        // Second sighting of "a" with new outputs: e <- normalise(0.5 e + 0.5 v).
        float[] before = d.bank().vector(d.bank().slotOf("a"));
        INDArray z2 = random(rnd, 2 * PAIRS * 4L).reshape(2 * PAIRS, 4);
        assertThat(d.lossAndGradient(new FixedBatch(PAIRS, z2, null, new String[] {"a", "e", "f", "g"}), dz)).isFinite();
        // Every row's own instance is among the drawn negatives only where masked: the loss stays finite and
        // the draws cover the filled slots.
        assertThat(java.util.Arrays.stream(d.negativeSlots()).allMatch(s -> s >= 0 && s < 4)).isTrue();
        d.update(0.1, null, null);
        assertThat(d.bank().filled()).isEqualTo(7);
        double[] u2 = unit(z2);
        double[] v = new double[4];
        double sq = 0;
        for (int c = 0; c < 4; c++) {
            v[c] = u2[c] + u2[PAIRS * 4 + c];
            sq += v[c] * v[c];
        }
        double[] moved = new double[4];
        double msq = 0;
        for (int c = 0; c < 4; c++) {
            moved[c] = 0.5 * before[c] + 0.5 * v[c] / Math.sqrt(sq);
            msq += moved[c] * moved[c];
        }
        float[] after = d.bank().vector(d.bank().slotOf("a"));
        for (int c = 0; c < 4; c++) assertThat((double) after[c]).isCloseTo(moved[c] / Math.sqrt(msq), org.assertj.core.data.Offset.offset(1e-6));
    }

    @org.junit.jupiter.api.Test
    void aFullBankGivesTheOldestSlotToANewInstanceAndRestoresFromItsSlots() {
        MemoryBank bank = new MemoryBank(3, 2);
        double[] v = {0.6, 0.8};
        for (String id : new String[] {"a", "b", "c"}) bank.put(id, v, 0);
        assertThat(bank.takeDirty().cardinality()).isEqualTo(3);
        bank.put("d", new double[] {1, 0}, 0);
        assertThat(bank.slotOf("a")).isEqualTo(-1);
        assertThat(bank.slotOf("d")).isZero();
        assertThat(bank.pointer()).isEqualTo(1);
        bank.put("b", new double[] {0, 1}, 0);
        assertThat(bank.takeDirty().stream().toArray()).containsExactly(0, 1);
        MemoryBank copy = new MemoryBank(3, 2);
        for (int s = 0; s < 3; s++) copy.restore(s, bank.instance(s), bank.vector(s));
        copy.restorePointer(bank.pointer());
        for (int s = 0; s < 3; s++) {
            assertThat(copy.instance(s)).isEqualTo(bank.instance(s));
            assertThat(copy.vector(s)).containsExactly(bank.vector(s));
        }
        assertThat(copy.filled()).isEqualTo(3);
        copy.put("e", v, 0);
        assertThat(copy.slotOf("e")).isEqualTo(1);
        assertThat(copy.slotOf("b")).isEqualTo(-1);
    }

    static double[] unit(INDArray z) {
        double[] u = z.dup().data().asDouble();
        Rows.normalize(u, (int) z.rows(), (int) z.columns(), new double[(int) z.rows()]);
        return u;
    }

    /**
     * Compares {@code analytic} with central differences of {@code loss} over every {@code
     * stride}-th coordinate of {@code values}; coordinates at a kink (ReLU) are skipped, a few at most.
     */
    static List<String> compare(INDArray values, INDArray analytic, DoubleSupplier loss, int stride, String what) {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        int kinks = 0;
        for (long i = 0; i < values.length(); i += stride) {
            double orig = values.getDouble(i);
            double center = loss.getAsDouble();
            values.putScalar(i, orig + EPS);
            double up = loss.getAsDouble();
            values.putScalar(i, orig - EPS);
            double down = loss.getAsDouble();
            values.putScalar(i, orig);
            double right = (up - center) / EPS;
            double left = (center - down) / EPS;
            if (Math.abs(right - left) > 1e-4 * (1 + Math.abs(right))) {
                kinks++;
                continue;
            }
            double numeric = (up - down) / (2 * EPS);
            double a = analytic.getDouble(i);
            if (Math.abs(a - numeric) > 1e-7 + 1e-5 * Math.abs(numeric)) {
                wrong.add(what + "[" + i + "]: analytic " + a + ", numeric " + numeric);
            }
            checked++;
        }
        assertThat(kinks).as(what + " coordinates at a kink").isLessThanOrEqualTo(Math.max(1, checked / 20));
        assertThat(checked).as(what + " coordinates checked").isGreaterThanOrEqualTo(10);
        return wrong;
    }

    static INDArray random(SplittableRandom rnd, long n) {
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextDouble() * 2 - 1;
        return Nd4j.createFromArray(v);
    }
}
