package io.kontrast.operators.decode;

/**
 * Fits a decoded image to the encoder's input: channels converted (gray replicated to RGB, RGB to
 * its luma, ITU-R 601), then resized so that its shorter side matches (the other side keeps the
 * aspect ratio) and centre-cropped to the input's height and width, as torchvision's {@code
 * Resize(size)} + {@code CenterCrop(size)} do for evaluation. Resizing is separable with a
 * triangle filter widened by the scale when shrinking (antialiased, as PIL's bilinear), so a
 * large photo does not alias. Images are (h, w, c) interleaved, values in 0..1.
 */
public final class ImageFit {
    private ImageFit() {}

    public static float[] fit(float[] src, int channels, int height, int width, int outChannels, int outHeight, int outWidth) {
        float[] img = channels == outChannels ? src : convert(src, channels, outChannels, height * width);
        if (height == outHeight && width == outWidth) {
            return img;
        }
        double scale = Math.max((double) outHeight / height, (double) outWidth / width);
        int rh = Math.max(outHeight, (int) Math.round(height * scale));
        int rw = Math.max(outWidth, (int) Math.round(width * scale));
        float[] resized = img;
        if (rw != width) resized = resizeAxis(resized, height, width, outChannels, rw);
        if (rh != height) resized = resizeAxis(resized, 1, height, rw * outChannels, rh);
        if (rh == outHeight && rw == outWidth) {
            return resized;
        }
        int y0 = (rh - outHeight) / 2;
        int x0 = (rw - outWidth) / 2;
        float[] out = new float[outHeight * outWidth * outChannels];
        int row = outWidth * outChannels;
        for (int y = 0; y < outHeight; y++) {
            System.arraycopy(resized, ((y0 + y) * rw + x0) * outChannels, out, y * row, row);
        }
        return out;
    }

    private static float[] convert(float[] src, int from, int to, int pixels) {
        float[] out = new float[pixels * to];
        if (from == 1 && to == 3) {
            for (int p = 0; p < pixels; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = src[p];
        } else if (from == 3 && to == 1) {
            for (int p = 0; p < pixels; p++) out[p] = (float) (0.299 * src[3 * p] + 0.587 * src[3 * p + 1] + 0.114 * src[3 * p + 2]);
        } else {
            throw new IllegalArgumentException("cannot convert " + from + " channels to " + to);
        }
        return out;
    }

    /**
     * Resamples the middle axis of {@code src}, seen as {@code [outer, inLen, inner]}, to {@code
     * outLen}: each output is a weighted mean of the inputs whose centres lie within the filter's
     * support (1 input pixel when growing, 1/scale when shrinking).
     */
    static float[] resizeAxis(float[] src, int outer, int inLen, int inner, int outLen) {
        double scale = (double) outLen / inLen;
        double support = scale < 1 ? 1 / scale : 1;
        float[] dst = new float[outer * outLen * inner];
        double[] acc = new double[inner];
        for (int o = 0; o < outLen; o++) {
            double center = (o + 0.5) / scale;
            int lo = Math.max(0, (int) Math.floor(center - support));
            int hi = Math.min(inLen, (int) Math.ceil(center + support));
            double[] w = new double[hi - lo];
            double sum = 0;
            for (int i = lo; i < hi; i++) {
                w[i - lo] = Math.max(0, 1 - Math.abs(i + 0.5 - center) / support);
                sum += w[i - lo];
            }
            if (sum == 0) {
                // Only at the very edge: take the nearest input.
                int i = Math.min(inLen - 1, Math.max(0, (int) center));
                java.util.Arrays.fill(w, 0);
                lo = i;
                w = new double[] {1};
                sum = 1;
            }
            for (int a = 0; a < outer; a++) {
                java.util.Arrays.fill(acc, 0);
                for (int i = 0; i < w.length; i++) {
                    if (w[i] == 0) continue;
                    int base = (a * inLen + lo + i) * inner;
                    for (int k = 0; k < inner; k++) acc[k] += w[i] * src[base + k];
                }
                int out = (a * outLen + o) * inner;
                for (int k = 0; k < inner; k++) dst[out + k] = (float) (acc[k] / sum);
            }
        }
        return dst;
    }
}
