#!/usr/bin/env bash
# Each concurrency mechanism of bulletins-http against its absence, in the regimes users meet
# (BENCHMARKS.md §17): every comparison is one run of mechanism-ab.sh, A (with) and B (without)
# interleaved round by round.
#
#   source .ci/services.sh                      # a Redis; or set REDIS_URL
#   BINS=/tmp/bins bash benches/scripts/mechanisms.sh [timer] [knob] [kept] [turns] [handoffs]
#
# BINS holds bulletins-emulator, `blast` (every mechanism) and one `blast-without-<name>` per
# mechanism, each built from the same tree with one compile-time switch, into its own target dir:
#   cargo build --release -p bulletins-examples --example blast                   # blast
#   RUSTFLAGS='--cfg bulletins_without="<name>"' CARGO_TARGET_DIR=/tmp/without \
#       cargo build --release -p bulletins-examples --example blast               # blast-without-<name>
# <name>: attempt_timer, kept_permits, turns, local_handoffs.
#
# Parts (default all):
# - timer: the per-worker attempt timer, the client's own cap (no Redis): cap 3 with answers
#   held 20 and 200 ms, cap 16 at 20 ms; and, CPU-bound (answers at once), cap 3 and 16.
# - knob: turns, hand-offs and kept permits together (`--max-local-handoffs 0` on B);
# - kept: kept permits alone; turns: turns alone (batches, `trigger_stream`);
# - handoffs: local hand-offs alone, with `--api trigger` (4 x C tasks calling `trigger`);
# each through Redis, 1, 4 and 8 replicas, cap 3 at 20 and 200 ms and cap 16 at 20 ms, on
# Redis directly and through latency-proxy.py (DELAY_MS_REDIS each way, default 0.5).
# ROUNDS (default 7) rounds per comparison. Prints the Redis round trip measured by
# `redis-cli --latency` on each path, then each comparison's summary.
set -euo pipefail
bins=${BINS:?set BINS to the directory of the binaries}
redis=${REDIS_URL:-${BULLETINS_TEST_REDIS_URL:?set REDIS_URL or source .ci/services.sh}}
export ROUNDS=${ROUNDS:-7} EMULATOR=$bins/bulletins-emulator
parts=${*:-timer knob kept turns handoffs}
here=$(dirname "$0")
# cap, answer delay in ms, bulletins per run (about 4-6 s at the ceiling; a multiple of 8)
regimes=("3 20 600" "3 200 96" "16 20 3200")

compare() { # <label> <A> <B> <extra env...>
    local label=$1 a=$2 b=$3
    shift 3
    echo "== $label"
    env A="$a" B="$b" "$@" bash "$here/mechanism-ab.sh" | grep -E '^(A median|Redis|rate|CPU|round)'
}

redis_port=$(echo "$redis" | sed -n 's#.*:\([0-9]*\)/*$#\1#p')
proxy_out=$(mktemp)
python3 "$here/latency-proxy.py" --target "127.0.0.1:$redis_port" \
    --delay-ms "${DELAY_MS_REDIS:-0.5}" >"$proxy_out" &
proxy=$!
trap 'kill $proxy 2>/dev/null || true; rm -f "$proxy_out"' EXIT
for _ in $(seq 100); do grep -q listening "$proxy_out" && break; sleep 0.1; done
proxy_port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$proxy_out")
latency() { timeout 8 redis-cli -p "$1" --latency -i 5 | tr '\r' '\n' | grep -v '^$' | tail -n1; }
echo "Redis round trip, ms (min max avg samples): direct $(latency "$redis_port");" \
    "through the proxy $(latency "$proxy_port")"

for part in $parts; do
    case $part in
    timer)
        for regime in "${regimes[@]}" "3 0 20000" "16 0 40000"; do
            read -r c delay n <<<"$regime"
            compare "attempt timer, in-process cap $c, answers $delay ms" \
                "$bins/blast" "$bins/blast-without-attempt_timer" C="$c" DELAY_MS="$delay" N="$n"
        done
        ;;
    knob | kept | turns | handoffs)
        a=$bins/blast extra=
        case $part in
        knob) b="$bins/blast --max-local-handoffs 0" ;;
        kept) b=$bins/blast-without-kept_permits ;;
        turns) b=$bins/blast-without-turns ;;
        handoffs) b=$bins/blast-without-local_handoffs extra="--api trigger" ;;
        esac
        for path in "direct $redis_port" "+1ms $proxy_port"; do
            read -r name port <<<"$path"
            for replicas in 1 4 8; do
                for regime in "${regimes[@]}"; do
                    read -r c delay n <<<"$regime"
                    compare "$part, Redis $name, $replicas replicas, cap $c, answers $delay ms" \
                        "$a" "$b" C="$c" DELAY_MS="$delay" N="$n" REPLICAS="$replicas" \
                        REDIS_URL="redis://127.0.0.1:$port/" BLAST_ARGS="$extra"
                done
            done
        done
        ;;
    *) echo "unknown part: $part" >&2 && exit 2 ;;
    esac
done
echo "Redis round trip after, ms: direct $(latency "$redis_port"); through the proxy $(latency "$proxy_port")"
