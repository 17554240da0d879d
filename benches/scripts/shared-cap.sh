#!/usr/bin/env bash
# One account's cap shared through Redis by 4 blast processes, against 1 process with the
# in-process cap, on one emulator (the demo dashboard: CleverTap's limit of 3). BENCHMARKS.md §8.
#
#   REDIS_URL=redis://127.0.0.1:6379 bash benches/scripts/shared-cap.sh
#
# Needs `cargo build --release -p bulletins-examples --example blast` and
# `cargo build --release -p bulletins-cli --bin bulletins-emulator`.
# Runs both regimes of issue #13, each measured back to back in the same run:
# - CPU-bound (no delay, N_CPU bulletins, default 6000): 4 processes through Redis against
#   1 process with the in-process cap; target >= 0.8x.
# - latency-bound (the emulator holds every answer DELAY_MS, default 50 ms; N bulletins, default
#   600): against the ceiling 3 / DELAY_MS; target >= 0.9x with zero 429s.
# ROUNDS (default 1) repeats the CPU-bound regime and reports the median ratio. Beside it, a
# reference: the same load split over 3 processes with no limiter at all.
# DELAY_MS=0 runs only the CPU-bound regime. BLAST_REDIS_ARGS is added to each `blast --redis`
# (e.g. "--max-local-handoffs 0" to measure without local hand-offs). The environment reaches
# every blast process: TOKIO_WORKER_THREADS=1 runs each on one worker thread (BENCHMARKS.md §8).
# Prints per process its rate, CPU time, Redis round trips and local hand-offs, then one summary
# line per regime and the 429s recorded.
set -euo pipefail

bin=${CARGO_TARGET_DIR:-target}/release
n_cpu=${N_CPU:-6000}
n_lat=${N:-600}
delay=${DELAY_MS:-50}
rounds=${ROUNDS:-1}
redis=${REDIS_URL:-${BULLETINS_TEST_REDIS_URL:?set REDIS_URL or BULLETINS_TEST_REDIS_URL}}
log=$(mktemp -d)
trap 'kill "$emulator_pid" 2>/dev/null || true; rm -rf "$log"' EXIT

RUST_LOG=warn "$bin/bulletins-emulator" --listen 127.0.0.1:0 >"$log/emulator.out" 2>/dev/null &
emulator_pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$log/emulator.out" 2>/dev/null && break
    sleep 0.05
done
url=$(tail -n 1 "$log/emulator.out" | awk '{print $NF}')

# faults <delay ms>: every answer held that long (0: none).
faults() {
    curl -sf -X DELETE "$url/_emulator/faults" >/dev/null
    if [ "$1" -gt 0 ]; then
        curl -sf -X POST "$url/_emulator/faults" -H 'content-type: application/json' \
            -d "{\"fault\":{\"kind\":\"delay\",\"millis\":$1},\"times\":100000}" >/dev/null
    fi
}

rejections_429() {
    curl -sf "$url/_emulator/rejections" | grep -o '"status":429' | wc -l
}

# blast_timed <name> <args...>: runs blast, CPU time (user+sys seconds) into $log/<name>.cpu.
blast_timed() {
    local name=$1
    shift
    /usr/bin/time -f '%U %S' -o "$log/$name.time" "$bin/examples/blast" "$@" \
        >"$log/$name.out" 2>"$log/$name.err"
    awk '{print $1 + $2}' "$log/$name.time" >"$log/$name.cpu"
}

# measure <delay ms> <n>: sets $one and $four (bulletins/s) for that regime.
measure() {
    local delay=$1 n=$2 i
    faults "$delay"
    parallel one 1 "$n" --url "$url" --concurrency 3
    one=$rate
    printf '  in-process cap, 1 process: %d bulletins in %.3f s = %.1f/s; CPU %.1f us/bulletin\n' \
        "$n" "$seconds" "$one" "$(echo "$cpu * 1000000 / $n" | bc -l)"
    faults "$delay"
    parallel four 4 "$n" --url "$url" --concurrency 3 --redis "$redis" ${BLAST_REDIS_ARGS:-}
    four=$rate
    printf '  Redis cap, 4 processes: %d bulletins in %.3f s = %.1f/s; CPU %.1f us/bulletin\n' \
        "$n" "$seconds" "$four" "$(echo "$cpu * 1000000 / $n" | bc -l)"
    for i in 1 2 3 4; do
        echo "    $(tail -n 1 "$log/four.$i.out"); $(grep -o 'redis_round_trips.*' "$log/four.$i.err")"
    done
}

# parallel <name> <processes> <n> <blast args...>: runs that many blast processes at once, n
# bulletins in all; sets $rate (bulletins/s), $seconds and $cpu (CPU seconds, all processes).
parallel() {
    local name=$1 procs=$2 n=$3 start end i
    shift 3
    start=$(date +%s.%N)
    local pids=()
    for i in $(seq "$procs"); do
        blast_timed "$name.$i" --count $((n / procs)) "$@" &
        pids+=($!)
    done
    wait "${pids[@]}"
    end=$(date +%s.%N)
    seconds=$(echo "$end - $start" | bc -l)
    rate=$(echo "$n / $seconds" | bc -l)
    cpu=$(cat "$log"/"$name".*.cpu | paste -sd+ | bc -l)
}

# split <n>: sets $split (bulletins/s): 3 processes with 1 in flight each and no limiter at all,
# the account's 3 in flight split over processes with nothing coordinating them: the cost of
# the split alone, to which a shared limiter adds its own.
split() {
    local n=$1
    faults 0
    parallel split 3 "$n" --url "$url" --concurrency 1
    split=$rate
    printf '  no limiter, 3 processes x 1 in flight: %.1f/s; CPU %.1f us/bulletin\n' \
        "$split" "$(echo "$cpu * 1000000 / $n" | bc -l)"
}

echo "CPU-bound (no delay), $rounds round(s):"
ratios=() splits=()
for round in $(seq "$rounds"); do
    measure 0 "$n_cpu"
    split "$n_cpu"
    ratios+=("$(echo "$four / $one" | bc -l)")
    splits+=("$(echo "$split / $one" | bc -l)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "429s so far: $(rejections_429)"
if [ "$delay" -gt 0 ]; then
    echo "latency-bound (every answer $delay ms):"
    measure "$delay" "$n_lat"
    lat_one=$one lat_four=$four
fi
echo "429s in total: $(rejections_429)"
printf 'CPU-bound ratio, 4 processes via Redis / 1 in-process: %.2f x (target >= 0.8); per round: %s\n' \
    "$(median "${ratios[@]}")" "$(printf '%.2f ' "${ratios[@]}")"
printf 'reference, 3 processes x 1 in flight without any limiter / 1 in-process: %.2f x; per round: %s\n' \
    "$(median "${splits[@]}")" "$(printf '%.2f ' "${splits[@]}")"
if [ "$delay" -gt 0 ]; then
    ceiling=$(echo "3 * 1000 / $delay" | bc -l)
    printf 'latency-bound ratio, 4 processes via Redis / ceiling %.0f/s: %.2f x (target >= 0.9); 1 in-process: %.2f x\n' \
        "$ceiling" "$(echo "$lat_four / $ceiling" | bc -l)" "$(echo "$lat_one / $ceiling" | bc -l)"
fi
