package io.kontrast.operators.train;

import io.kontrast.operators.decode.ImageSample;
import org.apache.flink.api.java.functions.KeySelector;

/** Routes a sample to its trainer shard, by the hash of its id. */
public class ShardKeySelector implements KeySelector<ImageSample, Integer> {
    private final int shards;

    public ShardKeySelector(int shards) {
        if (shards < 1) throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        this.shards = shards;
    }

    @Override
    public Integer getKey(ImageSample s) {
        return Math.floorMod(s.id.hashCode(), shards);
    }
}
