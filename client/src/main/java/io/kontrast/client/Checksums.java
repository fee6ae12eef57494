package io.kontrast.client;

import io.kontrast.schemas.EncoderSnapshot;
import io.kontrast.schemas.NamedTensor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** The snapshot checksum: {@code sha256:} + hex SHA-256 over each weight's UTF-8 name then its data bytes, in order. */
public final class Checksums {
    private Checksums() {}

    public static String of(List<NamedTensor> weights) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (NamedTensor w : weights) {
                md.update(w.getName().getBytes(StandardCharsets.UTF_8));
                md.update(w.getTensor().getData().duplicate());
            }
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean verify(EncoderSnapshot s) {
        return s.getChecksum() != null && s.getChecksum().equals(of(s.getWeights()));
    }
}
