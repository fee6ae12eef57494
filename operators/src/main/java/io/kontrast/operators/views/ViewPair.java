package io.kontrast.operators.views;

/** Two augmented, normalised views of one sample, routed to a trainer shard. */
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
