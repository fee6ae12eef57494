package io.kontrast.math.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Java's view of a dense c-order array's memory, float or double, indexed from the array's first
 * element. The element-wise passes of the layers run on it: in float for training, in double for
 * gradient checks, with one body of code. Two final subclasses: a JVM that trains only ever loads
 * the float one, so its calls inline to plain buffer accesses.
 */
abstract class Mem {
    static Mem of(INDArray a) {
        if (a.rank() > 1 && a.ordering() != 'c' || a.elementWiseStride() != 1) {
            throw new IllegalArgumentException("expected a dense c-order array: " + a.shapeInfoToString());
        }
        if (a.dataType() == DataType.FLOAT) {
            return new Floats(new FloatPointer(a.data().addressPointer()).capacity(a.length()).asBuffer());
        }
        if (a.dataType() == DataType.DOUBLE) {
            return new Doubles(new DoublePointer(a.data().addressPointer()).capacity(a.length()).asBuffer());
        }
        throw new IllegalArgumentException("float or double arrays only, got " + a.dataType());
    }

    abstract double get(int i);

    abstract void put(int i, double v);

    void add(int i, double v) {
        put(i, get(i) + v);
    }

    /** Sets {@code [from, to)} to 0. */
    void zero(int from, int to) {
        for (int i = from; i < to; i++) put(i, 0);
    }

    private static final class Floats extends Mem {
        private final FloatBuffer f;

        Floats(FloatBuffer f) {
            this.f = f;
        }

        @Override
        double get(int i) {
            return f.get(i);
        }

        @Override
        void put(int i, double v) {
            f.put(i, (float) v);
        }
    }

    private static final class Doubles extends Mem {
        private final DoubleBuffer d;

        Doubles(DoubleBuffer d) {
            this.d = d;
        }

        @Override
        double get(int i) {
            return d.get(i);
        }

        @Override
        void put(int i, double v) {
            d.put(i, v);
        }
    }
}
