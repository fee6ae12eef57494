package io.kontrast.math;

/**
 * Selects the ND4J native build before ND4J first loads.
 *
 * <p>ND4J's CPU backend ships a plain build and a oneDNN build; the oneDNN build runs convolutions
 * several times faster. JavaCPP picks the build from the system property {@code
 * org.bytedeco.javacpp.platform.extension} when its loader class initialises, so every entry
 * point calls {@link #init()} before touching {@code Nd4j}. A value set by the user wins; the
 * property is only set when the oneDNN build is on the class path (a CUDA build has none).
 */
public final class Nd4jRuntime {
    public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
    public static final String ONEDNN_EXTENSION = "-onednn-avx2";

    private Nd4jRuntime() {}

    public static void init() {
        if (System.getProperty(EXTENSION_PROPERTY) != null) {
            return;
        }
        String marker =
                "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64" + ONEDNN_EXTENSION + "/";
        ClassLoader cl = Nd4jRuntime.class.getClassLoader();
        if (cl.getResource(marker) != null) {
            System.setProperty(EXTENSION_PROPERTY, ONEDNN_EXTENSION);
        }
    }

    /**
     * Whether the backend runs the math off the CPU (a GPU): then a training step leaves the
     * CPU's cores free for other work while it runs.
     */
    public static boolean offCpu() {
        org.nd4j.linalg.factory.Nd4j.getBackend();
        return !org.nd4j.linalg.factory.Nd4j.getEnvironment().isCPU();
    }
}
