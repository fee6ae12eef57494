#!/usr/bin/env python3
"""A Kontrast encoder snapshot consumer in Python, written from schemas/README.md alone.

Decodes an EncoderSnapshot record (Avro single-object encoding), checks its schema fingerprint
and checksum, rebuilds the backbone with numpy and embeds images. The record comes from a file,
or straight from the snapshot topic: the newest committed snapshot (of --model-id, if given),
with any Kafka client settings (a librdkafka properties file, such as the kcat.conf that
`kontrast kafka --security sasl-ssl` writes; or, from Python, a dict).

    kontrast_snapshot.py --schemas schemas/src/main/avro/io/kontrast/schemas \
        --snapshot snapshot.bin --images images.f32 --out embeddings.f32
    kontrast_snapshot.py --schemas ... --bootstrap host:9093 --kafka-config kcat.conf \
        [--topic encoder-snapshots] [--model-id ID] --images images.f32 --out embeddings.f32

images.f32: float32 little-endian, [n, input size], pixels scaled to 0..1.
embeddings.f32: float32 little-endian, [n, embedding_dim]. A JSON summary goes to stdout.
Needs Debian's python3-avro and python3-numpy; reading from Kafka, python3-confluent-kafka.
"""
import argparse
import hashlib
import io
import json
import os
import re
import struct
import sys

import avro.io
import avro.name
import avro.schema
import numpy as np

SCHEMA_FILES = ["Tensor", "NamedTensor", "Layer", "EncoderSnapshot"]
DTYPES = {"FLOAT32": "<f4", "FLOAT64": "<f8", "INT32": "<i4", "UINT8": "u1"}


def rabin_fingerprint64(data: bytes) -> int:
    """Avro's CRC-64-AVRO fingerprint of a schema's parsing canonical form."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for b in data:
        fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
    return fp


def parsing_canonical_form(schema) -> str:
    """The spec's Parsing Canonical Form. python3-avro 1.11 leaves a primitive that carried a
    logicalType as {"type":"long"}; the spec reduces every primitive to its bare name."""
    return re.sub(r'\{"type":"(null|boolean|int|long|float|double|bytes|string)"\}', r'"\1"',
                  schema.canonical_form)


def load_schema(directory):
    names = avro.name.Names()
    schema = None
    for name in SCHEMA_FILES:
        with open(os.path.join(directory, name + ".avsc")) as f:
            schema = avro.schema.make_avsc_object(json.load(f), names)
    return schema


def decode(record: bytes, schema):
    if len(record) < 10 or record[0:2] != b"\xc3\x01":
        raise ValueError("not Avro single-object encoding")
    (fingerprint,) = struct.unpack("<Q", record[2:10])
    expected = rabin_fingerprint64(parsing_canonical_form(schema).encode("utf-8"))
    if fingerprint != expected:
        raise ValueError("unknown schema fingerprint %016x (expected %016x)" % (fingerprint, expected))
    reader = avro.io.DatumReader(schema)
    return reader.read(avro.io.BinaryDecoder(io.BytesIO(record[10:])))


def checksum(snapshot) -> str:
    h = hashlib.sha256()
    for w in snapshot["weights"]:
        h.update(w["name"].encode("utf-8"))
        h.update(w["tensor"]["data"])
    return "sha256:" + h.hexdigest()


def tensor(t):
    return np.frombuffer(t["data"], dtype=DTYPES[t["dtype"]]).reshape(t["shape"]).astype(np.float32)


def conv2d(x, w, b, stride, padding):
    """Cross-correlation, NCHW: x [n, c, h, w], w [out, c, k, k], zero padding."""
    n, c, h, wd = x.shape
    out, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - k) // stride + 1
    ow = (wd + 2 * padding - k) // stride + 1
    y = np.zeros((n, out, oh, ow), dtype=np.float32)
    for ky in range(k):
        for kx in range(k):
            patch = xp[:, :, ky:ky + stride * oh:stride, kx:kx + stride * ow:stride]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, ky, kx])
    return y + b[None, :, None, None]


def conv1d(x, w, b, stride, padding):
    """Cross-correlation along time: x [n, c, t], w [out, c, k], zero padding."""
    n, c, t = x.shape
    out, _, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    ol = (t + 2 * padding - k) // stride + 1
    y = np.zeros((n, out, ol), dtype=np.float32)
    for kx in range(k):
        y += np.einsum("nct,oc->not", xp[:, :, kx:kx + stride * ol:stride], w[:, :, kx])
    return y + b[None, :, None]


def gru(x, w_ih, w_hh, b_ih, b_hh, every_step=False):
    """A GRU over x [n, f, t] (channels first) to its last hidden state [n, h], or (every_step) to
    every step's, channels first [n, h, t]; gates r, z, n."""
    n, _, steps = x.shape
    h = w_hh.shape[0]
    state = np.zeros((n, h), dtype=np.float64)
    states = []
    for t in range(steps):
        gi = x[:, :, t].astype(np.float64) @ w_ih + b_ih
        gh = state @ w_hh + b_hh
        r = 1 / (1 + np.exp(-(gi[:, :h] + gh[:, :h])))
        z = 1 / (1 + np.exp(-(gi[:, h:2 * h] + gh[:, h:2 * h])))
        cand = np.tanh(gi[:, 2 * h:] + r * gh[:, 2 * h:])
        state = (1 - z) * cand + z * state
        states.append(state)
    if every_step:
        return np.stack(states, axis=2).astype(np.float32)
    return state.astype(np.float32)


