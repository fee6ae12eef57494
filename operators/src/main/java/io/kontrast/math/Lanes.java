package io.kontrast.math;

import java.util.concurrent.locks.LockSupport;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Two lanes that run independent halves of a training step side by side: the calling thread and
 * one helper thread, each with half of the OpenMP threads for its native calls.
 *
 * <p>A step is a chain of GEMMs of a few hundred microseconds each. Split over all cores, each
 * pays a fork and a join of the OpenMP team, and the Java passes between them leave the other
 * cores idle. Two independent GEMMs run one per lane (the key encoder's forward pass beside the
 * query encoder's, a layer's weight gradient beside its input gradient, half of the batch's
 * logits beside the other half) keep both busy with no synchronisation inside either.
 *
 * <p>OpenMP's thread count is a per-thread setting: {@link #run} sets the caller's for the length
 * of the call and restores it after, and the helper keeps its own.
 *
 * <p>Lanes serve one caller at a time (the learner that owns them), and are not reentrant.
 */
public final class Lanes implements AutoCloseable {
    /** How long a lane spins for the other before it parks: the gaps inside a step are shorter. */
    private static final long SPIN_NANOS = 50_000;

    private final NativeOps ops;
    private final int threadsPerLane;
    private final Thread helper;
    private volatile Runnable task;
    private volatile boolean done;
    private volatile Throwable failure;
    private volatile Thread caller;
    private volatile boolean closed;
    private long waitNanos;

    private Lanes(int threadsPerLane, String name) {
        this.threadsPerLane = threadsPerLane;
        ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        helper = new Thread(this::serve, name);
        helper.setDaemon(true);
        helper.start();
    }

    /**
     * Two lanes on the CPU backend when native calls may use at least two threads (OpenMP's
     * setting, from {@code OMP_NUM_THREADS} or the cores), none otherwise (null: run everything on
     * the caller). A GPU runs each GEMM whole, so lanes are for the CPU only.
     */
    public static Lanes forMachine(String name) {
        Nd4j.getBackend(); // loads the backend, which the native ops below need
        if (!Nd4j.getEnvironment().isCPU()) {
            return null;
        }
        int threads = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        return threads >= 2 ? new Lanes(threads / 2, name) : null;
    }

    /**
     * The time the caller has spent waiting for the helper after finishing its own part, over
     * all {@link #run} calls so far: what the two parts' imbalance and the helper's late starts
     * (a wake-up, or its core taken by another thread) cost. Read by the caller's thread.
     */
    public long waitNanos() {
        return waitNanos;
    }

    /** OpenMP threads each lane's native calls use. */
    public int threadsPerLane() {
        return threadsPerLane;
    }

    /**
     * Runs {@code onHelper} on the helper thread and {@code onCaller} on this thread, and returns
     * when both have finished. A failure in either is rethrown here (the caller's first).
     */
    public void run(Runnable onHelper, Runnable onCaller) {
        if (closed) {
            throw new IllegalStateException("lanes are closed");
        }
        int before = ops.ompGetMaxThreads();
        ops.setOmpNumThreads(threadsPerLane);
        caller = Thread.currentThread();
        done = false;
        failure = null;
        task = onHelper;
        LockSupport.unpark(helper);
        long callerDone = 0;
        try {
            onCaller.run();
            callerDone = System.nanoTime();
        } finally {
            awaitHelper();
            ops.setOmpNumThreads(before);
        }
        if (callerDone != 0) waitNanos += System.nanoTime() - callerDone;
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    /**
     * Runs {@code onHelper} and {@code onCaller} in {@code lanes}, side by side, or, with no lanes
     * (null), one after the other on this thread.
     */
    public static void run(Lanes lanes, Runnable onHelper, Runnable onCaller) {
        if (lanes != null) {
            lanes.run(onHelper, onCaller);
        } else {
            onCaller.run();
            onHelper.run();
        }
    }

    private void awaitHelper() {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (!done) {
            if (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
    }

    private void serve() {
        ops.setOmpNumThreads(threadsPerLane);
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (!closed) {
            Runnable t = task;
            if (t == null) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
                continue;
            }
            task = null;
            try {
                t.run();
            } catch (Throwable e) {
                failure = e;
            }
            done = true;
            LockSupport.unpark(caller);
            spinUntil = System.nanoTime() + SPIN_NANOS;
        }
    }

    /** Stops the helper thread. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(helper);
        try {
            helper.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
