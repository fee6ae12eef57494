package io.kontrast.operators.views;

/**
 * Two augmented, normalised views of one sample: how earlier versions handed samples to the
 * trainer and kept a partial batch in its state. The trainer now builds the views itself; it
 * reads pairs kept this way on restore and trains on them as they are.
 */
public class ViewPair {
    public String id;
    public int shard;
    /** Class label, or -1. Carried for monitoring only; never used for training. */
    public int label = -1;
    public float[] first;
    public float[] second;

    public ViewPair() {}

    public ViewPair(String id, int shard, int label, float[] first, float[] second) {
        this.id = id;
        this.shard = shard;
        this.label = label;
        this.first = first;
        this.second = second;
    }
}