def pool2d(x, k, stride, reduce):
    n, c, h, w = x.shape
    oh = (h - k) // stride + 1
    ow = (w - k) // stride + 1
    windows = [x[:, :, ky:ky + stride * oh:stride, kx:kx + stride * ow:stride] for ky in range(k) for kx in range(k)]
    return reduce(np.stack(windows), axis=0).astype(np.float32)


def graph_conv(x, graph, w, b, graph_features):
    """A graph convolution on x [n, C, N] (its first F channels the features) with the structure of
    the packed graph [n, N, F0 + N + 1]: m_i (sum_j A^_ij x_j W + b), A^ = (A + I) / (deg + 1)."""
    nodes = graph.shape[1]
    adjacency = graph[:, :, graph_features:graph_features + nodes].astype(np.float64)
    mask = graph[:, :, graph_features + nodes].astype(np.float64)
    a_hat = (adjacency + np.eye(nodes)) / (adjacency.sum(axis=2, keepdims=True) + 1)
    h = x[:, :w.shape[0], :].transpose(0, 2, 1).astype(np.float64)
    y = (a_hat @ h @ w + b) * mask[:, :, None]
    return y.transpose(0, 2, 1).astype(np.float32)


def run(layers, weights, x, graph=None):
    """Applies a list of published layers; a residual entry takes the body and shortcut entries after it.
    graph: the packed graph sample (graph layers read its structure)."""
    i = 0
    while i < len(layers):
        layer = layers[i]
        i += 1
        kind, name, attrs = layer["kind"], layer["name"], layer["attributes"]
        if kind == "linear":
            x = x.reshape(x.shape[0], -1) @ weights[name + ".weight"] + weights[name + ".bias"]
        elif kind == "conv2d":
            x = conv2d(x, weights[name + ".weight"], weights[name + ".bias"],
                       int(attrs["stride"]), int(attrs["padding"]))
        elif kind == "conv1d":
            x = conv1d(x, weights[name + ".weight"], weights[name + ".bias"],
                       int(attrs["stride"]), int(attrs["padding"]))
        elif kind == "gru":
            x = x.reshape(x.shape[0], x.shape[1], -1)
            x = gru(x, weights[name + ".weight_ih"], weights[name + ".weight_hh"],
                    weights[name + ".bias_ih"], weights[name + ".bias_hh"],
                    attrs.get("output", "last") == "sequence")
        elif kind == "embedding":
            # Token ids [n, T] (whole numbers) to the table's rows, channels first: [n, D, T].
            table = weights[name + ".weight"]
            ids = x.reshape(x.shape[0], -1)
            if (ids != np.round(ids)).any() or (ids < 0).any() or (ids >= table.shape[0]).any():
                raise ValueError(name + ": token ids must be whole numbers in [0, %d)" % table.shape[0])
            x = table[ids.astype(np.int64)].transpose(0, 2, 1)
        elif kind == "graph_conv":
            x = graph_conv(x.reshape(x.shape[0], x.shape[1], -1), graph, weights[name + ".weight"],
                           weights[name + ".bias"], int(attrs["graph_features"]))
        elif kind == "graph_centre":
            x = x.reshape(x.shape[0], x.shape[1], -1)[:, :, 0]
        elif kind == "max_pool2d":
            x = pool2d(x, int(attrs["kernel_size"]), int(attrs["stride"]), np.max)
        elif kind == "avg_pool2d":
            x = pool2d(x, int(attrs["kernel_size"]), int(attrs["stride"]), np.mean)
        elif kind == "global_avg_pool":
            x = x.mean(axis=tuple(range(2, x.ndim)))
        elif kind == "batch_norm":
            shape = [1, -1] + [1] * (x.ndim - 2)
            x = x * weights[name + ".weight"].reshape(shape) + weights[name + ".bias"].reshape(shape)
        elif kind == "residual":
            body, shortcut = int(attrs["body"]), int(attrs["shortcut"])
            y = run(layers[i:i + body], weights, x, graph)
            x = y + run(layers[i + body:i + body + shortcut], weights, x, graph)
            i += body + shortcut
        elif kind == "flatten":
            x = x.reshape(x.shape[0], -1)
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "l2_normalize":
            norm = np.sqrt((x.reshape(x.shape[0], -1) ** 2).sum(axis=1))
            x = x / np.maximum(norm, 1e-12).reshape([-1] + [1] * (x.ndim - 1))
        else:
            raise ValueError("unknown layer kind " + kind)
    return x.astype(np.float32)


