package io.kontrast.operators.views;

import io.kontrast.operators.TrainerSettings.ViewSettings;
import io.kontrast.operators.decode.ImageSample;
import java.util.SplittableRandom;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Builds the two augmented views of each sample (see {@link ViewAugmenter}), reproducibly seeded
 * by the sample id. Stateless, so it scales with its parallelism.
 */
public class ViewPairFunction extends RichMapFunction<ImageSample, ViewPair> {
    private final ViewSettings settings;
    private final int shards;
    private transient ViewAugmenter augmenter;

    public ViewPairFunction(ViewSettings settings, int shards) {
        this.settings = settings;
        this.shards = shards;
    }

    @Override
    public void open(OpenContext ctx) {
        augmenter = new ViewAugmenter(settings);
    }

    @Override
    public ViewPair map(ImageSample s) {
        SplittableRandom rnd = augmenter.randomFor(s.id);
        int n = s.height * s.width;
        float[] a = new float[n];
        float[] b = new float[n];
        augmenter.augment(s.pixels, s.height, s.width, rnd, a);
        augmenter.augment(s.pixels, s.height, s.width, rnd, b);
        int shard = Math.floorMod(s.id.hashCode(), shards);
        return new ViewPair(s.id, shard, s.label, a, b);
    }
}
