package io.kontrast.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
    static final ImageDecoder RGB32 = new ImageDecoder(3, 32, 32, 1 << 20, 4_000_000);

    /** A 32×32 RGB test image: red rising to the right, green rising downwards, blue constant. */
    static BufferedImage picture(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) img.setRGB(x, y, (x * 255 / (w - 1)) << 16 | (y * 255 / (h - 1)) << 8 | 77);
        }
        return img;
    }

    static byte[] encode(BufferedImage img, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, format, out)).isTrue();
        return out.toByteArray();
    }

    @Test
    void decodesPngExactlyAndJpegClosely() throws Exception {
        BufferedImage img = picture(32, 32);
        for (String format : new String[] {"png", "jpeg"}) {
            var r = RGB32.decode("id-" + format, 5L, 3, encode(img, format));
            assertThat(r.ok()).as(format + ": " + r.message()).isTrue();
            assertThat(r.sample().id).isEqualTo("id-" + format);
            assertThat(r.sample().label).isEqualTo(3);
            assertThat(r.sample().channels).isEqualTo(3);
            float tolerance = format.equals("png") ? 1e-6f : 0.08f;
            float[] px = r.sample().pixels;
            for (int y = 0; y < 32; y += 5) {
                for (int x = 0; x < 32; x += 5) {
                    int v = img.getRGB(x, y);
                    int p = (y * 32 + x) * 3;
                    assertThat(px[p]).isCloseTo(((v >> 16) & 0xFF) / 255f, Offset.offset(tolerance));
                    assertThat(px[p + 1]).isCloseTo(((v >> 8) & 0xFF) / 255f, Offset.offset(tolerance));
                    assertThat(px[p + 2]).isCloseTo((v & 0xFF) / 255f, Offset.offset(tolerance));
                }
            }
        }
    }

    @Test
    void largerAndGrayImagesAreFittedToTheInput() throws Exception {
        var large = RGB32.decode("a", 0, -1, encode(picture(96, 64), "png"));
        assertThat(large.ok()).isTrue();
        assertThat(large.sample().pixels).hasSize(3 * 32 * 32);
        BufferedImage gray = new BufferedImage(40, 40, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(3, 3, 0, 200);
        var fromGray = new ImageDecoder(1, 28, 28, 1 << 20, 4_000_000).decode("g", 0, -1, encode(gray, "png"));
        assertThat(fromGray.ok()).isTrue();
        assertThat(fromGray.sample().pixels).hasSize(784);
    }

    /**
     * A PNG of a few dozen bytes whose header claims 100,000 × 100,000 pixels is refused from its
     * header, before any decoding (decoding would need 40 GB).
     */
    @Test
    void aDecompressionBombIsRefusedBeforeDecoding() throws Exception {
        byte[] bomb = png(100_000, 100_000);
        assertThat(bomb.length).isLessThan(200);
        var r = RGB32.decode("bomb", 0, -1, bomb);
        assertThat(r.reason()).isEqualTo(RejectReason.OVERSIZED);
        assertThat(r.message()).contains("100000x100000").contains("not decoded");
        assertThat(new ImageDecoder(3, 32, 32, 100, 4_000_000).decode("big", 0, -1, encode(picture(32, 32), "png")).reason())
                .isEqualTo(RejectReason.OVERSIZED);
    }

    @Test
    void undecodableBytesAreBadImagesWithTheDecodersMessage() throws Exception {
        assertThat(RGB32.decode("x", 0, -1, "hello".getBytes()).reason()).isEqualTo(RejectReason.BAD_IMAGE);
        assertThat(RGB32.decode("x", 0, -1, new byte[0]).reason()).isEqualTo(RejectReason.EMPTY);
        byte[] png = encode(picture(32, 32), "png");
        var truncated = RGB32.decode("x", 0, -1, java.util.Arrays.copyOf(png, png.length / 2));
        assertThat(truncated.reason()).isEqualTo(RejectReason.BAD_IMAGE);
        assertThat(truncated.message()).startsWith("undecodable image: ");
    }

    /** 3,000 random mutations of real PNGs and JPEGs: each decodes or is a dead letter with a reason; none throws. */
    @Test
    void fuzzedImagesNeverThrow() throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        byte[][] seeds = {encode(picture(32, 32), "png"), encode(picture(32, 32), "jpeg"), encode(picture(48, 20), "png")};
        int ok = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] b = seeds[i % seeds.length].clone();
            int flips = 1 + rnd.nextInt(8);
            for (int f = 0; f < flips; f++) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            if (rnd.nextInt(4) == 0) b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            var r = RGB32.decode("f" + i, 0, -1, b);
            if (r.ok()) {
                ok++;
                assertThat(r.sample().pixels).hasSize(3 * 32 * 32);
            } else {
                assertThat(r.reason()).isIn(Set.of(RejectReason.BAD_IMAGE, RejectReason.OVERSIZED, RejectReason.EMPTY));
                assertThat(r.message()).isNotBlank();
            }
        }
        assertThat(ok).as("some mutations still decode").isGreaterThan(0).isLessThan(3000);
    }

    /** A minimal valid PNG header of the given size with one tiny compressed chunk of image data. */
    static byte[] png(int width, int height) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(ihdr);
        h.writeInt(width);
        h.writeInt(height);
        h.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB
        chunk(out, "IHDR", ihdr.toByteArray());
        Deflater d = new Deflater();
        d.setInput(new byte[1024]);
        d.finish();
        byte[] z = new byte[256];
        int n = d.deflate(z);
        chunk(out, "IDAT", java.util.Arrays.copyOf(z, n));
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws Exception {
        out.writeInt(data.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }
}
