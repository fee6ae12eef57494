package io.kontrast.math.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code residual}: {@code y = body(x) + shortcut(x)}, where an empty shortcut is the identity
 * (the body must then keep the shape) and otherwise a projection (a 1×1 {@code conv2d} with the
 * body's stride and a {@code batch_norm}, as in ResNet). The body's and the shortcut's layers are
 * ordinary layers with their own parameters, laid out after each other.
 *
 * <p>Backward: the shortcut's gradient goes into dIn first (or dy itself, for the identity), then
 * the body's is added. The block's input is read by both branches, so neither may work on it in
 * place.
 */
final class Residual extends Layer {
    final List<Layer> body;
    final List<Layer> shortcut;

    Residual(String name, Shape in, List<Layer> body, List<Layer> shortcut) {
        super(name, in, body.get(body.size() - 1).out);
        this.body = List.copyOf(body);
        this.shortcut = List.copyOf(shortcut);
        Shape through = shortcut.isEmpty() ? in : shortcut.get(shortcut.size() - 1).out;
        if (!through.equals(out)) {
            throw new IllegalArgumentException("layer " + name + " (residual): the body maps " + in + " to " + out
                    + (shortcut.isEmpty() ? ", which an identity shortcut cannot add to; give it a shortcut (a 1x1 conv2d with the body's stride)"
                            : " but the shortcut to " + through));
        }
    }

    @Override
    String kind() {
        return "residual";
    }

    @Override
    List<Layer> children() {
        List<Layer> all = new ArrayList<>(body);
        all.addAll(shortcut);
        return all;
    }

    @Override
    void forward(Node n, Pass pass) {
        for (Node c : n.body) c.layer.forward(c, pass);
        for (Node c : n.shortcut) c.layer.forward(c, pass);
        n.out.flat.assign(n.body[n.body.length - 1].out.flat);
        n.out.flat.addi(n.shortcut.length == 0 ? n.in.flat : n.shortcut[n.shortcut.length - 1].out.flat);
    }

    @Override
    void backward(Node n, Pass pass) {
        // The last layers of both branches read dOut as their own dOut and leave it unchanged.
        if (n.shortcut.length == 0) {
            if (n.dIn != null) n.dIn.flat.assign(n.dOut.flat);
        } else {
            for (int i = n.shortcut.length - 1; i >= 0; i--) n.shortcut[i].layer.backward(n.shortcut[i], pass);
        }
        for (int i = n.body.length - 1; i >= 0; i--) n.body[i].layer.backward(n.body[i], pass);
        if (n.dIn != null) {
            n.dIn.flat.addi(n.body[0].dIn.flat);
        }
    }

    @Override
    double flops() {
        double f = out.size();
        for (Layer l : children()) f += l.flops();
        return f;
    }
}
