package io.kontrast.operators.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.math.Mlp;
import io.kontrast.math.Nd4jRuntime;
import io.kontrast.schemas.EncoderSnapshot;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotCodecTest {
    @Test
    void snapshotHoldsEveryLayerWeightInOrderWithAValidChecksum() throws Exception {
        Nd4jRuntime.init();
        Mlp mlp = new Mlp(new int[] {6, 5, 4, 3}, 1);
        var params = mlp.newParams();
        mlp.init(params, 1);
        float[] flat = params.toFloatVector();
        EncoderSnapshot s = SnapshotCodec.fromMlp(
                new SnapshotCodec.Header("m", 2, 20, 640, Instant.now(), new int[] {1, 2, 3}, 0.1f, 0.2f),
                mlp, flat, Map.of("loss", 3.0));
        assertThat(s.getLayers()).extracting(l -> l.getName() + ":" + l.getKind())
                .containsExactly("backbone.0:linear", "backbone.0.relu:relu", "head.0:linear", "head.0.relu:relu", "head.1:linear");
        assertThat(s.getWeights()).extracting(w -> w.getName())
                .containsExactly("backbone.0.weight", "backbone.0.bias", "head.0.weight", "head.0.bias", "head.1.weight", "head.1.bias");
        assertThat(s.getEmbeddingDim()).isEqualTo(5);
        var w = s.getWeights().get(2).getTensor();
        assertThat(w.getShape()).containsExactly(5, 4);
        // Row-major [in, out], little-endian: element (1, 2) is flat[offset + 1 * 4 + 2].
        float e12 = w.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).getFloat(4 * (4 + 2));
        assertThat(e12).isEqualTo(flat[(int) mlp.weightOffset(1) + 6]);
        assertThat(SnapshotCodec.verify(s)).isTrue();

        EncoderSnapshot decoded = EncoderSnapshot.getDecoder().decode(EncoderSnapshot.getEncoder().encode(s));
        assertThat(SnapshotCodec.verify(decoded)).isTrue();
        decoded.getWeights().get(0).getTensor().getData().put(0, (byte) 1);
        assertThat(SnapshotCodec.verify(decoded)).isFalse();
    }
}
