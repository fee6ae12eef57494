package io.kontrast.math;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MlpTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
    }

    static INDArray random(SplittableRandom rnd, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return Nd4j.createFromArray(v).reshape(shape);
    }

    @Test
    void parameterViewsShareTheFlatBuffer() {
        Mlp mlp = new Mlp(new int[] {4, 3, 2}, 1);
        INDArray flat = mlp.newParams();
        mlp.weight(flat, 1).putScalar(1, 0, 7f);
        mlp.bias(flat, 0).putScalar(2, 5f);
        assertThat(mlp.paramCount()).isEqualTo(4 * 3 + 3 + 3 * 2 + 2);
        assertThat(flat.getFloat(mlp.weightOffset(1) + 2)).isEqualTo(7f);
        assertThat(flat.getFloat(mlp.biasOffset(0) + 2)).isEqualTo(5f);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(3);
        Mlp mlp = new Mlp(new int[] {6, 5, 4, 3}, 1);
        INDArray params = mlp.newParams();
        mlp.init(params, 11);
        // Larger biases keep ReLU inputs away from the kink, where finite differences lie.
        params.addi(random(rnd, mlp.paramCount()).muli(0.3));
        INDArray x = random(rnd, 4, 6);
        INDArray r = random(rnd, 4, 3);
        Mlp.Workspace ws = mlp.newWorkspace(4);

        // loss = sum(out * r) so dLoss/dout = r.
        mlp.forward(params, x, ws);
        INDArray grads = mlp.newParams();
        mlp.backward(params, x, ws, r.dup(), grads);

        double eps = 1e-2;
        int checked = 0;
        for (long i = 0; i < mlp.paramCount(); i += 3) {
            float orig = params.getFloat(i);
            params.putScalar(i, orig + eps);
            double up = mlp.forward(params, x, ws).mul(r).sumNumber().doubleValue();
            params.putScalar(i, orig - eps);
            double down = mlp.forward(params, x, ws).mul(r).sumNumber().doubleValue();
            params.putScalar(i, orig);
            double numeric = (up - down) / (2 * eps);
            assertThat(grads.getDouble(i))
                    .as("dLoss/dθ[%d]", i)
                    .isCloseTo(numeric, org.assertj.core.data.Offset.offset(2e-3 + 1e-2 * Math.abs(numeric)));
            checked++;
        }
        assertThat(checked).isGreaterThan(20);
    }
}
