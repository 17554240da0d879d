#!/usr/bin/env bash
# One account's cap shared through Redis by 4 blast processes, against 1 process with the
# in-process cap, on one emulator (the demo dashboard: CleverTap's limit of 3). BENCHMARKS.md §6.
#
#   DELAY_MS=50 N=600 REDIS_URL=redis://127.0.0.1:6379 bash benches/scripts/shared-cap.sh
#
# Needs `cargo build --release -p bulletins-examples --example blast` and
# `cargo build --release -p bulletins-emulator --bin bulletins-emulator`.
# DELAY_MS > 0 makes the emulator hold every answer that long (the latency-bound regime);
# DELAY_MS=0 is the CPU-bound one. Prints one line per configuration and the 429s recorded.
set -euo pipefail

bin=${CARGO_TARGET_DIR:-target}/release
n=${N:-600}
delay=${DELAY_MS:-50}
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

faults() {
    curl -sf -X DELETE "$url/_emulator/faults" >/dev/null
    if [ "$delay" -gt 0 ]; then
        curl -sf -X POST "$url/_emulator/faults" -H 'content-type: application/json' \
            -d "{\"fault\":{\"kind\":\"delay\",\"millis\":$delay},\"times\":100000}" >/dev/null
    fi
}

rejections_429() {
    curl -sf "$url/_emulator/rejections" | grep -o '"status":429' | wc -l
}

faults
start=$(date +%s.%N)
"$bin/examples/blast" --url "$url" --count "$n" --concurrency 3 >"$log/one.out" 2>/dev/null
end=$(date +%s.%N)
one=$(echo "$n / ($end - $start)" | bc -l)
printf 'in-process cap, 1 process: %d bulletins in %.3f s = %.1f/s; %s\n' \
    "$n" "$(echo "$end - $start" | bc -l)" "$one" "$(tail -n 1 "$log/one.out")"
echo "429s so far: $(rejections_429)"

faults
start=$(date +%s.%N)
pids=()
for i in 1 2 3 4; do
    "$bin/examples/blast" --url "$url" --count $((n / 4)) --concurrency 3 --redis "$redis" \
        >"$log/four.$i.out" 2>"$log/four.$i.err" &
    pids+=($!)
done
wait "${pids[@]}"
end=$(date +%s.%N)
four=$(echo "$n / ($end - $start)" | bc -l)
printf 'Redis cap, 4 processes: %d bulletins in %.3f s = %.1f/s (%.2f x one process)\n' \
    "$n" "$(echo "$end - $start" | bc -l)" "$four" "$(echo "$four / $one" | bc -l)"
for i in 1 2 3 4; do
    echo "  $(tail -n 1 "$log/four.$i.out"); $(grep round_trips "$log/four.$i.err")"
done
echo "429s in total: $(rejections_429)"
if [ "$delay" -gt 0 ]; then
    ceiling=$(echo "3 * 1000 / $delay" | bc -l)
    printf 'ceiling 3 / %d ms = %.0f/s: one process %.2f x, four processes %.2f x\n' \
        "$delay" "$ceiling" "$(echo "$one / $ceiling" | bc -l)" "$(echo "$four / $ceiling" | bc -l)"
fi
