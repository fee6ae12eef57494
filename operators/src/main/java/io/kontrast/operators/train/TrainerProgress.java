package io.kontrast.operators.train;

/**
 * A trainer shard's counters, kept in keyed state. A POJO so that added fields keep old
 * savepoints readable (Flink's POJO serializer evolves by field name).
 */
public class TrainerProgress {
    public long step;
    public long version;
    public long samplesSeen;
    public int queuePointer;
    public long queueFilled;
    public long skippedSteps;
    public float lastLoss = Float.NaN;
    public double lossAverage = Double.NaN;
    // The replay buffer: slots filled, samples offered to it, and replayed samples trained on.
    public int replayFilled;
    public long replayOffered;
    public long replayed;
    // Replay steps drawn so far: each step's draw from the buffer is a function of it.
    public long replayDraws;

    public TrainerProgress() {}

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TrainerProgress p)) return false;
        return step == p.step && version == p.version && samplesSeen == p.samplesSeen
                && queuePointer == p.queuePointer && queueFilled == p.queueFilled
                && skippedSteps == p.skippedSteps && Float.compare(lastLoss, p.lastLoss) == 0
                && Double.compare(lossAverage, p.lossAverage) == 0 && replayFilled == p.replayFilled
                && replayOffered == p.replayOffered && replayed == p.replayed && replayDraws == p.replayDraws;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(step * 31 + version);
    }

    @Override
    public String toString() {
        return "TrainerProgress{step=" + step + ", version=" + version + ", samplesSeen=" + samplesSeen
                + ", queuePointer=" + queuePointer + ", queueFilled=" + queueFilled
                + ", skippedSteps=" + skippedSteps + ", lastLoss=" + lastLoss + ", lossAverage=" + lossAverage + ", replayFilled=" + replayFilled + ", replayOffered=" + replayOffered
                + ", replayed=" + replayed + ", replayDraws=" + replayDraws + "}";
    }
}
