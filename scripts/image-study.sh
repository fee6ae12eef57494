#!/usr/bin/env bash
# Trains and scores a series of runs on one stream, so that every choice is measured at the same
# budget on the same data: an image folder (such as CIFAR-10 as JPEG files; the topic carries the
# files' own bytes), or Fashion-MNIST (--dataset fashion-mnist, Avro samples from the Debian
# package). Appends one JSON line per run to --out.
#
#   scripts/image-study.sh --dir DIR [--runs NAME,NAME...] [--out FILE] [--work DIR] [--list]
#   scripts/image-study.sh --dataset fashion-mnist --runs moco-300k,simclr-300k [--out FILE]
#   ... [--order shuffled|class-sorted|drift] [--run-length N]   (the stream's order; replay --order)
#
# Runs (name: samples, options beyond the defaults for --input-shape 3x32x32):
#   defaults-200k     200,000   (the cnn preset, batch 128, K 4096, T 0.1, crops 0.5-1, colour jitter)
#   defaults-500k     500,000
#   defaults-1m     1,000,000
#   crops05-200k      200,000   crops 0.5-1, the default since session 12 (also crops05-1m, 1,000,000)
#   crops02-200k      200,000   crops 0.2-1, MoCo v2's and the default before (also crops02-1m): the
#                               baseline of the choice table in docs/performance.md; the runs below
#                               change one thing from it, so they crop from 0.2 too
#   resnet-200k       200,000   --encoder resnet (width 32)
#   resnet64-200k     200,000   --encoder resnet, width 64
#   nojitter-200k     200,000   no colour jitter, no grayscale
#   t02-200k          200,000   temperature 0.2
#   batch256-200k     200,000   batch 256 (K 4096)
#   cnn16-200k        200,000   the cnn at width 16 (convolutions of 16 and 32 channels; 32 and 64 by default)
#   cnn64-200k        200,000   the cnn at width 64 (64 and 128 channels)
#   channel-stats-200k 200,000  per-channel normalisation from `kontrast stats` of the train split (also -500k, -1m)
#   <objective>-<n>k  n,000     --encoder cnn --objective <objective> (moco, simclr, simsiam, byol, instdisc, dim, context);
#                               for the objectives table, on Fashion-MNIST at 300k
#   replay-<policy>-<n>k        --encoder cnn with the replay buffer (reservoir, min-redundancy);
#   replay2-<policy>-<n>k       the same, two steps per batch read; with --order, for the replay table
#   replay64k-<policy>-<n>k     the same with 65,536 slots, for the buffer's checkpoint size
set -euo pipefail
cd "$(dirname "$0")/.."

dir="" dataset=image-folder runs="defaults-200k" out="image-study.jsonl" work="" list=0 order=shuffled run_length=512
while (($#)); do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --dataset) dataset=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --order) order=$2; shift 2 ;;
    --run-length) run_length=$2; shift 2 ;;
    --list) list=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image-study.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

declare -A samples=(
  [defaults-200k]=200000 [defaults-500k]=500000 [defaults-1m]=1000000 [resnet-200k]=200000
  [resnet64-200k]=200000 [crops05-200k]=200000 [nojitter-200k]=200000 [t02-200k]=200000
  [batch256-200k]=200000 [cnn16-200k]=200000 [cnn64-200k]=200000 [crops05-1m]=1000000 [crops02-200k]=200000 [crops02-1m]=1000000)
declare -A options=(
  [defaults-200k]="" [defaults-500k]="" [defaults-1m]="" [resnet-200k]="--encoder resnet"
  [resnet64-200k]="--encoder resnet -D kontrast.resnet.width=64"
  [crops05-200k]="-D kontrast.views.crop-min-scale=0.5" [crops05-1m]="-D kontrast.views.crop-min-scale=0.5"
  [crops02-200k]="-D kontrast.views.crop-min-scale=0.2" [crops02-1m]="-D kontrast.views.crop-min-scale=0.2"
  [nojitter-200k]="-D kontrast.views.jitter-probability=0 -D kontrast.views.grayscale-probability=0"
  [t02-200k]="-D kontrast.temperature=0.2"
  [batch256-200k]="--batch-size 256"
  [cnn16-200k]="-D kontrast.cnn.width=16" [cnn64-200k]="-D kontrast.cnn.width=64")
for k in 200k 500k 1m; do
  samples[channel-stats-$k]=${samples[defaults-$k]}; options[channel-stats-$k]="--input-stats @STATS@"
done
# The choice table's runs: one change from crops 0.2-1 (the defaults when it was measured).
for r in resnet-200k resnet64-200k nojitter-200k t02-200k batch256-200k cnn16-200k cnn64-200k channel-stats-200k \
    channel-stats-500k channel-stats-1m; do
  options[$r]="${options[$r]} -D kontrast.views.crop-min-scale=0.2"
