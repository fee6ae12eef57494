package io.kontrast.operators.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.data.LabeledImages;
import io.kontrast.data.StreamOrder;
import io.kontrast.data.SyntheticShapes;
import io.kontrast.math.LearningTest;
import io.kontrast.math.Probes;
import io.kontrast.operators.KontrastOptions;
import io.kontrast.operators.TrainerSettings;
import io.kontrast.operators.decode.ImageSample;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The replay buffer has to help where the stream is not shuffled: the same class-sorted stream of
 * the synthetic shapes, the same steps, scores clearly higher kNN with the buffer than without it.
 */
class ReplayLearningTest {
    private static final int BATCH = 64;
    private static final int EPOCHS = 4;

    private static double knnAfterClassSortedStream(LabeledImages train, LabeledImages test, String policy) throws Exception {
        Configuration conf = new Configuration();
        conf.set(KontrastOptions.BATCH_SIZE, BATCH);
        conf.set(KontrastOptions.QUEUE_SIZE, 1024);
        conf.set(KontrastOptions.SNAPSHOT_EVERY, 1000);
        conf.set(KontrastOptions.REPLAY_POLICY, policy);
        conf.set(KontrastOptions.REPLAY_SIZE, 2048);
        conf.set(KontrastOptions.REPLAY_STEPS_PER_BATCH, 1);
        conf.set(KontrastOptions.REPLAY_FRESH_FRACTION, 0.25);
        TrainerSettings settings = TrainerSettings.from(conf);
        var h = MocoTrainerOperatorTest.harness(settings);
        h.open();
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            for (int i : StreamOrder.CLASS_SORTED.epoch(train.labels(), 0, 40 + epoch)) {
                h.processElement(new ImageSample("syn/" + i + "/e" + epoch, 0L, 28, 28, train.image(i), train.labels()[i]), 0L);
            }
        }
        var view = ((MocoTrainerOperator) h.getOperator()).view(0);
        assertThat(view.progress().step).isEqualTo(EPOCHS * train.size() / BATCH);
        var v = settings.views();
        double knn = Probes.knnAccuracy(LearningTest.features(view.learner(), train, v.inputMean(), v.inputStd()), train.labels(),
                LearningTest.features(view.learner(), test, v.inputMean(), v.inputStd()), test.labels(), 200, 0.1, 10);
        h.close();
        return knn;
    }

    @Test
    void aClassSortedStreamLearnsClearlyBetterWithEitherBuffer() throws Exception {
        LabeledImages train = SyntheticShapes.generate(3000, 21, "synthetic/train");
        LabeledImages test = SyntheticShapes.generate(1000, 22, "synthetic/test");
        double without = knnAfterClassSortedStream(train, test, "none");
        double reservoir = knnAfterClassSortedStream(train, test, "reservoir");
        double minRedundancy = knnAfterClassSortedStream(train, test, "min-redundancy");
        System.out.printf("class-sorted synthetic stream, %d steps: kNN200 without a buffer %.3f, with a reservoir %.3f, "
                + "with a minimum-redundancy buffer %.3f%n", EPOCHS * train.size() / BATCH, without, reservoir, minRedundancy);
        assertThat(reservoir).isGreaterThan(without + 0.03);
        assertThat(minRedundancy).isGreaterThan(without + 0.03);
    }
}
