package io.kontrast.operators.decode;

/** A decoded, validated image: pixels scaled to 0..1, row-major. */
public class ImageSample {
    public String id;
    public long eventTime;
    public int height;
    public int width;
    public float[] pixels;
    /** Class label, or -1 when the sample has none. Never used for training. */
    public int label = -1;

    public ImageSample() {}

    public ImageSample(String id, long eventTime, int height, int width, float[] pixels, int label) {
        this.id = id;
        this.eventTime = eventTime;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.label = label;
    }
}
