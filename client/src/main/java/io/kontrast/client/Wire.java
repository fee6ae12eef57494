package io.kontrast.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BinaryMessageEncoder;

/** Avro single-object encoding of a record into a byte array, as it goes on the wire. */
public final class Wire {
    private Wire() {}

    public static <T> byte[] encode(BinaryMessageEncoder<T> encoder, T record) {
        try {
            ByteBuffer buf = encoder.encode(record);
            byte[] out = new byte[buf.remaining()];
            buf.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
