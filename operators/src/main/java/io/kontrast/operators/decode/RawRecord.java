package io.kontrast.operators.decode;

/** A Kafka record as read, before decoding: kept whole so a bad one can be dead-lettered. */
public class RawRecord {
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] key;
    public byte[] value;
    /** The record's {@code kontrast.label} header, or -1: labels of raw image records, for the quality monitor only. */
    public int label = -1;

    public RawRecord() {}

    public RawRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }
}
