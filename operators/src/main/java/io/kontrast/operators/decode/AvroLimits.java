package io.kontrast.operators.decode;

import java.lang.reflect.Method;
import org.apache.avro.SystemLimitException;

/**
 * Caps what an Avro datum may claim to hold. Without caps, a few corrupt length bytes make the
 * decoder allocate gigabytes before it notices the record is short. The caps are far above what
 * valid Kontrast records hold (a sample's tensor is under a megabyte, a snapshot's largest weight a
 * few megabytes, no list has more than a few hundred items). A value set with {@code -D} wins.
 */
public final class AvroLimits {
    public static final int MAX_BYTES = 16 << 20;
    public static final int MAX_STRING = 1 << 20;
    public static final int MAX_COLLECTION_ITEMS = 1 << 16;

    private static volatile boolean applied;

    private AvroLimits() {}

    public static synchronized void apply() {
        if (applied) return;
        setIfAbsent(SystemLimitException.MAX_BYTES_LENGTH_PROPERTY, MAX_BYTES);
        setIfAbsent(SystemLimitException.MAX_STRING_LENGTH_PROPERTY, MAX_STRING);
        setIfAbsent(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY, MAX_COLLECTION_ITEMS);
        try {
            // Avro reads the limits once, when the class initialises; make it read them again.
            Method reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
            reset.setAccessible(true);
            reset.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Older or newer Avro: the properties still apply if Avro had not initialised yet.
        }
        applied = true;
    }

    private static void setIfAbsent(String key, int value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, Integer.toString(value));
        }
    }
}
