package io.kontrast.math.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A batch of activations (or of their gradients) in three views of the same NHWC memory: {@code
 * nhwc} {@code [B, H, W, C]}, {@code rows} {@code [B·H·W, C]} (per-channel work: bias, batch
 * norm) and {@code flat} {@code [B, H·W·C]} (per-sample work: linear layers).
 */
final class Act {
    final Shape shape;
    final int batch;
    INDArray nhwc;
    INDArray rows;
    INDArray flat;
    private INDArray arena;
    private long offset;

    Act(Shape shape, int batch) {
        this.shape = shape;
        this.batch = batch;
    }

    /** Points the three views at {@code batch · shape.size()} values of the arena from {@code offset}. */
    Act bind(INDArray arena, long offset) {
        this.arena = arena;
        this.offset = offset;
        long length = (long) batch * shape.size();
        INDArray base = offset == 0 && length == arena.length() ? arena : arena.get(NDArrayIndex.interval(offset, offset + length));
        nhwc = base.reshape('c', batch, shape.height(), shape.width(), shape.channels());
        rows = base.reshape('c', (long) batch * shape.area(), shape.channels());
        flat = base.reshape('c', batch, shape.size());
        return this;
    }

    /**
     * Rows {@code [from, to)} of {@link #rows}, as a view cut from the arena itself: ND4J's
     * row-range views of views are unreliable (some came back empty).
     */
    INDArray rows(long from, long to) {
        long c = shape.channels();
        return arena.get(NDArrayIndex.interval(offset + from * c, offset + to * c)).reshape('c', to - from, c);
    }
}
