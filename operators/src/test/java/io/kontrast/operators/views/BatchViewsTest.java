package io.kontrast.operators.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class BatchViewsTest {
    private static final int N = 28 * 28;

    /**
     * The two parts, run on two threads at once, write each sample's pair exactly as one
     * augmenter builds it from the sample's id (whichever part took it), and leave skipped rows
     * alone.
     */
    @Test
    void twoPartsOnTwoThreadsBuildEachPairAsOneAugmenterDoes() {
        ViewSettings settings = new ViewSettings(0.6, 0.5, 0.4, 0.02, 0.286f, 0.353f, 42);
        int count = 61;
        SplittableRandom rnd = new SplittableRandom(5);
        float[][] pixels = new float[count][N];
        String[] ids = new String[count];
        boolean[] skip = new boolean[count];
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < N; j++) pixels[i][j] = (float) rnd.nextDouble();
            ids[i] = "sample-" + i;
            skip[i] = i % 7 == 3;
        }
        FloatBuffer first = FloatBuffer.allocate(count * N);
        FloatBuffer second = FloatBuffer.allocate(count * N);
        for (int i = 0; i < count * N; i++) {
            first.put(i, -7f);
            second.put(i, -7f);
        }
        new BatchViews(settings, 28, 28).build(pixels, ids, skip, count, first, second, (helper, caller) -> {
            CompletableFuture<Void> other = CompletableFuture.runAsync(helper);
            caller.run();
            other.join();
        });

        ViewAugmenter one = new ViewAugmenter(settings);
        float[] a = new float[N];
        float[] b = new float[N];
        float[] gotA = new float[N];
        float[] gotB = new float[N];
        for (int i = 0; i < count; i++) {
            first.get(i * N, gotA);
            second.get(i * N, gotB);
            if (skip[i]) {
                assertThat(gotA).as("skipped row %d", i).containsOnly(-7f);
                assertThat(gotB).as("skipped row %d", i).containsOnly(-7f);
                continue;
            }
            SplittableRandom r = one.randomFor(ids[i]);
            one.augment(pixels[i], 28, 28, r, a);
            one.augment(pixels[i], 28, 28, r, b);
            assertThat(gotA).as("first view of %d", i).isEqualTo(a);
            assertThat(gotB).as("second view of %d", i).isEqualTo(b);
        }
    }

    /**
     * Paired samples: each part's two views are its own kind's views, drawn in part order from the
     * sample's generator; parts that are all vectors keep the whole row's vector views.
     */
    @Test
    void pairedPartsGetTheViewsOfTheirOwnKinds() {
        // An image part (1x4x6), a vector part (5) and a sequence part (3 steps of 2): 24 + 5 + 6 values a row.
        List<io.kontrast.math.nn.Shape> shapes = List.of(new io.kontrast.math.nn.Shape(1, 4, 6),
                io.kontrast.math.nn.Shape.vector(5), io.kontrast.math.nn.Shape.sequence(3, 2));
        int n = 35;
        float[][] rows = new float[3][n];
        String[] ids = {"p-0", "p-1", "p-2"};
        SplittableRandom rnd = new SplittableRandom(12);
        for (float[] r : rows) for (int j = 0; j < n; j++) r[j] = (float) rnd.nextDouble();
        ViewSettings settings = new ViewSettings(0.6, 0.5, 0.4, 0.05, 0.5f, 0.25f, 42, 0, 0, 0.8, 0, 0, 0, 0.2, 0.2, 0.2);
        FloatBuffer first = FloatBuffer.allocate(3 * n);
        FloatBuffer second = FloatBuffer.allocate(3 * n);
        new BatchViews(settings, n, 1, 1).withParts(shapes).build(rows, ids, null, 3, first, second, (helper, caller) -> {
            helper.run();
            caller.run();
        });
        ViewAugmenter gray = new ViewAugmenter(settings);
        VectorViews vectors = new VectorViews(settings, 5);
        SequenceViews sequences = new SequenceViews(settings, 3, 2);
        for (int i = 0; i < 3; i++) {
            SplittableRandom r = gray.randomFor(ids[i]);
            float[] image = java.util.Arrays.copyOfRange(rows[i], 0, 24);
            float[][] vector = {java.util.Arrays.copyOfRange(rows[i], 24, 29)};
            float[] sequence = java.util.Arrays.copyOfRange(rows[i], 29, 35);
            float[] a = new float[n];
            float[] b = new float[n];
            float[] u = new float[24];
            float[] v = new float[24];
            gray.augment(image, 4, 6, r, u);
            gray.augment(image, 4, 6, r, v);
            System.arraycopy(u, 0, a, 0, 24);
            System.arraycopy(v, 0, b, 0, 24);
            u = new float[5];
            v = new float[5];
            vectors.pair(vector, 1, 0, r, u, v);
            System.arraycopy(u, 0, a, 24, 5);
            System.arraycopy(v, 0, b, 24, 5);
            u = new float[6];
            v = new float[6];
            sequences.view(sequence, r, u);
            sequences.view(sequence, r, v);
            System.arraycopy(u, 0, a, 29, 6);
            System.arraycopy(v, 0, b, 29, 6);
            float[] gotA = new float[n];
            float[] gotB = new float[n];
            first.get(i * n, gotA);
            second.get(i * n, gotB);
            assertThat(gotA).containsExactly(a);
            assertThat(gotB).containsExactly(b);
            assertThat(gotA).isNotEqualTo(gotB);
        }
        // Parts that are all vectors keep the vector views of the whole row.
        FloatBuffer plain = FloatBuffer.allocate(3 * 10);
        FloatBuffer withParts = FloatBuffer.allocate(3 * 10);
        float[][] short10 = new float[3][];
        for (int i = 0; i < 3; i++) short10[i] = java.util.Arrays.copyOf(rows[i], 10);
        new BatchViews(settings, 10, 1, 1).build(short10, ids, null, 3, plain, FloatBuffer.allocate(30), (h, c) -> {
            h.run();
            c.run();
        });
        new BatchViews(settings, 10, 1, 1).withParts(List.of(io.kontrast.math.nn.Shape.vector(4), io.kontrast.math.nn.Shape.vector(6)))
                .build(short10, ids, null, 3, withParts, FloatBuffer.allocate(30), (h, c) -> {
                    h.run();
                    c.run();
                });
        assertThat(withParts.array()).containsExactly(plain.array());
        assertThatThrownBy(() -> new BatchViews(settings, 10, 1, 1).withParts(List.of(io.kontrast.math.nn.Shape.vector(4))))
                .hasMessageContaining("4 values");
    }

    /**
     * Sentence-order prediction on sequences: each view is a sequence view of one raw segment, and
     * the target the segments' order; with the sequence views neutral (whole windows, no scaling,
     * jitter or time mask) a view is its segment normalised.
     */
    @Test
    void sequenceSegmentsGetTheSequenceViews() {
        int t = 20;
        int f = 3;
        float[][] rows = new float[4][t * f];
        String[] ids = new String[4];
        SplittableRandom rnd = new SplittableRandom(8);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < t * f; j++) rows[i][j] = (float) rnd.nextDouble();
            ids[i] = "seq-" + i;
        }
        for (boolean neutral : new boolean[] {true, false}) {
            ViewSettings settings = new ViewSettings(neutral ? 1 : 0.6, 0.5, 0.4, neutral ? 0 : 0.05, 0.5f, 0.25f, 42)
                    .withSequenceViews(neutral ? 0 : 0.2, neutral ? 0 : 0.2);
            FloatBuffer first = FloatBuffer.allocate(4 * t * f);
            FloatBuffer second = FloatBuffer.allocate(4 * t * f);
            int[] targets = new int[4];
            BatchViews views = new BatchViews(settings, f, 1, t, 0, 0);
            assertThat(views.patchPairs()).isTrue();
            views.build(rows, ids, null, 4, first, second, targets, (helper, caller) -> {
                helper.run();
                caller.run();
            });
            SegmentPairs segments = new SegmentPairs(t, f);
            SequenceViews sequences = new SequenceViews(settings, t, f);
            ViewAugmenter seeds = new ViewAugmenter(settings);
            for (int i = 0; i < 4; i++) {
                float[] segA = new float[t * f];
                float[] segB = new float[t * f];
                float[] a = new float[t * f];
                float[] b = new float[t * f];
                SplittableRandom r = seeds.randomFor(ids[i]);
                assertThat(targets[i]).isEqualTo(segments.build(rows[i], r, segA, segB));
                sequences.view(segA, r, a);
                sequences.view(segB, r, b);
                float[] gotA = new float[t * f];
                float[] gotB = new float[t * f];
                first.get(i * t * f, gotA);
                second.get(i * t * f, gotB);
                assertThat(gotA).containsExactly(a);
                assertThat(gotB).containsExactly(b);
                if (neutral) {
                    for (int j = 0; j < t * f; j++) assertThat(gotA[j]).isCloseTo((segA[j] - 0.5f) / 0.25f, org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
    }

    /**
     * Sequences and tokens with a corruption rate: the first view is the sample's, and each value
     * of the second is the sample's or, at about the rate, the same value of another sample of the
     * batch, never of a row whose views came built (skipped).
     */
    @Test
    void sequenceAndTokenSecondViewsTakeValuesOfOtherSamplesAtTheCorruptionRate() {
        int t = 20;
        int f = 3;
        int count = 40;
        for (boolean tokens : new boolean[] {false, true}) {
            int n = tokens ? t : t * f;
            float[][] rows = new float[count][n];
            String[] ids = new String[count];
            boolean[] skip = new boolean[count];
            for (int i = 0; i < count; i++) {
                // Value k of sample i is 100 i + k mod 97: which sample it came from, and where, can be read off.
                for (int k = 0; k < n; k++) rows[i][k] = 100 * i + k % 97;
                ids[i] = "s-" + i;
                skip[i] = i % 9 == 4;
            }
            ViewSettings settings = new ViewSettings(1, 0.5, 0.4, 0, 0f, 1f, 42).withSequenceViews(0, 0).withVectorViews(0.3, 0);
            if (tokens) settings = settings.withTokenViews(100 * count, 0, 0, 0);
            FloatBuffer first = FloatBuffer.allocate(count * n);
            FloatBuffer second = FloatBuffer.allocate(count * n);
            BatchViews views = tokens ? new BatchViews(settings, t, 1, 1) : new BatchViews(settings, f, 1, t);
            views.build(rows, ids, skip, count, first, second, (helper, caller) -> {
                helper.run();
                caller.run();
            });
            int replaced = 0;
            int values = 0;
            for (int i = 0; i < count; i++) {
                if (skip[i]) continue;
                for (int k = 0; k < n; k++) {
                    assertThat(first.get(i * n + k)).as("first view of %d", i).isEqualTo(rows[i][k]);
                    float v = second.get(i * n + k);
                    int from = Math.round(v - k % 97) / 100;
                    assertThat(v).as("value %d of sample %d's second view", k, i).isEqualTo(100f * from + k % 97);
                    assertThat(from).isBetween(0, count - 1);
                    assertThat(skip[from]).as("a value from a skipped row").isFalse();
                    values++;
                    if (from != i) replaced++;
                }
            }
            // Draws that land on a skipped row keep the value: the rate seen is 0.3 × 35/39.
            assertThat((double) replaced / values).as(tokens ? "tokens" : "sequences").isBetween(0.22, 0.30);
        }
    }

    /**
     * Sentence-order pairs with other segments: about the set share of pairs get the third class,
     * and each of those is made of two samples' segments (token ids carry their sample's number),
     * never a skipped row's; the rest are one sample's own two segments.
     */
    @Test
    void otherSegmentsMixTwoSamplesAtTheSetShareWithTheThirdClass() {
        int t = 20;
        int count = 300;
        float[][] rows = new float[count][t];
        String[] ids = new String[count];
        boolean[] skip = new boolean[count];
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < t; k++) rows[i][k] = 1 + i;
            ids[i] = "s-" + i;
            skip[i] = i % 10 == 7;
        }
        ViewSettings settings = new ViewSettings(1, 0.5, 0.4, 0, 0f, 1f, 42).withTokenViews(1000, 0, 0, 0);
        FloatBuffer first = FloatBuffer.allocate(count * t);
        FloatBuffer second = FloatBuffer.allocate(count * t);
        int[] targets = new int[count];
        new BatchViews(settings, t, 1, 1, 0, 0).withOtherSegments(0.4).build(rows, ids, skip, count, first, second, targets,
                (helper, caller) -> {
                    helper.run();
                    caller.run();
                });
        int other = 0;
        int built = 0;
        for (int i = 0; i < count; i++) {
            if (skip[i]) continue;
            built++;
            float a = first.get(i * t);
            float b = second.get(i * t);
            assertThat(a == 1 + i || b == 1 + i).as("pair %d holds one of its own segments", i).isTrue();
            if (targets[i] == SegmentPairs.OTHER) {
                other++;
                float foreign = a == 1 + i ? b : a;
                assertThat(foreign).as("pair %d's other segment", i).isNotEqualTo(1f + i);
                assertThat(skip[(int) foreign - 1]).as("a skipped row's segment").isFalse();
            } else {
                assertThat(targets[i]).isIn(0, 1);
                assertThat(a).isEqualTo(1f + i);
                assertThat(b).isEqualTo(1f + i);
            }
        }
        assertThat((double) other / built).isBetween(0.3, 0.5);
    }
}
