package io.kontrast.math.nn;

import java.util.List;

/**
 * An encoder as data: the shape of one input sample, the backbone (whose output is the published
 * representation) and the projection head used in training.
 */
public record EncoderSpec(Shape input, List<LayerSpec> backbone, List<LayerSpec> head) {
    public EncoderSpec {
        backbone = List.copyOf(backbone);
        head = List.copyOf(head);
        if (backbone.isEmpty()) {
            throw new IllegalArgumentException("an encoder needs at least one backbone layer");
        }
    }
}
