package io.kontrast.math.objective;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * InstDisc's memory bank: one unit-length feature per instance, in slots of a fixed capacity.
 *
 * <p>An instance is a string (the sample id, or an attribute naming the object, so that repeat
 * sightings of one object share an entry). New instances take the next slot; when every slot is
 * taken, the slot written first is given to the new instance (the oldest instance is forgotten).
 * Slots written since {@link #takeDirty} are tracked, so that a checkpoint writes only those.
 */
public final class MemoryBank {
    private final int capacity;
    private final int dim;
    private final float[] vectors;
    private final String[] instances;
    private final Map<String, Integer> slots = new HashMap<>();
    private final BitSet dirty = new BitSet();
    private int filled;
    private int pointer;

    public MemoryBank(int capacity, int dim) {
        if (capacity < 1) throw new IllegalArgumentException("a memory bank needs at least one slot");
        this.capacity = capacity;
        this.dim = dim;
        vectors = new float[Math.multiplyExact(capacity, dim)];
        instances = new String[capacity];
    }

    public int capacity() {
        return capacity;
    }

    public int dim() {
        return dim;
    }

    /** Slots holding an instance. */
    public int filled() {
        return filled;
    }

    /** The slot the next new instance takes once the bank is full. */
    public int pointer() {
        return pointer;
    }

    /** The slot of {@code instance}, or -1. */
    public int slotOf(String instance) {
        Integer s = slots.get(instance);
        return s == null ? -1 : s;
    }

    /** Copies slot {@code slot}'s feature into {@code dst} at {@code offset}. */
    void read(int slot, double[] dst, int offset) {
        int o = slot * dim;
        for (int c = 0; c < dim; c++) dst[offset + c] = vectors[o + c];
    }

    /** A copy of slot {@code slot}'s feature. */
    public float[] vector(int slot) {
        float[] v = new float[dim];
        System.arraycopy(vectors, slot * dim, v, 0, dim);
        return v;
    }

    /** The instance in slot {@code slot}, or null. */
    public String instance(int slot) {
        return instances[slot];
    }

    /**
     * Writes {@code v} (a unit vector, {@code dim} values from {@code offset}) as {@code instance}'s
     * feature: into its slot, or into a new one. Returns the slot.
     */
    int put(String instance, double[] v, int offset) {
        int slot = slotOf(instance);
        if (slot < 0) {
            if (filled < capacity) {
                slot = filled++;
            } else {
                slot = pointer;
                pointer = (pointer + 1) % capacity;
                slots.remove(instances[slot]);
            }
            instances[slot] = instance;
            slots.put(instance, slot);
        }
        int o = slot * dim;
        for (int c = 0; c < dim; c++) vectors[o + c] = (float) v[offset + c];
        dirty.set(slot);
        return slot;
    }

    /** {@code m} slots drawn uniformly (with replacement) from the filled ones, into {@code out}. */
    void sample(SplittableRandom rnd, int[] out) {
        for (int i = 0; i < out.length; i++) out[i] = rnd.nextInt(filled);
    }

    /** Slots written since the last call, which it clears. */
    public BitSet takeDirty() {
        BitSet d = (BitSet) dirty.clone();
        dirty.clear();
        return d;
    }

    /** Writes a slot back from a checkpoint. Call for every saved slot, then {@link #restorePointer}. */
    public void restore(int slot, String instance, float[] v) {
        if (slot < 0 || slot >= capacity || v.length != dim) {
            throw new IllegalArgumentException("bank slot " + slot + " of " + v.length + " values does not fit a bank of "
                    + capacity + " x " + dim + " (was the bank size or the encoder changed?)");
        }
        if (instances[slot] == null) filled++;
        else slots.remove(instances[slot]);
        instances[slot] = instance;
        slots.put(instance, slot);
        System.arraycopy(v, 0, vectors, slot * dim, dim);
    }

    public void restorePointer(int pointer) {
        if (pointer < 0 || pointer >= capacity) throw new IllegalArgumentException("bank pointer " + pointer);
        this.pointer = pointer;
    }
}
