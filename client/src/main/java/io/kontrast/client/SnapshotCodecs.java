package io.kontrast.client;

import io.kontrast.schemas.EncoderSnapshot;

/** Decodes snapshot records from the wire (Avro single-object encoding) into encoders. */
public final class SnapshotCodecs {
    private SnapshotCodecs() {}

    public static EncoderSnapshot decode(byte[] value) {
        if (value == null || value.length == 0) {
            throw new InvalidSnapshotException("empty snapshot record");
        }
        try {
            return EncoderSnapshot.getDecoder().decode(value);
        } catch (Exception | StackOverflowError e) {
            throw new InvalidSnapshotException("not a readable EncoderSnapshot: " + e, e);
        }
    }

    public static Encoder encoder(byte[] value) {
        return Encoder.fromSnapshot(decode(value));
    }
}
