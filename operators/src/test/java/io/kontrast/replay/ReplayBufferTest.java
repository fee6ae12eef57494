package io.kontrast.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.kontrast.math.Nd4jRuntime;
import io.kontrast.replay.ReplayBuffer.Policy;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReplayBufferTest {
    private static final int INPUT = 4;

    @BeforeAll
    static void init() {
        Nd4jRuntime.init();
    }

    /** {@code n} samples named {@code prefix<i>}, pixel values the index, labels the index. */
    private static final class Samples {
        final int n;
        final float[][] pixels;
        final String[] ids;
        final String[] instances;
        final int[] labels;
        final long[] times;
        final float[] features;
        final int[] rows;

        Samples(String prefix, float[][] features) {
            n = features.length;
            int dim = n == 0 ? 0 : features[0].length;
            pixels = new float[n][INPUT];
            ids = new String[n];
            instances = new String[n];
            labels = new int[n];
            times = new long[n];
            this.features = new float[n * dim];
            rows = new int[n];
            for (int i = 0; i < n; i++) {
                Arrays.fill(pixels[i], i);
                ids[i] = prefix + i;
                instances[i] = prefix + i;
                labels[i] = i;
                times[i] = 1000 + i;
                System.arraycopy(features[i], 0, this.features, i * dim, dim);
                rows[i] = i;
            }
        }

        void offerTo(ReplayBuffer b) {
            b.offer(n, pixels, ids, instances, labels, times, features, rows);
        }
    }

    private static float[][] unitRandom(int n, int dim, SplittableRandom rnd) {
        float[][] out = new float[n][dim];
        for (float[] v : out) {
            double norm = 0;
            for (int c = 0; c < dim; c++) {
                v[c] = (float) rnd.nextGaussian();
                norm += v[c] * v[c];
            }
            for (int c = 0; c < dim; c++) v[c] /= (float) Math.sqrt(norm);
        }
        return out;
    }

    private static float dot(float[] a, float[] b) {
        double s = 0;
        for (int c = 0; c < a.length; c++) s += (double) a[c] * b[c];
        return (float) s;
    }

    @Test
    void aNewSampleEvictsOneOfTheMostSimilarPairAndADuplicateIsTurnedAway() {
        ReplayBuffer b = new ReplayBuffer(Policy.MIN_REDUNDANCY, 3, INPUT, 2, 1);
        float s = (float) Math.sqrt(1 - 0.1 * 0.1);
        // a and c nearly the same; b apart from both.
        new Samples("x", new float[][] {{1, 0}, {0, 1}, {s, 0.1f}}).offerTo(b);
        assertThat(b.filled()).isEqualTo(3);
        assertThat(b.neighbour(0)).isEqualTo(2);
        assertThat(b.neighbour(2)).isEqualTo(0);
        assertThat(b.neighbour(1)).isEqualTo(2);
        assertThat(b.neighbourSimilarity(0)).isCloseTo(s, offset(1e-6f));

        // d is far from everything: it replaces a (the first of the redundant pair).
        new Samples("d", new float[][] {{-1, 0}}).offerTo(b);
        assertThat(b.id(0)).isEqualTo("d0");
        assertThat(b.id(1)).isEqualTo("x1");
        assertThat(b.id(2)).isEqualTo("x2");
        assertThat(b.pixels(0)).containsOnly(0f);
        // c lost its neighbour; its new one is b, found again exactly.
        assertThat(b.neighbour(2)).isEqualTo(1);
        assertThat(b.neighbourSimilarity(2)).isCloseTo(0.1f, offset(1e-6f));
        assertThat(b.neighbour(0)).isEqualTo(1);
        assertThat(b.neighbourSimilarity(0)).isCloseTo(0f, offset(1e-6f));
        assertThat(b.neighbour(1)).isEqualTo(2);

        // A copy of b is more redundant than anything buffered: it is dropped, nothing changes.
        new Samples("e", new float[][] {{0, 1}}).offerTo(b);
        assertThat(b.dropped()).isEqualTo(1);
        assertThat(new String[] {b.id(0), b.id(1), b.id(2)}).containsExactly("d0", "x1", "x2");
        assertThat(b.offered()).isEqualTo(5);
    }

    @Test
    void incrementalNeighbourRecordsEqualABruteForceSearch() {
        int dim = 8;
        int capacity = 200;
        ReplayBuffer b = new ReplayBuffer(Policy.MIN_REDUNDANCY, capacity, INPUT, dim, 2);
        SplittableRandom rnd = new SplittableRandom(3);
        float[][] kept = new float[capacity][];
        for (int batch = 0; batch < 12; batch++) {
            // 100 per batch, more than one GEMM chunk, some near copies of each other.
            float[][] f = unitRandom(100, dim, rnd);
            for (int i = 1; i < f.length; i += 7) f[i] = f[i - 1].clone();
            Samples in = new Samples("b" + batch + "-", f);
            in.offerTo(b);
        }
        assertThat(b.filled()).isEqualTo(capacity);
        assertThat(b.dropped()).isGreaterThan(0);
        for (int j = 0; j < capacity; j++) kept[j] = b.slot(j).feature;
        for (int j = 0; j < capacity; j++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < capacity; k++) {
                if (k != j) best = Math.max(best, dot(kept[j], kept[k]));
            }
            assertThat(b.neighbourSimilarity(j)).as("slot %d", j).isCloseTo(best, offset(1e-5f));
            assertThat(dot(kept[j], kept[b.neighbour(j)])).isCloseTo(best, offset(1e-5f));
        }
        // Minimum redundancy keeps the buffer spread out: its closest pair is less similar than
        // the closest pair of a reservoir sample of the same stream.
        float mrClosest = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < capacity; j++) mrClosest = Math.max(mrClosest, b.neighbourSimilarity(j));
        assertThat(mrClosest).isLessThan(0.999f);
    }

    @Test
    void replayedFeaturesKeepEveryNeighbourRecordTrueToItsPair() {
        int dim = 8;
        ReplayBuffer b = new ReplayBuffer(Policy.MIN_REDUNDANCY, 64, INPUT, dim, 4);
        SplittableRandom rnd = new SplittableRandom(5);
        new Samples("a", unitRandom(64, dim, rnd)).offerTo(b);
        for (int step = 0; step < 10; step++) {
            int[] slots = b.draw(16, step);
            float[] f = new float[16 * dim];
            float[][] fresh = unitRandom(16, dim, rnd);
            for (int i = 0; i < 16; i++) System.arraycopy(fresh[i], 0, f, i * dim, dim);
            int[] rows = new int[16];
            for (int i = 0; i < 16; i++) rows[i] = i;
            b.replayed(16, slots, f, rows);
            for (int i = 0; i < 16; i++) assertThat(b.slot(slots[i]).feature).containsExactly(fresh[i]);
        }
        for (int j = 0; j < 64; j++) {
            float[] fj = b.slot(j).feature;
            float best = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < 64; k++) if (k != j) best = Math.max(best, dot(fj, b.slot(k).feature));
            // The record names a real pair at its true similarity, and never more than the best.
            assertThat(b.neighbourSimilarity(j)).isCloseTo(dot(fj, b.slot(b.neighbour(j)).feature), offset(1e-5f));
            assertThat(b.neighbourSimilarity(j)).isLessThanOrEqualTo(best + 1e-5f);
        }
        int replays = 0;
        for (int j = 0; j < 64; j++) replays += b.sightings(j);
        assertThat(replays).isEqualTo(160);
    }

    @Test
    void theReservoirIsAUniformSampleOfTheStream() {
        ReplayBuffer b = new ReplayBuffer(Policy.RESERVOIR, 1000, INPUT, 0, 6);
        for (int batch = 0; batch < 100; batch++) {
            new Samples("b" + batch + "-", new float[100][0]).offerTo(b);
        }
        assertThat(b.filled()).isEqualTo(1000);
        assertThat(b.offered()).isEqualTo(10_000);
        int firstHalf = 0;
        Set<String> distinct = new HashSet<>();
        for (int j = 0; j < 1000; j++) {
            int batch = Integer.parseInt(b.id(j).substring(1, b.id(j).indexOf('-')));
            if (batch < 50) firstHalf++;
            distinct.add(b.id(j));
        }
        assertThat(distinct).hasSize(1000);
        // Binomial(1000, 0.5): 5 standard deviations either side.
        assertThat(firstHalf).isBetween(420, 580);
    }

    @Test
    void drawsAreDistinctFilledSlotsAndAFunctionOfTheStep() {
        ReplayBuffer b = new ReplayBuffer(Policy.RESERVOIR, 100, INPUT, 0, 7);
        new Samples("a", new float[40][0]).offerTo(b);
        int[] d = b.draw(30, 9);
        assertThat(d).hasSize(30).doesNotHaveDuplicates();
        assertThat(Arrays.stream(d).allMatch(i -> i >= 0 && i < 40)).isTrue();
        assertThat(b.draw(30, 9)).containsExactly(d);
        assertThat(b.draw(30, 10)).isNotEqualTo(d);
        assertThat(b.draw(50, 1)).hasSize(40).doesNotHaveDuplicates();
    }

    @Test
    void aBufferRestoredFromItsSlotsContinuesExactlyAsTheOriginal() {
        int dim = 8;
        for (Policy policy : new Policy[] {Policy.RESERVOIR, Policy.MIN_REDUNDANCY}) {
            ReplayBuffer a = new ReplayBuffer(policy, 50, INPUT, dim, 8);
            SplittableRandom rnd = new SplittableRandom(9);
            for (int batch = 0; batch < 4; batch++) new Samples("s" + batch + "-", unitRandom(30, dim, rnd)).offerTo(a);
            replayRandom(a, 1, dim, new SplittableRandom(1));

            ReplayBuffer b = new ReplayBuffer(policy, 50, INPUT, dim, 8);
            b.restoreCounters(a.filled(), a.offered());
            for (int j = 0; j < a.filled(); j++) {
                b.restore(j, a.slot(j));
                if (policy == Policy.MIN_REDUNDANCY) b.restoreNeighbour(j, a.packedNeighbour(j));
            }
            assertSame(a, b);
            // The same input after the restore: the same evictions, draws and records.
            for (int batch = 4; batch < 8; batch++) {
                float[][] f = unitRandom(30, dim, rnd);
                new Samples("s" + batch + "-", f).offerTo(a);
                new Samples("s" + batch + "-", f).offerTo(b);
                replayRandom(a, batch, dim, new SplittableRandom(batch));
                replayRandom(b, batch, dim, new SplittableRandom(batch));
            }
            assertSame(a, b);
        }
    }

    private static void replayRandom(ReplayBuffer b, long step, int dim, SplittableRandom rnd) {
        int[] slots = b.draw(10, step);
        float[][] f = unitRandom(slots.length, dim, rnd);
        float[] flat = new float[slots.length * dim];
        int[] rows = new int[slots.length];
        for (int i = 0; i < slots.length; i++) {
            System.arraycopy(f[i], 0, flat, i * dim, dim);
            rows[i] = i;
        }
        b.replayed(slots.length, slots, flat, rows);
    }

    private static void assertSame(ReplayBuffer a, ReplayBuffer b) {
        assertThat(b.filled()).isEqualTo(a.filled());
        assertThat(b.offered()).isEqualTo(a.offered());
        for (int j = 0; j < a.filled(); j++) {
            ReplaySlot x = a.slot(j);
            ReplaySlot y = b.slot(j);
            assertThat(y.id).isEqualTo(x.id);
            assertThat(y.pixels).containsExactly(x.pixels);
            assertThat(y.sightings).isEqualTo(x.sightings);
            assertThat(y.label).isEqualTo(x.label);
            assertThat(y.eventTime).isEqualTo(x.eventTime);
            if (a.policy() == Policy.MIN_REDUNDANCY) {
                assertThat(y.feature).containsExactly(x.feature);
                assertThat(b.packedNeighbour(j)).isEqualTo(a.packedNeighbour(j));
            }
        }
        assertThat(b.draw(20, 99)).containsExactly(a.draw(20, 99));
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> Policy.parse("fifo")).hasMessageContaining("min-redundancy");
        assertThatThrownBy(() -> new ReplayBuffer(Policy.NONE, 10, INPUT, 2, 0)).hasMessageContaining("policy");
        assertThatThrownBy(() -> new ReplayBuffer(Policy.RESERVOIR, 0, INPUT, 2, 0)).hasMessageContaining("slot");
        ReplayBuffer b = new ReplayBuffer(Policy.RESERVOIR, 10, INPUT, 2, 0);
        assertThatThrownBy(() -> b.restoreCounters(11, 20)).hasMessageContaining("11");
    }
}
