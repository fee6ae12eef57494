package io.kontrast.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SgemmTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    @Test
    void twoRowBlocksInTwoLanesMakeTheWholeProductInPlaceInAView() {
        SplittableRandom rnd = new SplittableRandom(5);
        int k = 37;
        int m = 29;
        int n = 11;
        INDArray a = TestNets.random(rnd, k, m);
        INDArray b = TestNets.random(rnd, k, n);
        // The product lands in a view at an offset inside a larger buffer, as a weight gradient does.
        INDArray flat = Nd4j.valueArrayOf(7 + m * n + 5, -3f);
        INDArray c = flat.get(NDArrayIndex.interval(7, 7 + m * n)).reshape('c', m, n);
        assertThat(Sgemm.splitsRows(a, b, c)).isTrue();
        INDArray expected = Nd4j.gemm(a, b, true, false);
        try (Lanes lanes = Lanes.forMachine("test-lane")) {
            lanes.run(() -> Sgemm.transposedProductRows(a, b, c, 13, m),
                    () -> Sgemm.transposedProductRows(a, b, c, 0, 13));
        }
        float[] got = c.dup().data().asFloat();
        float[] want = expected.data().asFloat();
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).as("c[%d]", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-4f));
        }
        // Nothing outside the view was written.
        for (int i = 0; i < 7; i++) assertThat(flat.getFloat(i)).isEqualTo(-3f);
        for (int i = 7 + m * n; i < flat.length(); i++) assertThat(flat.getFloat(i)).isEqualTo(-3f);
    }

    @Test
    void everyTransposeAndLayoutGivesNd4jsProduct() {
        SplittableRandom rnd = new SplittableRandom(9);
        INDArray big = TestNets.random(rnd, 40, 50);
        // Dense, row ranges and column ranges (row-major with a longer leading dimension), and
        // column-major arrays (which go through ND4J).
        INDArray[] lefts = {TestNets.random(rnd, 12, 20), big.get(NDArrayIndex.interval(3, 15), NDArrayIndex.all()).get(NDArrayIndex.all(), NDArrayIndex.interval(5, 25)),
            TestNets.random(rnd, 12, 20).dup('f')};
        for (INDArray left : lefts) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    INDArray a = ta ? left.transpose().dup('c') : left; // op(a) is always [12, 20]
                    if (ta && left.ordering() == 'f') a = left.transpose();
                    INDArray b = tb ? big.get(NDArrayIndex.interval(10, 17), NDArrayIndex.interval(20, 40)) : big.get(NDArrayIndex.interval(20, 40), NDArrayIndex.interval(30, 37));
                    INDArray c0 = TestNets.random(rnd, 12, 7);
                    INDArray want = Nd4j.gemm(a, b, c0.dup(), ta, tb, 0.5, 2.0);
                    INDArray got = c0.dup();
                    Sgemm.gemm(a, b, got, ta, tb, 0.5, 2.0);
                    assertThat(maxDiff(got, want)).as("ta=%s tb=%s a %s", ta, tb, a.ordering()).isLessThan(1e-4);
                }
            }
        }
        assertThat(Sgemm.direct()).as("oneDNN's sgemm on the CPU backend").isTrue();
    }

    @Test
    void mismatchedShapesAreRefusedWithTheShapes() {
        assertThatThrownBy(() -> Sgemm.gemm(Nd4j.rand(4, 6), Nd4j.rand(5, 3), Nd4j.create(4, 3), false, false, 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 6]").hasMessageContaining("[5, 3]");
        assertThatThrownBy(() -> Sgemm.transposedProductRows(Nd4j.rand(4, 6), Nd4j.rand(4, 3), Nd4j.create(6, 3), 2, 7))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 7)");
    }

    @Test
    void onlyRowMajorFloatMatricesSplitIntoRows() {
        INDArray a = Nd4j.rand(4, 6);
        INDArray b = Nd4j.rand(4, 3);
        assertThat(Sgemm.splitsRows(a, b, Nd4j.create(6, 3))).isTrue();
        assertThat(Sgemm.splitsRows(a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3)), b, Nd4j.create(3, 3))).isTrue();
        assertThat(Sgemm.splitsRows(a, b, Nd4j.create('f', 6, 3))).isFalse();
        assertThat(Sgemm.splitsRows(a.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE), b, Nd4j.create(6, 3))).isFalse();
    }

    private static double maxDiff(INDArray x, INDArray y) {
        return x.sub(y).amaxNumber().doubleValue();
    }
}
