package io.kontrast.operators.train;

import org.apache.flink.api.common.accumulators.Accumulator;
import org.apache.flink.api.common.accumulators.SimpleAccumulator;

/** An accumulator that keeps the most recently set value; merging keeps the other's if set. */
public class LatestValue implements SimpleAccumulator<Double> {
    private double value = Double.NaN;

    @Override
    public void add(Double v) {
        value = v;
    }

    @Override
    public Double getLocalValue() {
        return value;
    }

    @Override
    public void resetLocal() {
        value = Double.NaN;
    }

    @Override
    public void merge(Accumulator<Double, Double> other) {
        double o = other.getLocalValue();
        if (!Double.isNaN(o)) {
            value = o;
        }
    }

    @Override
    public LatestValue clone() {
        LatestValue c = new LatestValue();
        c.value = value;
        return c;
    }
}
