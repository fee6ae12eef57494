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
 * gradient checks, with one body of code.
 */
final class Mem {
    private final FloatBuffer f;
    private final DoubleBuffer d;

    Mem(INDArray a) {
        if (a.rank() > 1 && a.ordering() != 'c' || a.elementWiseStride() != 1) {
            throw new IllegalArgumentException("expected a dense c-order array: " + a.shapeInfoToString());
        }
        if (a.dataType() == DataType.FLOAT) {
            f = new FloatPointer(a.data().addressPointer()).capacity(a.length()).asBuffer();
            d = null;
        } else if (a.dataType() == DataType.DOUBLE) {
            d = new DoublePointer(a.data().addressPointer()).capacity(a.length()).asBuffer();
            f = null;
        } else {
            throw new IllegalArgumentException("float or double arrays only, got " + a.dataType());
        }
    }

    double get(int i) {
        return f != null ? f.get(i) : d.get(i);
    }

    void put(int i, double v) {
        if (f != null) f.put(i, (float) v);
        else d.put(i, v);
    }

    void add(int i, double v) {
        if (f != null) f.put(i, f.get(i) + (float) v);
        else d.put(i, d.get(i) + v);
    }

    /** Sets {@code [from, to)} to 0. */
    void zero(int from, int to) {
        for (int i = from; i < to; i++) put(i, 0);
    }
}
