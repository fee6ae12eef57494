package io.kontrast.operators.decode;

/**
 * A decoded, validated image: pixels scaled to 0..1, row-major, channels interleaved ((h, w, c)
 * order). A POJO, so that fields can be added without breaking restored state ({@code channels}
 * came later: samples restored from before it are single-channel).
 */
public class ImageSample {
    public String id;
    public long eventTime;
    public int height;
    public int width;
    /** 1 (gray) or 3 (RGB). */
    public int channels = 1;
    public float[] pixels;
    /** Class label, or -1 when the sample has none. Never used for training. */
    public int label = -1;
    /**
     * The object the sample shows, when a record names it (an attribute): repeat sightings of one
     * object share it. Null means the sample's own id. InstDisc keeps one bank entry per instance.
     */
    public String instance;

    public ImageSample() {}

    public ImageSample(String id, long eventTime, int height, int width, float[] pixels, int label) {
        this(id, eventTime, 1, height, width, pixels, label);
    }

    public ImageSample(String id, long eventTime, int channels, int height, int width, float[] pixels, int label) {
        this.channels = channels;
        this.id = id;
        this.eventTime = eventTime;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.label = label;
    }

    /** {@link #instance}, or the id when the record named none. */
    public String instanceOrId() {
        return instance != null ? instance : id;
    }
}
