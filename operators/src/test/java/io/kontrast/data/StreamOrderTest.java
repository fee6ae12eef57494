package io.kontrast.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kontrast.math.Permutations;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StreamOrderTest {
    /** 1,000 images of 10 classes, the labels scattered. */
    private static int[] labels() {
        int[] labels = new int[1000];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < labels.length; i++) labels[i] = rnd.nextInt(10);
        return labels;
    }

    private static void assertPermutation(int[] order, int n) {
        assertThat(order).hasSize(n);
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < n; i++) assertThat(sorted[i]).isEqualTo(i);
    }

    /** Where the label changes from one streamed image to the next. */
    private static int classChanges(int[] order, int[] labels) {
        int changes = 0;
        for (int i = 1; i < order.length; i++) {
            if (labels[order[i]] != labels[order[i - 1]]) changes++;
        }
        return changes;
    }

    @Test
    void shuffledIsTheSeededPermutationOfEarlierVersions() {
        int[] labels = labels();
        assertThat(StreamOrder.SHUFFLED.epoch(labels, 0, 42))
                .containsExactly(Permutations.fill(new int[labels.length], new SplittableRandom(42)));
        assertThat(classChanges(StreamOrder.SHUFFLED.epoch(labels, 0, 42), labels)).isGreaterThan(800);
    }

    @Test
    void classSortedStreamsEachClassWholeInLabelOrder() {
        int[] labels = labels();
        int[] order = StreamOrder.CLASS_SORTED.epoch(labels, 0, 1);
        assertPermutation(order, labels.length);
        assertThat(classChanges(order, labels)).isEqualTo(9);
        for (int i = 1; i < order.length; i++) {
            assertThat(labels[order[i]]).isGreaterThanOrEqualTo(labels[order[i - 1]]);
        }
        // Each epoch shuffles within the classes.
        assertThat(StreamOrder.CLASS_SORTED.epoch(labels, 0, 2)).isNotEqualTo(order);
    }

    @Test
    void driftStreamsRunsOfOneClass() {
        int[] labels = labels();
        int[] order = StreamOrder.DRIFT.epoch(labels, 16, 5);
        assertPermutation(order, labels.length);
        // Runs are 16 long but where a class runs out (at most one short run per class), and a
        // run may follow one of the same class.
        int changes = classChanges(order, labels);
        assertThat(changes).isLessThanOrEqualTo(1000 / 16 + 10).isGreaterThan(20);
        int run = 1;
        int longest = 0;
        for (int i = 1; i < order.length; i++) {
            run = labels[order[i]] == labels[order[i - 1]] ? run + 1 : 1;
            longest = Math.max(longest, run);
        }
        assertThat(longest).isGreaterThanOrEqualTo(16);
        assertThat(StreamOrder.DRIFT.epoch(labels, 16, 5)).containsExactly(order);
    }

    @Test
    void badInputIsRefusedByName() {
        assertThatThrownBy(() -> StreamOrder.parse("sorted")).hasMessageContaining("class-sorted");
        assertThatThrownBy(() -> StreamOrder.DRIFT.epoch(new int[] {0, 1}, 0, 1)).hasMessageContaining("run length");
        assertThatThrownBy(() -> StreamOrder.CLASS_SORTED.epoch(new int[] {0, -1}, 0, 1)).hasMessageContaining("label");
        assertThat(StreamOrder.parse("class-sorted")).isEqualTo(StreamOrder.CLASS_SORTED);
    }
}
