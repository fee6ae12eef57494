#!/usr/bin/env bash
# A chaos run: a broker, a replay at a steady rate, and `train` under random kill -9s, broker
# restarts and bursts of garbage records; then a client that is not the trainer (kcat and the
# Python snapshot decoder, scripts/chaos_check.py) checks the topics: snapshot versions 1..N
# contiguous, the last one counting exactly the budget, every garbage record once in the
# dead-letter topic, and the exit status of every run that ended by itself. Prints one line.
#
#   scripts/chaos.sh [--kills N] [--minutes M] [--broker-restarts R] [--rate SAMPLES_PER_S]
#                    [--port P (default: a free one)] [--work DIR] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

kills=20 minutes=10 broker_restarts=3 rate=300 port="" work="" keep=0
while (($#)); do
  case "$1" in
    --kills) kills=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --broker-restarts) broker_restarts=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "chaos.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
((kills >= 1 && minutes >= 1 && broker_restarts >= 0 && broker_restarts <= kills && rate >= 50)) \
  || { echo "chaos.sh: need --kills >= 1, --minutes >= 1, 0 <= --broker-restarts <= --kills, --rate >= 50" >&2; exit 2; }

bash scripts/setup.sh >/dev/null
[ -f jobs/target/kontrast.jar ] && [ -z "$(find . -name '*.java' -newer jobs/target/kontrast.jar -print -quit)" ] \
  || mvn -B -ntp -q package -DskipTests
jar=$root/jobs/target/kontrast.jar
# The jar starts itself again with its JVM flags; each process runs in a session of its own
# (setsid), so that kill -9 of the session takes the whole process tree.
unset OMP_WAIT_POLICY KONTRAST_CHILD
work=${work:-$(mktemp -d /tmp/kontrast-chaos.XXXXXX)}
mkdir -p "$work"
[ -n "$port" ] || port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bootstrap=127.0.0.1:$port
batch=128
# The schedule, drawn up front: how long each run lives before its kill (a random moment: before
# the first checkpoint, mid-training, or while it stops), and which kills restart the broker (and
# for how long it stays down).
cycle=$(( minutes * 60 / kills ))
lifetimes=() downtimes=() planned=0
restart_at=" $(shuf -i 1-"$kills" -n "$broker_restarts" | tr '\n' ' ') "
for k in $(seq "$kills"); do
  lifetimes+=($(( 3 + RANDOM % (2 * cycle > 4 ? 2 * cycle - 3 : 2) )))
  downtimes+=($(( 5 + RANDOM % 16 )))
  planned=$(( planned + lifetimes[k - 1] + 3 ))
  if [[ $restart_at == *" $k "* ]]; then planned=$(( planned + downtimes[k - 1] + 20 )); fi
done
# The trainer cannot get ahead of the replay, so with a budget the replay reaches only a minute
# after the planned kills end, every killed run is mid-training, and the last run reads past
# every garbage burst.
budget=$(( rate * (planned + 60) / batch * batch ))
started=$(date +%s)

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done
  if ((keep == 0)); then rm -rf "$work"; else echo "chaos.sh: kept $work" >&2; fi
}
trap cleanup EXIT

broker=""
start_broker() {
  setsid java -jar "$jar" kafka --port "$port" --data-dir "$work/kafka" >>"$work/kafka.log" 2>&1 &
  broker=$!
  pids+=("$broker")
  for _ in $(seq 120); do
    kcat -b "$bootstrap" -L -t samples -m 2 >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "chaos.sh: the broker did not start; see $work/kafka.log" >&2
  exit 1
}
stop_broker() {
  kill -TERM -- "-$broker" 2>/dev/null || true
  wait "$broker" 2>/dev/null || true
}

