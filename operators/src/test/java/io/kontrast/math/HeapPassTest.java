package io.kontrast.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class HeapPassTest {
    private static final int ROWS = 7;
    private static final int COLS = 5;

    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    /** Rows 2..8 of a 10-row matrix and a slice of a longer vector: views at a non-zero offset. */
    private static INDArray rowsView(INDArray parent) {
        return parent.get(NDArrayIndex.interval(2, 2 + ROWS), NDArrayIndex.all());
    }

    @Test
    void addBiasWithReluOnViewsMatchesTheElementWiseFormulaAndLeavesTheRestAlone() {
        SplittableRandom rnd = new SplittableRandom(1);
        INDArray parent = TestNets.random(rnd, 10, COLS);
        INDArray before = parent.dup();
        INDArray biasParent = TestNets.random(rnd, 3 + COLS);
        INDArray bias = biasParent.get(NDArrayIndex.interval(3, 3 + COLS));
        INDArray z = rowsView(parent);
        HeapPass.addBias(z, bias, true, new float[ROWS * COLS], new float[COLS]);
        for (int r = 0; r < 10; r++) {
            for (int c = 0; c < COLS; c++) {
                float expected = r >= 2 && r < 2 + ROWS
                        ? Math.max(before.getFloat(r, c) + bias.getFloat(c), 0f)
                        : before.getFloat(r, c);
                assertThat(parent.getFloat(r, c)).as("(%d, %d)", r, c).isEqualTo(expected);
            }
        }
    }

    @Test
    void reluBackwardMasksTheGradientAndSumsItsColumns() {
        SplittableRandom rnd = new SplittableRandom(2);
        INDArray act = TestNets.random(rnd, ROWS, COLS);
        act.assign(act.mul(act.gt(0).castTo(act.dataType()))); // ReLU outputs: zeros and positives
        act.putScalar(0, 0, Float.MIN_VALUE); // the smallest positive float still passes
        INDArray dParent = TestNets.random(rnd, 10, COLS);
        INDArray d = rowsView(dParent);
        INDArray before = d.dup();
        INDArray sums = TestNets.random(rnd, COLS);
        HeapPass.reluBackwardColumnSums(act, d, sums, new float[ROWS * COLS], new float[ROWS * COLS], new float[COLS]);
        for (int c = 0; c < COLS; c++) {
            double sum = 0;
            for (int r = 0; r < ROWS; r++) {
                float expected = act.getFloat(r, c) > 0 ? before.getFloat(r, c) : 0f;
                assertThat(d.getFloat(r, c)).as("(%d, %d)", r, c).isEqualTo(expected);
                sum += expected;
            }
            assertThat(sums.getFloat(c)).isCloseTo((float) sum, within(1e-5f));
        }
        assertThat(d.getFloat(0, 0)).isEqualTo(before.getFloat(0, 0));
    }

    @Test
    void aViewWhoseRowsAreNotContiguousIsRejected() {
        INDArray parent = TestNets.random(new SplittableRandom(3), ROWS, 2 * COLS);
        INDArray columns = parent.get(NDArrayIndex.all(), NDArrayIndex.interval(0, COLS));
        assertThatThrownBy(() -> HeapPass.addBias(columns, TestNets.random(new SplittableRandom(4), COLS), false,
                        new float[ROWS * COLS], new float[COLS]))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dense row-major");
    }
}
