package io.kontrast.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;

/**
 * Every version of the {@link Sample} schema that producers may have written with, and a decoder
 * that reads them all into the current one. Records are single-object encoded, so each names its
 * writer schema by fingerprint; a record of an earlier version is resolved to the current schema
 * (fields added since take their defaults).
 *
 * <p>Version 1 had no {@code parts}. Each released version is kept under {@code
 * io/kontrast/schemas/history/Sample-N.avsc}; a schema change adds the outgoing one there.
 */
public final class SampleSchemas {
    /** Released versions before the current one, oldest first. */
    static final List<String> HISTORY = List.of("Sample-1.avsc");

    private SampleSchemas() {}

    /** The earlier versions, parsed. */
    public static List<Schema> earlier() {
        return HISTORY.stream().map(SampleSchemas::load).toList();
    }

    /** A decoder of the current schema that also reads every earlier version; one per thread. */
    public static BinaryMessageDecoder<Sample> decoder() {
        BinaryMessageDecoder<Sample> d = new BinaryMessageDecoder<>(SpecificData.getForSchema(Sample.getClassSchema()),
                Sample.getClassSchema());
        for (Schema s : earlier()) d.addSchema(s);
        return d;
    }

    private static Schema load(String file) {
        try (InputStream in = SampleSchemas.class.getResourceAsStream("history/" + file)) {
            if (in == null) throw new IllegalStateException("missing schema resource history/" + file);
            Schema.Parser parser = new Schema.Parser();
            parser.addTypes(List.of(Tensor.getClassSchema(), DType.getClassSchema()));
            return parser.parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