def backbone(snapshot):
    """The backbone as a function of a [n, input size] float32 batch in 0..1, each sample in input_shape order."""
    weights = {w["name"]: tensor(w["tensor"]) for w in snapshot["weights"]}
    mean, std = snapshot["input_mean"], snapshot["input_std"]
    layers = [l for l in snapshot["layers"] if l["part"] == "backbone"]

    def apply(x):
        x = (x.astype(np.float32) - np.float32(mean)) / np.float32(std)
        x = x.reshape([x.shape[0]] + list(snapshot["input_shape"]))
        graph = x
        if x.ndim == 3:
            # A sequence [T, F], step after step, is taken channels first: [F, T].
            x = x.transpose(0, 2, 1)
        return run(layers, weights, x, graph).reshape(x.shape[0], -1)

    return apply


def read_kafka_config(path):
    """librdkafka settings from a properties file: key=value lines, # comments."""
    config = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise ValueError("%s: not a key=value line: %r" % (path, line.split()[0]))
            config[key.strip()] = value.strip()
    return config


def newest_snapshot(config, schema, topic="encoder-snapshots", model_id=None, timeout=60.0):
    """The newest committed snapshot on `topic` (of `model_id`, if given), decoded.

    `config` is a dict of librdkafka settings: bootstrap.servers and, for a secured cluster,
    security.protocol, sasl.mechanisms, sasl.username, sasl.password, ssl.ca.location and so on.
    Reads every partition from its start to its end with isolation.level=read_committed, so a
    snapshot of an aborted transaction is never returned.
    """
    import time
    import uuid
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

    settings = dict(config)
    settings.update({"group.id": "kontrast-reader-python-" + uuid.uuid4().hex, "enable.auto.commit": False,
                     "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                     "fetch.message.max.bytes": 64 * 1024 * 1024, "receive.message.max.bytes": 200 * 1024 * 1024})
    consumer = Consumer(settings)
    try:
        metadata = consumer.list_topics(topic, timeout=timeout)
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            raise KafkaException(described.error if described is not None else "no topic " + topic)
        partitions = sorted(described.partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        newest = None
        deadline = time.monotonic() + timeout
        idle_since = time.monotonic()
        while time.monotonic() < deadline:
            positions = consumer.position([TopicPartition(topic, p) for p in partitions])
            if all(ends[tp.partition] == 0 or tp.offset >= ends[tp.partition] for tp in positions):
                break
            message = consumer.poll(1.0)
            if message is None:
                # Records past the last stable offset (an open transaction) stay out of reach.
                if time.monotonic() - idle_since > 10:
                    break
                continue
            idle_since = time.monotonic()
            if message.error() is not None:
                raise KafkaException(message.error())
            snapshot = decode(message.value(), schema)
            if model_id is not None and snapshot["model_id"] != model_id:
                continue
            if newest is None or snapshot["version"] > newest["version"]:
                newest = snapshot
        return newest
    finally:
        consumer.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--schemas", required=True)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", help="a file holding one snapshot record")
    source.add_argument("--bootstrap", help="Kafka bootstrap servers: read the newest snapshot from --topic")
    p.add_argument("--topic", default="encoder-snapshots")
    p.add_argument("--model-id", help="the model whose newest snapshot to take (default: any)")
    p.add_argument("--kafka-config", help="librdkafka settings, key=value lines (security.protocol, sasl.*, ssl.*)")
    p.add_argument("--images", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    schema = load_schema(a.schemas)
    if a.snapshot:
        with open(a.snapshot, "rb") as f:
            snapshot = decode(f.read(), schema)
    else:
        config = read_kafka_config(a.kafka_config) if a.kafka_config else {}
        config["bootstrap.servers"] = a.bootstrap
        snapshot = newest_snapshot(config, schema, a.topic, a.model_id)
        if snapshot is None:
            print("no committed snapshot%s on %s" % (" of " + a.model_id if a.model_id else "", a.topic), file=sys.stderr)
            return 4
    if checksum(snapshot) != snapshot["checksum"]:
        print("checksum mismatch", file=sys.stderr)
        return 3
    size = int(np.prod(snapshot["input_shape"]))
    images = np.fromfile(a.images, dtype="<f4").reshape(-1, size)
    embeddings = backbone(snapshot)(images).astype("<f4")
    embeddings.tofile(a.out)
    print(json.dumps({"model_id": snapshot["model_id"], "version": snapshot["version"],
                      "images": int(images.shape[0]), "embedding_dim": int(embeddings.shape[1])}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
