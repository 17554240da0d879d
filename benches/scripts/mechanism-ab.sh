#!/usr/bin/env bash
# One mechanism against its absence (BENCHMARKS.md §15): two blast commands, A (with it) and B
# (without: another build, or a flag), interleaved round by round, the first of each round
# alternating, against one emulator binary serving benches/emulator-unlimited.json, each answer
# held DELAY_MS by its delay fault (0: none). A run is REPLICAS blast processes started at
# once, N bulletins in all, each at --concurrency C (with REDIS_URL, sharing that cap through
# Redis). Prints each run's rate (N / wall seconds of the whole group) and CPU per bulletin
# (every process's threads, as blast reports it), then the A/B rate ratio paired by round: its median and
# quartiles (> 1: the mechanism gains), and the B/A ratio of CPU per bulletin.
#
#   A="$T/release/examples/blast" B="$T2/release/examples/blast" bash benches/scripts/mechanism-ab.sh
#   A="$T/release/examples/blast" B="$T/release/examples/blast --max-local-handoffs 0" \
#       REDIS_URL=redis://127.0.0.1:6379/ REPLICAS=4 bash benches/scripts/mechanism-ab.sh
#   env: C=3 N=600 DELAY_MS=20 ROUNDS=7 REPLICAS=1 REDIS_URL= API=stream
#        EMULATOR=${CARGO_TARGET_DIR:-target}/release/bulletins-emulator
# Extra blast flags for both (e.g. "--api trigger --tasks 12") go in BLAST_ARGS.
set -euo pipefail
read -ra cmd_a <<<"${A:?set A to the blast command with the mechanism}"
read -ra cmd_b <<<"${B:?set B to the blast command without it}"
C=${C:-3}
N=${N:-600}
DELAY_MS=${DELAY_MS:-20}
ROUNDS=${ROUNDS:-7}
REPLICAS=${REPLICAS:-1}
REDIS_URL=${REDIS_URL:-}
read -ra extra <<<"${BLAST_ARGS:-}"
emulator_bin=${EMULATOR:-${CARGO_TARGET_DIR:-target}/release/bulletins-emulator}
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
RUST_LOG=warn "$emulator_bin" --listen 127.0.0.1:0 --config benches/emulator-unlimited.json \
    >"$work/emulator.out" 2>"$work/emulator.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    grep -q 'listening on' "$work/emulator.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/emulator.out" | head -n1)

# run <name> <command...>: one group of REPLICAS processes; sets $rate, $cpu_us, $failed, $trips.
run() {
    local name=$1 i start end
    shift
    curl -fsS -X DELETE "$url/_emulator/bulletins" >/dev/null
    curl -fsS -X DELETE "$url/_emulator/faults" >/dev/null
    if [ "$DELAY_MS" -gt 0 ]; then
        curl -fsS -X POST "$url/_emulator/faults" -H 'content-type: application/json' \
            -d "{\"fault\":{\"kind\":\"delay\",\"millis\":$DELAY_MS},\"times\":$N}" >/dev/null
    fi
    local args=(--url "$url" --concurrency "$C" --count $((N / REPLICAS)) "${extra[@]}")
    [ -n "$REDIS_URL" ] && args+=(--redis "$REDIS_URL")
    local pids=()
    start=$(date +%s.%N)
    for i in $(seq "$REPLICAS"); do
        "$@" "${args[@]}" >"$work/$name.$i.out" 2>"$work/$name.$i.err" &
        pids+=($!)
    done
    wait "${pids[@]}"
    end=$(date +%s.%N)
    rate=$(echo "$N / ($end - $start)" | bc -l)
    cpu_us=$(cat "$work/$name".*.err | sed -n 's/.*cpu_us=\([0-9]*\).*/\1/p' | paste -sd+ | bc)
    cpu_us=$(echo "$cpu_us / $N" | bc -l)
    failed=$(cat "$work/$name".*.out | sed -n 's/.* failed=\([0-9]*\).*/\1/p' | paste -sd+ | bc)
    trips=$(cat "$work/$name".*.err | sed -n 's/.*redis_round_trips=\([0-9]*\).*/\1/p' |
        paste -sd+ | bc 2>/dev/null || true)
    rm -f "$work/$name".*
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
quartiles() { sort -g | awk '{v[NR]=$1} END {printf "%.3f-%.3f", v[int((NR+3)/4)], v[int((3*NR+1)/4)]}'; }

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A: ${cmd_a[*]}"
echo "B: ${cmd_b[*]}"
echo "C=$C N=$N DELAY_MS=$DELAY_MS ROUNDS=$ROUNDS REPLICAS=$REPLICAS REDIS=${REDIS_URL:-none} ${extra[*]}"
: >"$work/ra"; : >"$work/rb"; : >"$work/ratio"; : >"$work/cpu"
failures=0 trips_a=0 trips_b=0
for round in $(seq "$ROUNDS"); do
    for side in $( ((round % 2)) && echo a b || echo b a); do
        if [ "$side" = a ]; then run a "${cmd_a[@]}"; else run b "${cmd_b[@]}"; fi
        printf -v "rate_$side" '%s' "$rate"
        printf -v "cpu_$side" '%s' "$cpu_us"
        failures=$((failures + failed))
        [ -n "$trips" ] && printf -v "trips_$side" '%s' "$(( trips_$side + trips ))"
    done
    echo "$rate_a" >>"$work/ra"; echo "$rate_b" >>"$work/rb"
    echo "$rate_a / $rate_b" | bc -l >>"$work/ratio"
    echo "$cpu_b / $cpu_a" | bc -l >>"$work/cpu"
    printf 'round %d: A %.1f/s %.0f us/bulletin  B %.1f/s %.0f us/bulletin\n' \
        "$round" "$rate_a" "$cpu_a" "$rate_b" "$cpu_b"
done
printf 'A median %.1f/s; B median %.1f/s; failed requests: %d\n' \
    "$(median <"$work/ra")" "$(median <"$work/rb")" "$failures"
if [ -n "$REDIS_URL" ]; then
    printf 'Redis round trips per bulletin: A %.3f, B %.3f\n' \
        "$(echo "$trips_a / ($N * $ROUNDS)" | bc -l)" "$(echo "$trips_b / ($N * $ROUNDS)" | bc -l)"
fi
printf 'rate A/B, paired by round: median %.3f (quartiles %s); per round: %s\n' \
    "$(median <"$work/ratio")" "$(quartiles <"$work/ratio")" \
    "$(xargs printf '%.3f ' <"$work/ratio")"
printf 'CPU per bulletin B/A, paired by round: median %.3f (quartiles %s)\n' \
    "$(median <"$work/cpu")" "$(quartiles <"$work/cpu")"
