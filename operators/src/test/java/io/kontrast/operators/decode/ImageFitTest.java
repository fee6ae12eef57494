package io.kontrast.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ImageFitTest {
    /** The shorter side is resized to the target and the longer one centre-cropped. */
    @Test
    void resizesTheShorterSideAndCropsTheCentre() {
        // 16 rows x 32 columns, gray, each pixel the value of its column / 31.
        float[] img = new float[16 * 32];
        for (int y = 0; y < 16; y++) for (int x = 0; x < 32; x++) img[y * 32 + x] = x / 31f;
        float[] out = ImageFit.fit(img, 1, 16, 32, 1, 8, 8);
        assertThat(out).hasSize(64);
        // Halved to 8x16, then columns 4..11 of 16 kept: columns 8..23 of the original, averaged in pairs.
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                assertThat(out[y * 8 + x]).isCloseTo((2 * (x + 4) + 0.5f) / 31f, Offset.offset(0.02f));
            }
        }
    }

    /** Shrinking averages over the footprint: a fine checkerboard becomes flat gray, not aliased. */
    @Test
    void shrinkingIsAntialiased() {
        float[] board = new float[64 * 64];
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) board[y * 64 + x] = (x + y) % 2;
        float[] out = ImageFit.fit(board, 1, 64, 64, 1, 8, 8);
        for (float v : out) assertThat(v).isCloseTo(0.5f, Offset.offset(0.05f));
    }

    @Test
    void anImageOfTheTargetSizeIsLeftAsItIs() {
        float[] img = {0.1f, 0.2f, 0.3f, 0.4f};
        assertThat(ImageFit.fit(img, 1, 2, 2, 1, 2, 2)).isSameAs(img);
    }
}