garbage_sent=0
garbage_burst() {
  local n=$((10 + RANDOM % 31)) lines=""
  for _ in $(seq "$n"); do
    garbage_sent=$((garbage_sent + 1))
    lines+="garbage/$garbage_sent:$(head -c $((1 + RANDOM % 48)) /dev/urandom | base64 -w0)"$'\n'
  done
  # Only keys the broker acknowledged count (kcat -P exits non-zero when a delivery failed).
  if printf '%s' "$lines" | kcat -P -b "$bootstrap" -t samples -K: -X message.timeout.ms=20000 2>>"$work/kcat.log"; then
    printf '%s' "$lines" | cut -d: -f1 >>"$work/garbage.keys"
  fi
}

replayer=""
start_replay() {
  # A replay that outlives broker restarts: it is started again whenever it ends.
  setsid bash -c "while true; do java -jar '$jar' replay --bootstrap '$bootstrap' --dataset synthetic \
      --epochs 1000 --rate $rate >>'$work/replay.log' 2>&1; sleep 2; done" &
  replayer=$!
  disown "$replayer"  # killed at the end; no job notice
  pids+=("$replayer")
}

train_args=(train --bootstrap "$bootstrap" --checkpoint-dir "$work/checkpoints" --max-samples "$budget"
  --batch-size "$batch" --checkpoint-interval 2s --snapshot-every 20)
run=0
trainer=""
start_train() {
  run=$((run + 1))
  setsid java -jar "$jar" "${train_args[@]}" >"$work/train-$run.log" 2>&1 &
  trainer=$!
  pids+=("$trainer")
}

touch "$work/garbage.keys"
start_broker
start_replay
killed=0 restarted=0 finished_runs=0 bad_exits=0
for k in $(seq "$kills"); do
  start_train
  sleep "${lifetimes[k - 1]}"
  garbage_burst
  if kill -0 "$trainer" 2>/dev/null; then
    kill -9 -- "-$trainer"
    wait "$trainer" 2>/dev/null || true
    killed=$((killed + 1))
  else
    # The run ended by itself (its budget reached): that must be exit 0.
    status=0; wait "$trainer" || status=$?
    finished_runs=$((finished_runs + 1))
    ((status == 0)) || { bad_exits=$((bad_exits + 1)); echo "chaos.sh: run $run exited $status" >&2; }
  fi
  if [[ $restart_at == *" $k "* ]]; then
    stop_broker
    sleep "${downtimes[k - 1]}"
    start_broker
    restarted=$((restarted + 1))
  fi
done

# The last run, left alone, trains up to the budget and stops with exit 0.
garbage_burst
start_train
final=0
for _ in $(seq 1200); do kill -0 "$trainer" 2>/dev/null || break; sleep 1; done
if kill -0 "$trainer" 2>/dev/null; then
  echo "chaos.sh: the last run did not finish within 20 minutes" >&2
  kill -9 -- "-$trainer"
fi
wait "$trainer" || final=$?
finished_runs=$((finished_runs + 1))
((final == 0)) || bad_exits=$((bad_exits + 1))
kill -9 -- "-$replayer" 2>/dev/null || true

error_lines=$(cat "$work"/train-*.log | grep -c ' ERROR ' || true)
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3  # Debian's, where setup.sh installs avro and numpy
check=$($python scripts/chaos_check.py --bootstrap "$bootstrap" --budget "$budget" \
  --garbage-keys "$work/garbage.keys" --schemas schemas/src/main/avro/io/kontrast/schemas) && ok=1 || ok=0
elapsed=$(( $(date +%s) - started ))
stop_broker
line="chaos: kills=$killed broker_restarts=$restarted runs=$run $check ended_by_themselves=$finished_runs bad_exits=$bad_exits final_exit=$final error_lines=$error_lines minutes=$((elapsed / 60)).$(( (elapsed % 60) / 6 ))"
echo "$line"
((ok == 1 && bad_exits == 0 && final == 0)) || { echo "chaos.sh: FAILED (logs in $work)" >&2; keep=1; exit 1; }
