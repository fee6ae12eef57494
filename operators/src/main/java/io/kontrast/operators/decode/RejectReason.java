package io.kontrast.operators.decode;

/** Why an input record was dead-lettered. */
public enum RejectReason {
    EMPTY,
    OVERSIZED,
    NOT_AVRO,
    UNKNOWN_SCHEMA,
    MISSING_FIELD,
    BAD_TENSOR,
    SHAPE_MISMATCH,
    NON_FINITE,
    BAD_IMAGE
}
