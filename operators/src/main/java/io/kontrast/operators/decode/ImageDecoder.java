package io.kontrast.operators.decode;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes records whose value is an encoded image (JPEG, PNG, and whatever else the JDK's
 * ImageIO reads: GIF, BMP, WBMP) into an {@link ImageSample} fitted to the encoder's input (see
 * {@link ImageFit}).
 *
 * <p>Hostile input is refused before it can cost much: a record over the byte cap is {@code
 * OVERSIZED}; the image's dimensions are read from its header first, and an image of more pixels
 * than the cap (a decompression bomb: a few kilobytes of PNG can claim gigapixels) is {@code
 * OVERSIZED} without being decoded. Anything the decoder rejects is {@code BAD_IMAGE}, with its
 * message. Nothing a record holds makes this throw.
 */
public final class ImageDecoder {
    private final int channels;
    private final int height;
    private final int width;
    private final int maxRecordBytes;
    private final long maxPixels;

    public ImageDecoder(int channels, int height, int width, int maxRecordBytes, long maxPixels) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.maxRecordBytes = maxRecordBytes;
        this.maxPixels = maxPixels;
        ImageIO.setUseCache(false); // decode in memory, never through temporary files
    }

    public SampleDecoder.Result decode(String id, long eventTime, int label, byte[] value) {
        if (value == null || value.length == 0) {
            return SampleDecoder.Result.reject(RejectReason.EMPTY, "record has no value");
        }
        if (value.length > maxRecordBytes) {
            return SampleDecoder.Result.reject(RejectReason.OVERSIZED,
                    "record of " + value.length + " bytes exceeds the limit of " + maxRecordBytes);
        }
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(value))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return SampleDecoder.Result.reject(RejectReason.BAD_IMAGE, "not an image format ImageIO reads (JPEG, PNG, GIF, BMP)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w < 1 || h < 1) {
                    return SampleDecoder.Result.reject(RejectReason.BAD_IMAGE, "image of " + w + "x" + h + " pixels");
                }
                if (w * h > maxPixels) {
                    return SampleDecoder.Result.reject(RejectReason.OVERSIZED, reader.getFormatName() + " image of " + w + "x" + h
                            + " pixels exceeds the limit of " + maxPixels + " pixels (not decoded)");
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            return SampleDecoder.Result.reject(RejectReason.BAD_IMAGE, "undecodable image: " + e);
        }
        int w = img.getWidth();
        int h = img.getHeight();
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] rgb = new float[w * h * 3];
        for (int p = 0; p < argb.length; p++) {
            int v = argb[p];
            rgb[3 * p] = ((v >> 16) & 0xFF) / 255f;
            rgb[3 * p + 1] = ((v >> 8) & 0xFF) / 255f;
            rgb[3 * p + 2] = (v & 0xFF) / 255f;
        }
        float[] fitted = ImageFit.fit(rgb, 3, h, w, channels, height, width);
        return SampleDecoder.Result.ok(new ImageSample(id, eventTime, channels, height, width, fitted, label));
    }
}
