package io.kontrast.jobs;

import io.kontrast.client.Encoder;
import io.kontrast.client.InvalidSnapshotException;
import io.kontrast.data.LabeledImages;
import io.kontrast.schemas.EncoderSnapshot;
import io.kontrast.schemas.Layer;
import io.kontrast.schemas.NamedTensor;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Backbone features of a whole image set with a snapshot, batched on ND4J (same layers as the Java client). */
public final class SnapshotFeatures {
    private SnapshotFeatures() {}

    /** Pixels of a set as a {@code [n, h*w]} matrix in 0..1. */
    public static INDArray pixels(LabeledImages set) {
        int n = set.size();
        int d = set.pixelsPerImage();
        float[] f = new float[n * d];
        byte[] p = set.pixels();
        for (int i = 0; i < f.length; i++) f[i] = (p[i] & 0xFF) / 255f;
        return Nd4j.createFromArray(f).reshape(n, d);
    }

    private static int attribute(Layer l, String name) {
        return Integer.parseInt(l.getAttributes().get(name).toString());
    }

    public static INDArray extract(EncoderSnapshot s, LabeledImages set) {
        Encoder.fromSnapshot(s); // validates structure and checksum
        Map<String, INDArray> w = new HashMap<>();
        for (NamedTensor t : s.getWeights()) {
            int[] shape = t.getTensor().getShape().stream().mapToInt(Integer::intValue).toArray();
            float[] v = new float[t.getTensor().getData().remaining() / 4];
            t.getTensor().getData().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            long[] ls = new long[shape.length];
            for (int i = 0; i < shape.length; i++) ls[i] = shape[i];
            w.put(t.getName(), Nd4j.createFromArray(v).reshape(ls));
        }
        INDArray all = pixels(set).subi(s.getInputMean()).divi(s.getInputStd());
        int n = all.rows();
        INDArray out = null;
        int chunk = 512; // conv activations of a chunk stay in cache-friendly sizes (4096 made 400 MB arrays)
        for (int start = 0; start < n; start += chunk) {
            INDArray x = all.get(NDArrayIndex.interval(start, Math.min(n, start + chunk)), NDArrayIndex.all());
            long[] shape = new long[s.getInputShape().size() + 1];
            shape[0] = x.rows();
            for (int i = 0; i < s.getInputShape().size(); i++) shape[i + 1] = s.getInputShape().get(i);
            x = x.reshape('c', shape);
            for (Layer l : s.getLayers()) {
                if (!"backbone".equals(l.getPart())) continue;
                switch (l.getKind()) {
                    case "linear" -> x = x.reshape('c', x.size(0), -1).mmul(w.get(l.getName() + ".weight"))
                            .addiRowVector(w.get(l.getName() + ".bias"));
                    case "conv2d" -> {
                        INDArray weight = w.get(l.getName() + ".weight");
                        int k = attribute(l, "kernel_size");
                        int stride = attribute(l, "stride");
                        int pad = attribute(l, "padding");
                        long oh = (x.size(2) + 2L * pad - k) / stride + 1;
                        long ow = (x.size(3) + 2L * pad - k) / stride + 1;
                        INDArray y = Nd4j.create(DataType.FLOAT, x.size(0), weight.size(0), oh, ow);
                        // NCHW input, weights [out, in, kH, kW] (libnd4j weight format 1).
                        Nd4j.exec(DynamicCustomOp.builder("conv2d")
                                .addInputs(x.dup('c'), weight, w.get(l.getName() + ".bias"))
                                .addOutputs(y)
                                .addIntegerArguments(k, k, stride, stride, pad, pad, 1, 1, 0, 0, 1)
                                .build());
                        x = y;
                    }
                    case "max_pool2d" -> {
                        int k = attribute(l, "kernel_size");
                        int stride = attribute(l, "stride");
                        INDArray y = Nd4j.create(DataType.FLOAT, x.size(0), x.size(1),
                                (x.size(2) - k) / stride + 1, (x.size(3) - k) / stride + 1);
                        Nd4j.exec(DynamicCustomOp.builder("maxpool2d")
                                .addInputs(x)
                                .addOutputs(y)
                                .addIntegerArguments(k, k, stride, stride, 0, 0, 1, 1, 0, 0, 0)
                                .build());
                        x = y;
                    }
                    case "flatten" -> x = x.reshape('c', x.size(0), -1);
                    case "relu" -> x = Transforms.relu(x, false);
                    case "l2_normalize" -> x = x.divColumnVector(Transforms.max(x.norm2(1).reshape(x.rows(), 1), 1e-12, false));
                    default -> throw new InvalidSnapshotException("unknown layer kind " + l.getKind());
                }
            }
            x = x.reshape('c', x.size(0), -1);
            if (out == null) out = Nd4j.create(DataType.FLOAT, n, x.columns());
            out.get(NDArrayIndex.interval(start, Math.min(n, start + chunk)), NDArrayIndex.all()).assign(x);
        }
        return out;
    }
}
