package io.kontrast.math.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SpecJsonTest {
    @Test
    void everyPresetSurvivesARoundTripThroughJson() {
        for (EncoderSpec spec : new EncoderSpec[] {Presets.cnn(new Shape(1, 28, 28)), Presets.resnet(new Shape(3, 32, 32)),
                Presets.cnn(new Shape(3, 64, 64), 16, 32, 64, 32, false, false), Presets.cnn1d(Shape.sequence(50, 6)),
                new EncoderSpec(Shape.sequence(9, 4), java.util.List.of(LayerSpec.gru(8, true), LayerSpec.gru(6), LayerSpec.batchNorm()),
                        java.util.List.of())}) {
            assertThat(SpecJson.parse(SpecJson.write(spec), null)).isEqualTo(spec);
        }
    }

    @Test
    void defaultsAndTheConfiguredShapeApply() {
        EncoderSpec s = SpecJson.parse("""
                {"backbone": [{"kind": "conv2d", "out_channels": 8, "kernel_size": 3},
                              {"kind": "max_pool2d", "kernel_size": 2}, {"kind": "global_avg_pool"}]}""", new Shape(3, 16, 16));
        assertThat(s.input()).isEqualTo(new Shape(3, 16, 16));
        assertThat(s.backbone().get(0)).isEqualTo(LayerSpec.conv2d(8, 3, 1, 0));
        assertThat(s.backbone().get(1)).isEqualTo(LayerSpec.maxPool2d(2, 2));
        assertThat(s.head()).isEmpty();
    }

    @Test
    void errorsNameTheLayerByItsPath() {
        assertThatThrownBy(() -> SpecJson.parse("{\"backbone\": [{\"kind\": \"conv3d\"}]}", new Shape(1, 8, 8)))
                .hasMessageContaining("backbone[0]").hasMessageContaining("conv3d");
        assertThatThrownBy(() -> SpecJson.parse("""
                {"backbone": [{"kind": "residual", "body": [{"kind": "conv2d", "kernel_size": 3}]}]}""", new Shape(1, 8, 8)))
                .hasMessageContaining("backbone[0].body[0] (conv2d): missing out_channels");
        assertThatThrownBy(() -> SpecJson.parse("{\"backbone\": [{\"kind\": \"relu\", \"size\": 3}]}", new Shape(1, 8, 8)))
                .hasMessageContaining("backbone[0] (relu): unknown attribute 'size'");
        assertThatThrownBy(() -> SpecJson.parse("{\"input_shape\": [3, 32, 32], \"backbone\": [{\"kind\": \"relu\"}]}", new Shape(1, 28, 28)))
                .hasMessageContaining("differs");
        assertThatThrownBy(() -> SpecJson.parse("{\"backbone\": [", new Shape(1, 28, 28))).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> SpecJson.parse("{\"backbone\": [{\"kind\": \"gru\", \"hidden_size\": 4, \"output\": \"all\"}]}",
                Shape.sequence(5, 2))).hasMessageContaining("backbone[0] (gru): output must be \"last\" or \"sequence\"");
        assertThat(SpecJson.parse("{\"backbone\": [{\"kind\": \"gru\", \"hidden_size\": 4, \"output\": \"sequence\"}]}",
                Shape.sequence(5, 2)).backbone().get(0).everyStep()).isTrue();
        assertThatThrownBy(() -> SpecJson.parse("{\"head\": []}", new Shape(1, 28, 28))).hasMessageContaining("backbone");
    }
}
