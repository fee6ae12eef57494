package io.kontrast.operators.train;

import io.kontrast.operators.views.ViewPair;
import org.apache.flink.api.java.functions.KeySelector;

/** Routes a view pair to its trainer shard. */
public class ShardKeySelector implements KeySelector<ViewPair, Integer> {
    @Override
    public Integer getKey(ViewPair v) {
        return v.shard;
    }
}
