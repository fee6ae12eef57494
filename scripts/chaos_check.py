#!/usr/bin/env python3
"""Checks what a chaos run left in Kafka, as an outside client: kcat (librdkafka) reads the
snapshot and dead-letter topics read_committed, and the records are decoded from the schema
files alone (clients/python). Prints the figures as key=value pairs on one line; exits 1 when a
check fails."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))
import avro.name  # noqa: E402
import avro.schema  # noqa: E402
import json  # noqa: E402
import kontrast_snapshot as ks  # noqa: E402


def read_topic(bootstrap, topic):
    """Every committed record's value, in offset order (one partition)."""
    out = subprocess.run(
        ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
         "-X", "isolation.level=read_committed", "-X", "fetch.message.max.bytes=134217728",
         "-X", "receive.message.max.bytes=268435456", "-f", "%o:%S:%s"],
        check=True, capture_output=True, timeout=600).stdout
    values, i = [], 0
    while i < len(out):
        j = out.index(b":", i)
        k = out.index(b":", j + 1)
        size = int(out[j + 1:k])
        start = k + 1
        if size < 0:  # a null value
            values.append(None)
            i = start
        else:
            values.append(out[start:start + size])
            i = start + size
    return values


def dead_letter_schema(schemas):
    with open(os.path.join(schemas, "DeadLetter.avsc")) as f:
        return avro.schema.make_avsc_object(json.load(f), avro.name.Names())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--snapshots-topic", default="encoder-snapshots")
    p.add_argument("--dlq-topic", default="samples.dlq")
    p.add_argument("--garbage-keys", required=True, help="file with the key of every garbage record sent, one per line")
    p.add_argument("--budget", type=int, required=True)
    p.add_argument("--schemas", required=True)
    a = p.parse_args()

    snapshot_schema = ks.load_schema(a.schemas)
    snapshots = [ks.decode(v, snapshot_schema) for v in read_topic(a.bootstrap, a.snapshots_topic)]
    versions = [s["version"] for s in snapshots]
    contiguous = versions == list(range(1, len(versions) + 1))
    increasing = all(x["samples_seen"] < y["samples_seen"] for x, y in zip(snapshots, snapshots[1:]))
    checksums = all(ks.checksum(s) == s["checksum"] for s in snapshots)
    last = snapshots[-1]["samples_seen"] if snapshots else 0

    with open(a.garbage_keys) as f:
        garbage = [line.strip() for line in f if line.strip()]
    dl_schema = dead_letter_schema(a.schemas)
    dead = [ks.decode(v, dl_schema) for v in read_topic(a.bootstrap, a.dlq_topic)]
    keys = [(d["key"] or b"").decode("utf-8", "replace") for d in dead]
    counts = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    missing = sum(1 for g in garbage if counts.get(g, 0) == 0)
    repeated = sum(c - 1 for c in counts.values() if c > 1)
    strangers = sum(1 for k in counts if k not in set(garbage))

    ok = contiguous and increasing and checksums and last == a.budget and missing == 0 and repeated == 0 and strangers == 0
    print("versions=1..%d contiguous=%s checksums=%s samples_seen=%d budget=%d garbage=%d dead_letters=%d "
          "missing=%d repeated=%d unexpected=%d"
          % (len(versions), "yes" if contiguous and increasing else "NO", "ok" if checksums else "BAD", last, a.budget,
             len(garbage), len(dead), missing, repeated, strangers))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
