#!/usr/bin/env bash
# Sets up, builds, and runs the demo: embedded Kafka + Flink MiniCluster (web UI on :8081),
# Fashion-MNIST replayed into Kafka, MoCo training, snapshots published. Ctrl-C stops cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f jobs/target/kontrast.jar ] && [ -z "$(find . -name '*.java' -newer jobs/target/kontrast.jar -print -quit)" ] \
  || mvn -B -ntp -q package -DskipTests
exec java -jar jobs/target/kontrast.jar demo "$@"
