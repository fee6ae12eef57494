package io.kontrast.math.nn;

/**
 * The shape of one sample as a layer sees it: channels × height × width. A vector of {@code F}
 * values is {@code F×1×1}; a sequence of {@code T} steps of {@code F} features is {@code F×1×T},
 * so that its NHWC layout is the sequence's own {@code [T, F]}. In memory a batch is NHWC: a
 * sample's values run in (h, w, c) order.
 */
public record Shape(int channels, int height, int width) {
    public Shape {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("a shape needs positive sizes, got " + channels + "x" + height + "x" + width);
        }
    }

    public static Shape vector(int features) {
        return new Shape(features, 1, 1);
    }

    /** A sequence of {@code steps} steps of {@code features} features each. */
    public static Shape sequence(int steps, int features) {
        return new Shape(features, 1, steps);
    }

    /**
     * Parses {@code C×H×W} written as {@code 3x32x32} (or with {@code ×} or {@code ,}), {@code
     * T×F} for a sequence, or a single number for a vector.
     */
    public static Shape parse(String text) {
        String[] parts = text.trim().toLowerCase().split("\\s*[x×,]\\s*");
        try {
            if (parts.length == 1) {
                return vector(Integer.parseInt(parts[0]));
            }
            if (parts.length == 2) {
                return sequence(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
            }
            if (parts.length == 3) {
                return new Shape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("expected CxHxW (such as 3x32x32), TxF for a sequence or a vector length, got '" + text + "'");
    }

    /** Values in one sample. */
    public int size() {
        return Math.multiplyExact(Math.multiplyExact(channels, height), width);
    }

    public boolean isVector() {
        return height == 1 && width == 1;
    }

    /** A sequence: {@code F×1×T} with {@code T > 1}. */
    public boolean isSequence() {
        return height == 1 && width > 1;
    }

    /** Steps of a sequence. */
    public int steps() {
        return width;
    }

    /** Pixels per channel. */
    public int area() {
        return height * width;
    }

    @Override
    public String toString() {
        return isVector() ? Integer.toString(channels) : isSequence() ? width + "x" + channels : channels + "x" + height + "x" + width;
    }
}
