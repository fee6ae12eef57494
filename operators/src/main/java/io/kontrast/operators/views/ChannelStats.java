package io.kontrast.operators.views;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One normalisation mean and std per input channel: per colour channel of an image, per feature of
 * a sequence step or of a vector. Views and probes compute {@code (x - mean[c]) / std[c]}, with
 * {@code c = i % channels()} for value {@code i} of a sample as the trainer holds it (channels
 * last: an image's {@code [H, W, C]}, a sequence's {@code [T, F]}, a vector's {@code [F]}).
 */
public final class ChannelStats implements Serializable {
    private static final long serialVersionUID = 1L;

    private final float[] mean;
    private final float[] std;
    private final float[] inv;

    public ChannelStats(float[] mean, float[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("one mean and one std per channel, got " + mean.length + " means and " + std.length
                    + " stds");
        }
        this.mean = mean.clone();
        this.std = std.clone();
        this.inv = new float[std.length];
        for (int c = 0; c < std.length; c++) {
            if (!(std[c] > 0) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("channel " + c + ": the std must be finite and > 0 and the mean finite, got mean "
                        + mean[c] + ", std " + std[c]);
            }
            inv[c] = 1f / std[c];
        }
    }

    /** The same mean and std for each of {@code channels} channels. */
    public static ChannelStats uniform(int channels, float mean, float std) {
        float[] m = new float[channels];
        float[] s = new float[channels];
        Arrays.fill(m, mean);
        Arrays.fill(s, std);
        return new ChannelStats(m, s);
    }

    public int channels() {
        return mean.length;
    }

    public float mean(int channel) {
        return mean[channel];
    }

    public float std(int channel) {
        return std[channel];
    }

    /** {@code 1 / std(channel)}, as the views multiply by it. */
    public float inv(int channel) {
        return inv[channel];
    }

    /** Normalises {@code x[from, from + length)} in place, the value at {@code from} being channel 0. */
    public void normalize(float[] x, int from, int length) {
        int c = 0;
        int channels = mean.length;
        for (int i = from; i < from + length; i++) {
            x[i] = (x[i] - mean[c]) * inv[c];
            if (++c == channels) c = 0;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChannelStats other && Arrays.equals(mean, other.mean) && Arrays.equals(std, other.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std);
    }
}