done
for p in reservoir min-redundancy; do
  for k in 100 200 300 500; do
    samples[replay-$p-${k}k]=$((k * 1000)); options[replay-$p-${k}k]="--encoder cnn -D kontrast.replay.policy=$p"
    samples[replay2-$p-${k}k]=$((k * 1000))
    options[replay2-$p-${k}k]="--encoder cnn -D kontrast.replay.policy=$p -D kontrast.replay.steps-per-batch=2"
    samples[replay64k-$p-${k}k]=$((k * 1000))
    options[replay64k-$p-${k}k]="--encoder cnn -D kontrast.replay.policy=$p -D kontrast.replay.size=65536"
  done
done
for o in moco simclr simsiam byol instdisc dim context; do
  for k in 100 200 300 500; do samples[$o-${k}k]=$((k * 1000)); options[$o-${k}k]="--encoder cnn --objective $o"; done
done
if ((list)); then for r in "${!samples[@]}"; do echo "$r ${samples[$r]} ${options[$r]}"; done | sort; exit 0; fi
case "$dataset" in
  image-folder) [ -n "$dir" ] || { echo "image-study.sh: --dir is required (DIR/train/<class>/<files>, DIR/test/...)" >&2; exit 2; }
    source_options=(--dataset image-folder --dir "$dir")
    train_options=(--input-shape 3x32x32 --input-format image) ;;
  fashion-mnist) source_options=(--dataset fashion-mnist)
    train_options=() ;;
  *) echo "image-study.sh: --dataset must be image-folder or fashion-mnist, got '$dataset'" >&2; exit 2 ;;
esac
IFS=, read -r -a selected <<<"$runs"
most=0
for r in "${selected[@]}"; do
  [ -n "${samples[$r]:-}" ] || { echo "image-study.sh: unknown run '$r' (--list shows them)" >&2; exit 2; }
  ((samples[$r] > most)) && most=${samples[$r]}
done

bash scripts/setup.sh >/dev/null
[ -f jobs/target/kontrast.jar ] && [ -z "$(find . -name '*.java' -newer jobs/target/kontrast.jar -print -quit)" ] \
  || mvn -B -ntp -q package -DskipTests
jar=$(pwd)/jobs/target/kontrast.jar
work=${work:-$(mktemp -d /tmp/kontrast-study.XXXXXX)}
mkdir -p "$work"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bootstrap=127.0.0.1:$port
java -jar "$jar" kafka --port "$port" --data-dir "$work/kafka" >"$work/kafka.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null || true' EXIT
for _ in $(seq 120); do kcat -b "$bootstrap" -L -t samples -m 2 >/dev/null 2>&1 && break; sleep 0.5; done

# One stream for every run: as many epochs of the train split (in --order) as the longest run needs.
if [ "$dataset" = image-folder ]; then
  train_files=$(find "$dir/train" -type f | wc -l)
  replay_options=(--split train --format image)
else
  train_files=60000
  replay_options=()
fi
epochs=$(( (most + train_files - 1) / train_files ))
echo "Replaying $epochs epochs of $train_files samples into $bootstrap ..."
java -jar "$jar" replay --bootstrap "$bootstrap" "${source_options[@]}" "${replay_options[@]}" \
  --epochs "$epochs" --order "$order" --run-length "$run_length" --with-labels >"$work/replay.log" 2>&1

# Per-channel statistics of the train split, for the runs that take them.
if [[ ",$runs," == *,channel-stats-* ]]; then
  stats_options=("${source_options[@]}")
  [ "$dataset" = image-folder ] && stats_options+=(--input-shape 3x32x32)
  java -jar "$jar" stats "${stats_options[@]}" --split train --out "$work/input-stats.json" >"$work/stats.log" 2>&1
  for r in "${selected[@]}"; do options[$r]=${options[$r]//@STATS@/$work/input-stats.json}; done
fi

for r in "${selected[@]}"; do
  echo "Run $r: ${samples[$r]} samples ${options[$r]}"
  start=$(date +%s)
  # shellcheck disable=SC2086
  java -jar "$jar" train --bootstrap "$bootstrap" "${train_options[@]}" \
    --max-samples "${samples[$r]}" --model-id "$r" --checkpoint-dir "$work/ck-$r" --fresh \
    -D kontrast.kafka.group-id="$r" ${options[$r]} >"$work/train-$r.log" 2>&1
  seconds=$(( $(date +%s) - start ))
  # The state the run left: its newest restore point (the stop's savepoint), whole.
  checkpoint=$(java -jar "$jar" checkpoints --checkpoint-dir "$work/ck-$r" --json 2>/dev/null | grep '^{' | tail -1 || true)
  scores=$(java -jar "$jar" evaluate --bootstrap "$bootstrap" --model-id "$r" "${source_options[@]}" \
    2>>"$work/evaluate.log" | grep '^{')
  echo "{\"run\": \"$r\", \"order\": \"$order\", \"options\": \"${options[$r]}\", \"train_seconds\": $seconds, \"samples_per_s\": $(( samples[$r] / seconds )), \"evaluate\": $scores, \"state\": ${checkpoint:-null}}" | tee -a "$out"
done
