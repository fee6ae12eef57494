package io.kontrast.replay;

import io.kontrast.math.Sgemm;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Locale;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A replay buffer of samples read from the stream, so that training batches are drawn from many
 * minutes of the stream rather than from its head (a stream in runs of one class, or drifting,
 * otherwise fills each batch with near-duplicates).
 *
 * <p>Slots {@code 0 .. filled-1} hold samples; a sample offered to a full buffer either replaces
 * one or is dropped, by the {@link Policy}:
 *
 * <ul>
 *   <li>{@code reservoir}: the {@code n}-th sample offered is kept with probability
 *       {@code capacity / n}, in a uniformly drawn slot (Vitter's algorithm R): the buffer is a
 *       uniform sample of everything read so far;
 *   <li>{@code min-redundancy} (Purushwalkam et al., ECCV 2022): each slot keeps the L2-normalised
 *       feature the encoder gave the sample in its last training pass, and its nearest neighbour
 *       in the buffer; a new sample evicts the sample whose nearest neighbour is the most similar
 *       (or is dropped, if it is itself more redundant than that). Incremental: a batch of
 *       {@code n} samples costs one {@code n × filled} GEMM against the features plus scans of
 *       {@code filled} per sample, never a {@code filled × filled} matrix. The neighbours of an
 *       evicted sample's neighbours are recomputed exactly, in one GEMM per batch; a replayed
 *       sample's refreshed feature updates the neighbours it now is closer to exactly, and lowers
 *       to the new similarity (without a search) the neighbour records that pointed at it.
 * </ul>
 *
 * <p>Every random choice is a function of the seed and a counter, so a buffer restored from its
 * slots, neighbours and counters continues exactly as the uninterrupted one. No Flink here: the
 * trainer copies changed slots ({@link #takeDirty}) into keyed state at checkpoints.
 */
public final class ReplayBuffer {
    /** How a full buffer chooses what to keep. */
    public enum Policy {
        NONE,
        RESERVOIR,
        MIN_REDUNDANCY;

        public static Policy parse(String name) {
            for (Policy p : values()) {
                if (p.optionName().equals(name)) return p;
            }
            throw new IllegalArgumentException("unknown replay policy '" + name + "'; expected none, reservoir or min-redundancy");
        }

        public String optionName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Rows of new samples compared with the buffer in one GEMM. */
    private static final int CHUNK = 64;

    private final Policy policy;
    private final int capacity;
    private final int inputSize;
    private final int dim;
    private final long seed;
    private final float[][] pixels;
    private final String[] ids;
    private final String[] instances;
    private final int[] labels;
    private final long[] eventTimes;
    private final int[] sightings;
    // Minimum redundancy: features [capacity, dim] and each slot's nearest neighbour.
    private final INDArray features;
    private final FloatBuffer featureData;
    private final float[] nnSim;
    private final int[] nnIdx;
    private INDArray sims;
    private FloatBuffer simData;
    private INDArray rows;
    private FloatBuffer rowData;
    private float[] rowSims;
    // Scratch of a chunk offered: its rows, their similarities to each other, the slots it took.
    private float[] chunkRows;
    private float[] chunkWithin;
    private int[] chunkTaken;
    private int[] staleList = new int[16];
    private final BitSet drawMarks = new BitSet();
    private final int[] ownerOf;
    // Slots whose neighbour was evicted during the chunk being offered.
    private final boolean[] stale;
    private int filled;
    private long offered;
    private long dropped;
    private final BitSet dirty = new BitSet();
    private final BitSet dirtyNeighbours = new BitSet();

    /**
     * @param dim the length of the features compared by {@code min-redundancy} (ignored otherwise)
     */
    public ReplayBuffer(Policy policy, int capacity, int inputSize, int dim, long seed) {
        if (policy == Policy.NONE) throw new IllegalArgumentException("a replay buffer needs a policy other than none");
        if (capacity < 1) throw new IllegalArgumentException("a replay buffer needs at least one slot, got " + capacity);
        this.policy = policy;
        this.capacity = capacity;
        this.inputSize = inputSize;
        this.dim = dim;
        this.seed = seed;
        pixels = new float[capacity][];
        ids = new String[capacity];
        instances = new String[capacity];
        labels = new int[capacity];
        eventTimes = new long[capacity];
        sightings = new int[capacity];
        if (policy == Policy.MIN_REDUNDANCY) {
            features = Nd4j.create(DataType.FLOAT, capacity, dim);
            featureData = features.data().asNioFloat();
            nnSim = new float[capacity];
            nnIdx = new int[capacity];
            Arrays.fill(nnSim, Float.NEGATIVE_INFINITY);
            Arrays.fill(nnIdx, -1);
            ownerOf = new int[capacity];
            Arrays.fill(ownerOf, -1);
            stale = new boolean[capacity];
        } else {
            features = null;
            featureData = null;
            nnSim = null;
            nnIdx = null;
            ownerOf = null;
            stale = null;
        }
    }

    public Policy policy() {
        return policy;
    }

    public int capacity() {
        return capacity;
    }

    public int filled() {
        return filled;
    }

    /** Samples offered so far (read from the stream and handed to the buffer). */
    public long offered() {
        return offered;
    }

    /** Samples the minimum-redundancy policy turned away as more redundant than any buffered one (this process). */
    public long dropped() {
        return dropped;
    }

    public float[] pixels(int slot) {
        return pixels[slot];
    }

    public String id(int slot) {
        return ids[slot];
    }

    public String instance(int slot) {
        return instances[slot];
    }

    public int label(int slot) {
        return labels[slot];
    }

    public long eventTime(int slot) {
        return eventTimes[slot];
    }

    /** How often the sample in {@code slot} has been replayed. */
    public int sightings(int slot) {
        return sightings[slot];
    }

    /** The nearest neighbour of {@code slot} (-1: none yet), minimum redundancy only. */
    public int neighbour(int slot) {
        return nnIdx[slot];
    }

    public float neighbourSimilarity(int slot) {
        return nnSim[slot];
    }

    /**
     * Offers {@code n} samples read from the stream. {@code feats} holds their L2-normalised
     * features, {@code dim} values a row from row {@code featRow0} (the first view's row of the
     * training pass that saw them); the reservoir policy ignores it and it may be null.
     */
    public void offer(int n, float[][] samplePixels, String[] sampleIds, String[] sampleInstances, int[] sampleLabels,
            long[] sampleEventTimes, float[] feats, int[] featRows) {
        if (policy == Policy.RESERVOIR) {
            for (int i = 0; i < n; i++) {
                offered++;
                int slot;
                if (filled < capacity) {
                    slot = filled++;
                } else {
                    long j = Math.floorMod(mix(seed + offered * 0x9E3779B97F4A7C15L), offered);
                    if (j >= capacity) continue;
                    slot = (int) j;
                }
                write(slot, samplePixels[i], sampleIds[i], sampleInstances[i], sampleLabels[i], sampleEventTimes[i]);
            }
            return;
        }
        for (int c0 = 0; c0 < n; c0 += CHUNK) {
            offerChunk(c0, Math.min(CHUNK, n - c0), samplePixels, sampleIds, sampleInstances, sampleLabels, sampleEventTimes,
                    feats, featRows);
        }
    }

    private void offerChunk(int c0, int n, float[][] samplePixels, String[] sampleIds, String[] sampleInstances,
            int[] sampleLabels, long[] sampleEventTimes, float[] feats, int[] featRows) {
        ensureScratch(n);
        for (int i = 0; i < n; i++) rowData.put(i * dim, feats, featRows[c0 + i] * dim, dim);
        int before = filled;
        if (before > 0) {
            Sgemm.gemm(rows.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()),
                    features.get(NDArrayIndex.interval(0, before), NDArrayIndex.all()),
                    sims.get(NDArrayIndex.interval(0, n), NDArrayIndex.interval(0, before)), false, true, 1.0, 0.0);
        }
        // Similarities among the chunk's own rows, for the slots they take during this chunk.
        float[] within = chunkWithin;
        float[] x = chunkRows;
        rowData.get(0, x, 0, n * dim);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                double s = 0;
                for (int c = 0; c < dim; c++) s += (double) x[i * dim + c] * x[k * dim + c];
                within[i * n + k] = (float) s;
            }
        }
        int[] taken = chunkTaken;
        int takenCount = 0;
        int staleCount = 0;
        float[] rs = rowSims;
        for (int i = 0; i < n; i++) {
            offered++;
            // The row's similarities to every slot: to the slots earlier rows of this chunk took
            // from their own matrix, to the others from the GEMM.
            simData.get(i * capacity, rs, 0, before);
            for (int t = 0; t < takenCount; t++) rs[taken[t]] = within[i * n + ownerOf[taken[t]]];
            // The row's two most similar slots (the second stands in if the first is evicted).
            float best = Float.NEGATIVE_INFINITY;
            float second = Float.NEGATIVE_INFINITY;
            int bestSlot = -1;
            int secondSlot = -1;
            for (int j = 0; j < filled; j++) {
                float s = rs[j];
                if (s > best) {
                    second = best;
                    secondSlot = bestSlot;
                    best = s;
                    bestSlot = j;
                } else if (s > second) {
                    second = s;
                    secondSlot = j;
                }
            }
            int slot;
            if (filled < capacity) {
                slot = filled++;
            } else {
                int victim = mostRedundant();
                if (victim < 0 || best >= nnSim[victim]) {
                    dropped++;
                    continue;
                }
                slot = victim;
                for (int j = 0; j < filled; j++) {
                    if (nnIdx[j] == slot && j != slot && !stale[j]) {
                        nnSim[j] = Float.NEGATIVE_INFINITY; // its neighbour left: searched again below
                        stale[j] = true;
                        if (staleCount == staleList.length) staleList = Arrays.copyOf(staleList, 2 * staleCount);
                        staleList[staleCount++] = j;
                    }
                }
                stale[slot] = false; // taken by the new sample, whose neighbour is found here
                if (bestSlot == slot) {
                    best = second;
                    bestSlot = secondSlot;
                }
            }
            write(slot, samplePixels[c0 + i], sampleIds[c0 + i], sampleInstances[c0 + i], sampleLabels[c0 + i],
                    sampleEventTimes[c0 + i]);
            featureData.put(slot * dim, feats, featRows[c0 + i] * dim, dim);
            if (ownerOf[slot] < 0) taken[takenCount++] = slot;
            ownerOf[slot] = i;
            setNeighbour(slot, bestSlot, best);
            for (int j = 0; j < filled; j++) {
                // A stale slot's record is -inf, below every row: it is searched at the end instead.
                if (rs[j] > nnSim[j] && j != slot && !stale[j]) setNeighbour(j, slot, rs[j]);
            }
        }
        for (int t = 0; t < takenCount; t++) ownerOf[taken[t]] = -1;
        int searched = 0;
        for (int t = 0; t < staleCount; t++) {
            if (stale[staleList[t]]) {
                stale[staleList[t]] = false;
                staleList[searched++] = staleList[t];
            }
        }
        if (searched > 0) {
            Arrays.sort(staleList, 0, searched);
            research(staleList, searched);
        }
    }

    /** The slot whose nearest neighbour is the most similar, or -1. */
    private int mostRedundant() {
        int victim = -1;
        float most = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < filled; j++) {
            if (nnSim[j] > most) {
                most = nnSim[j];
                victim = j;
            }
        }
        return victim;
    }

    /** Searches the nearest neighbour of each of {@code slots} among all slots, exactly. */
    private void research(int[] slots, int count) {
        for (int c0 = 0; c0 < count; c0 += CHUNK) {
            int n = Math.min(CHUNK, count - c0);
            ensureScratch(n);
            for (int i = 0; i < n; i++) rowData.put(i * dim, featureData, slots[c0 + i] * dim, dim);
            Sgemm.gemm(rows.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()),
                    features.get(NDArrayIndex.interval(0, filled), NDArrayIndex.all()),
                    sims.get(NDArrayIndex.interval(0, n), NDArrayIndex.interval(0, filled)), false, true, 1.0, 0.0);
            float[] rs = rowSims;
            for (int i = 0; i < n; i++) {
                int slot = slots[c0 + i];
                float best = Float.NEGATIVE_INFINITY;
                int bestSlot = -1;
                simData.get(i * capacity, rs, 0, filled);
                for (int j = 0; j < filled; j++) {
                    float s = rs[j];
                    if (j != slot && s > best) {
                        best = s;
                        bestSlot = j;
                    }
                }
                setNeighbour(slot, bestSlot, best);
            }
        }
    }

    /**
     * Draws {@code count} distinct slots uniformly (fewer if fewer are filled) for training step
     * {@code step}: a function of the seed, the step and the fill.
     */
    public int[] draw(int count, long step) {
        int[] out = new int[Math.min(count, filled)];
        draw(count, step, out);
        return out;
    }

    /**
     * {@link #draw(int, long)} into {@code out} (at least {@code min(count, filled())} long);
     * returns how many slots were drawn.
     */
    public int draw(int count, long step, int[] out) {
        int k = Math.min(count, filled);
        SplittableRandom rnd = new SplittableRandom(mix(seed ^ (0xD1B54A32D192ED03L * (step + 1))));
        // Floyd's algorithm: k distinct values of 0 .. filled-1 in O(k).
        int o = 0;
        for (int j = filled - k; j < filled; j++) {
            int t = rnd.nextInt(j + 1);
            int pick = drawMarks.get(t) ? j : t;
            drawMarks.set(pick);
            out[o++] = pick;
        }
        for (int i = 0; i < o; i++) drawMarks.clear(out[i]);
        return k;
    }

    /**
     * Records that {@code slots} were trained on again: their replay counts go up and, for
     * minimum redundancy, their features become the new ones ({@code feats}, row {@code featRows[i]}).
     */
    public void replayed(int n, int[] slots, float[] feats, int[] featRows) {
        for (int i = 0; i < n; i++) {
            sightings[slots[i]]++;
            dirty.set(slots[i]);
        }
        if (policy != Policy.MIN_REDUNDANCY || n == 0) return;
        for (int c0 = 0; c0 < n; c0 += CHUNK) {
            int m = Math.min(CHUNK, n - c0);
            ensureScratch(m);
            for (int i = 0; i < m; i++) {
                featureData.put(slots[c0 + i] * dim, feats, featRows[c0 + i] * dim, dim);
                rowData.put(i * dim, feats, featRows[c0 + i] * dim, dim);
            }
            Sgemm.gemm(rows.get(NDArrayIndex.interval(0, m), NDArrayIndex.all()),
                    features.get(NDArrayIndex.interval(0, filled), NDArrayIndex.all()),
                    sims.get(NDArrayIndex.interval(0, m), NDArrayIndex.interval(0, filled)), false, true, 1.0, 0.0);
            float[] rs = rowSims;
            for (int i = 0; i < m; i++) {
                int slot = slots[c0 + i];
                float best = Float.NEGATIVE_INFINITY;
                int bestSlot = -1;
                simData.get(i * capacity, rs, 0, filled);
                for (int j = 0; j < filled; j++) {
                    if (j == slot) continue;
                    float s = rs[j];
                    if (s > best) {
                        best = s;
                        bestSlot = j;
                    }
                    if (s > nnSim[j]) {
                        setNeighbour(j, slot, s);
                    } else if (nnIdx[j] == slot) {
                        setNeighbour(j, slot, s); // still its neighbour on record, now this far
                    }
                }
                setNeighbour(slot, bestSlot, best);
            }
        }
    }

    private void setNeighbour(int slot, int neighbour, float similarity) {
        if (nnIdx[slot] != neighbour || Float.compare(nnSim[slot], similarity) != 0) {
            nnIdx[slot] = neighbour;
            nnSim[slot] = similarity;
            dirtyNeighbours.set(slot);
        }
    }

    private void write(int slot, float[] samplePixels, String id, String instance, int label, long eventTime) {
        if (samplePixels.length != inputSize) {
            throw new IllegalArgumentException("a sample of " + samplePixels.length + " values, expected " + inputSize);
        }
        if (pixels[slot] == null) pixels[slot] = new float[inputSize];
        System.arraycopy(samplePixels, 0, pixels[slot], 0, inputSize);
        ids[slot] = id;
        instances[slot] = instance;
        labels[slot] = label;
        eventTimes[slot] = eventTime;
        sightings[slot] = 0;
        dirty.set(slot);
    }

    private void ensureScratch(int n) {
        if (sims == null) {
            sims = Nd4j.create(DataType.FLOAT, CHUNK, capacity);
            simData = sims.data().asNioFloat();
            rows = Nd4j.create(DataType.FLOAT, CHUNK, dim);
            rowData = rows.data().asNioFloat();
            rowSims = new float[capacity];
            chunkRows = new float[CHUNK * dim];
            chunkWithin = new float[CHUNK * CHUNK];
            chunkTaken = new int[CHUNK];
        }
        if (n > CHUNK) throw new IllegalStateException("chunk of " + n);
    }

    /** Slots whose sample or feature changed since the last call, and clears the record. */
    public BitSet takeDirty() {
        BitSet out = (BitSet) dirty.clone();
        dirty.clear();
        return out;
    }

    /** Slots whose nearest neighbour changed since the last call (minimum redundancy), and clears the record. */
    public BitSet takeDirtyNeighbours() {
        BitSet out = (BitSet) dirtyNeighbours.clone();
        dirtyNeighbours.clear();
        return out;
    }

    /** A copy of the slot as state keeps it. */
    public ReplaySlot slot(int slot) {
        ReplaySlot s = new ReplaySlot();
        s.id = ids[slot];
        s.instance = instances[slot];
        s.label = labels[slot];
        s.eventTime = eventTimes[slot];
        s.pixels = pixels[slot].clone();
        s.sightings = sightings[slot];
        if (features != null) {
            s.feature = new float[dim];
            featureData.get(slot * dim, s.feature);
        }
        return s;
    }

    /** The nearest neighbour record of {@code slot} packed in a long, as state keeps it. */
    public long packedNeighbour(int slot) {
        return ((long) nnIdx[slot] << 32) | (Float.floatToRawIntBits(nnSim[slot]) & 0xFFFFFFFFL);
    }

    /** Restores the counters; slots {@code 0 .. filled-1} are then restored one by one. */
    public void restoreCounters(int filled, long offered) {
        if (filled < 0 || filled > capacity) {
            throw new IllegalArgumentException("a checkpoint with " + filled + " replay slots filled, for a buffer of " + capacity);
        }
        this.filled = filled;
        this.offered = offered;
    }

    public void restore(int slot, ReplaySlot s) {
        write(slot, s.pixels, s.id, s.instance, s.label, s.eventTime);
        sightings[slot] = s.sightings;
        if (features != null && s.feature != null && s.feature.length == dim) {
            featureData.put(slot * dim, s.feature);
        }
        dirty.clear(slot);
    }

    public void restoreNeighbour(int slot, long packed) {
        nnIdx[slot] = (int) (packed >> 32);
        nnSim[slot] = Float.intBitsToFloat((int) packed);
    }

    /** Searches every slot's nearest neighbour again, exactly (after a restore that let slots go). */
    public void rebuildNeighbours() {
        int[] all = new int[filled];
        for (int i = 0; i < filled; i++) all[i] = i;
        research(all, filled);
    }

    /** Marks every filled slot and neighbour record as changed (state that must be written whole). */
    public void markAllDirty() {
        dirty.set(0, filled);
        if (nnIdx != null) dirtyNeighbours.set(0, filled);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
