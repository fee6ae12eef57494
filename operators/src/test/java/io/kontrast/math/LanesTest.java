package io.kontrast.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

class LanesTest {
    @BeforeAll
    static void nd4j() {
        Nd4jRuntime.init();
        Nd4j.getBackend(); // the native ops read the backend's settings
    }

    @Test
    void runsOnePartOnTheHelperAndOneHereWithHalfTheThreadsEachThenRestoresThem() {
        var ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        int threads = ops.ompGetMaxThreads();
        assertThat(threads).as("OpenMP threads in the tests").isEqualTo(2);
        try (Lanes lanes = Lanes.forMachine("test-lane")) {
            assertThat(lanes.threadsPerLane()).isEqualTo(1);
            for (int i = 0; i < 200; i++) {
                AtomicReference<String> helperThread = new AtomicReference<>();
                int[] helperOmp = new int[1];
                int[] callerOmp = new int[1];
                long[] sums = new long[2];
                lanes.run(() -> {
                    helperThread.set(Thread.currentThread().getName());
                    helperOmp[0] = ops.ompGetMaxThreads();
                    for (int k = 0; k < 1000; k++) sums[1] += k;
                }, () -> {
                    callerOmp[0] = ops.ompGetMaxThreads();
                    for (int k = 0; k < 1000; k++) sums[0] += k;
                });
                // Both parts finished, and their writes are visible here.
                assertThat(sums).containsExactly(499_500L, 499_500L);
                assertThat(helperThread.get()).isEqualTo("test-lane");
                assertThat(helperOmp[0]).isEqualTo(1);
                assertThat(callerOmp[0]).isEqualTo(1);
                assertThat(ops.ompGetMaxThreads()).isEqualTo(threads);
            }
        }
    }

    @Test
    void aFailureInEitherPartIsRethrownAfterBothFinishAndTheLanesGoOn() {
        try (Lanes lanes = Lanes.forMachine("test-lane")) {
            boolean[] callerRan = new boolean[1];
            assertThatThrownBy(() -> lanes.run(() -> {
                throw new IllegalArgumentException("helper failed");
            }, () -> callerRan[0] = true)).isInstanceOf(IllegalArgumentException.class).hasMessage("helper failed");
            assertThat(callerRan[0]).isTrue();

            boolean[] helperRan = new boolean[1];
            assertThatThrownBy(() -> lanes.run(() -> {
                sleep(50);
                helperRan[0] = true;
            }, () -> {
                throw new IllegalStateException("caller failed");
            })).hasMessage("caller failed");
            assertThat(helperRan[0]).as("the helper's part finished before the caller's failure surfaced").isTrue();

            int[] ran = new int[2];
            lanes.run(() -> ran[1]++, () -> ran[0]++);
            assertThat(ran).containsExactly(1, 1);
        }
    }

    /** The caller's wait counts only the time after its own part: a slow helper adds to it, a slow caller does not. */
    @Test
    void waitNanosCountsTheCallersWaitForTheHelper() throws Exception {
        try (Lanes lanes = Lanes.forMachine("test-lane-wait")) {
            assertThat(lanes.waitNanos()).isZero();
            lanes.run(() -> sleep(60), () -> {});
            long afterSlowHelper = lanes.waitNanos();
            assertThat(afterSlowHelper).isGreaterThanOrEqualTo(50_000_000L);
            lanes.run(() -> {}, () -> sleep(60));
            // The helper finished long before the caller: little or no wait is added.
            assertThat(lanes.waitNanos() - afterSlowHelper).isLessThan(20_000_000L);
        }
    }

    @Test
    void closeStopsTheHelperThread() {
        Lanes lanes = Lanes.forMachine("test-lane-closed");
        lanes.run(() -> {}, () -> {});
        lanes.close();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("test-lane-closed"));
        assertThatThrownBy(() -> lanes.run(() -> {}, () -> {})).hasMessageContaining("closed");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
