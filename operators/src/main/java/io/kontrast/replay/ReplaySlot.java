package io.kontrast.replay;

/**
 * One sample in a {@link ReplayBuffer}, as keyed state keeps it (a POJO, so that added fields keep
 * old checkpoints readable): the sample, how often it has been replayed, its feature from the last
 * training pass that saw it (null for the reservoir policy). Its nearest neighbour, which changes far
 * more often, is kept apart ({@link ReplayBuffer#neighbour}).
 */
public class ReplaySlot {
    public String id;
    public String instance;
    public int label = -1;
    public long eventTime;
    public float[] pixels;
    public int sightings;
    public float[] feature;

    public ReplaySlot() {}
}
