#!/usr/bin/env bash
# The load benchmarks of BENCHMARKS.md, in one run so every ratio is against a baseline measured
# under the same conditions:
#   - blast --mode client vs --mode bare, at C=1 and C=16, against the emulator binary (serving
#     benches/emulator-unlimited.json: no per-account concurrency limit, log level warn) and the
#     static responder;
#   - the emulator's throughput vs the static responder's, under blast --mode bare;
#   - peak RSS of blast (client, trigger_stream) at N=10,000 and N=200,000 against the static
#     responder, plus --api all at both N for comparison;
#   - wrk -c16 POSTing the documented payload to the emulator (logging at its default, info,
#     into a file), to nginx (Debian's package) answering the same path with a static success
#     body, and to the static responder: requests/s and emulator / nginx.
# The throughput runs are interleaved ROUNDS times and each reports its median, so slow drift
# in the machine's load falls on every configuration alike.
#
#   bash benches/scripts/load.sh
#   env: ROUNDS=3 N1=2000 N16=10000 BLAST=1 MEMORY=1 WRK=1 WRK_SECONDS=5 WRK_ROUNDS=ROUNDS
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
ROUNDS=${ROUNDS:-3}
N1=${N1:-2000}
N16=${N16:-10000}
MEMORY=${MEMORY:-1}
BLAST=${BLAST:-1}
WRK=${WRK:-1}
WRK_SECONDS=${WRK_SECONDS:-5}
WRK_ROUNDS=${WRK_ROUNDS:-$ROUNDS}

cargo build --release --quiet -p bulletins-cli --bin bulletins-emulator \
    -p bulletins-benches --bin static_responder -p bulletins-examples --example blast
bin="$CARGO_TARGET_DIR/release"
blast="$bin/examples/blast"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Starts a server printing "... listening on http://ADDR" in the background.
start() {
    local name=$1
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
}

# The base URL a started server printed.
url_of() {
    local name=$1
    for _ in $(seq 100); do
        if grep -q 'listening on' "$work/$name.out" 2>/dev/null; then
            sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/$name.out" | head -n1
            return
        fi
        sleep 0.1
    done
    echo "$name did not start: $(cat "$work/$name.err")" >&2
    exit 1
}

RUST_LOG=warn start emulator "$bin/bulletins-emulator" \
    --listen 127.0.0.1:0 --config benches/emulator-unlimited.json
start static "$bin/static_responder" 127.0.0.1:0
emulator=$(url_of emulator)
static=$(url_of static)
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; $(rustc --version)"
echo "emulator: $emulator  static responder: $static"

# rps of one blast run; fails loudly if any request failed. The emulator is emptied first: it
# keeps every bulletin, and each request costs more the more it holds (see BENCHMARKS.md).
run() {
    local url=$1 mode=$2 c=$3 n=$4 line
    if [ "$url" = "$emulator" ] && [ -z "${KEEP:-}" ]; then
        curl -fsS -X DELETE "$emulator/_emulator/bulletins" >/dev/null
    fi
    line=$("$blast" --url "$url" --mode "$mode" --concurrency "$c" --count "$n" 2>"$work/blast.err" | tail -n1)
    case $line in
        *" failed=0 "*) ;;
        *) echo "blast failed: $line $(cat "$work/blast.err")" >&2; exit 1 ;;
    esac
    sed -n 's/.*rps=\([0-9]*\).*/\1/p' <<<"$line"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

if [ "$BLAST" = 1 ]; then
# Warm-up: connections, page cache, CPU frequency.
run "$emulator" bare 16 2000 >/dev/null
run "$static" bare 16 2000 >/dev/null

configs=()
for server in emulator static; do
    for c in 1 16; do
        for mode in client bare; do
            configs+=("$server $c $mode")
        done
    done
done
declare -A samples
for round in $(seq "$ROUNDS"); do
    for config in "${configs[@]}"; do
        read -r server c mode <<<"$config"
        url=$emulator
        [ "$server" = static ] && url=$static
        n=$N1
        [ "$c" = 16 ] && n=$N16
        samples[$config]+="$(run "$url" "$mode" "$c" "$n") "
    done
    echo "round $round done" >&2
done

declare -A rps
for config in "${configs[@]}"; do
    rps[$config]=$(median <<<"${samples[$config]}")
done

echo
echo "throughput, requests/s (median of $ROUNDS; samples in brackets); N=$N1 at C=1, N=$N16 at C=16"
printf '%-9s %3s %8s %8s %14s\n' server C client bare 'client/bare'
for server in emulator static; do
    for c in 1 16; do
        cl=${rps["$server $c client"]}
        ba=${rps["$server $c bare"]}
        printf '%-9s %3s %8s %8s %14s   [client %s| bare %s]\n' "$server" "$c" "$cl" "$ba" \
            "$(echo "scale=2; $cl / $ba" | bc -l)x" "${samples["$server $c client"]}" "${samples["$server $c bare"]}"
    done
done
echo
echo "client/bare paired by round (each round runs them back to back): median (quartiles)"
for server in emulator static; do
    for c in 1 16; do
        paste -d' ' <(tr ' ' '\n' <<<"${samples["$server $c client"]}" | grep .) \
            <(tr ' ' '\n' <<<"${samples["$server $c bare"]}" | grep .) |
            awk '{print $1 / $2}' | sort -g |
            awk -v s="$server" -v c="$c" '{a[NR]=$1} END {
                printf "  %-9s C=%-3s %.3fx (%.3f-%.3f)\n", s, c, a[int((NR+1)/2)], a[int((NR+3)/4)], a[int((3*NR+1)/4)] }'
    done
done
echo
echo "emulator / static responder under the same generator:"
for c in 1 16; do
    for mode in bare client; do
        printf '  C=%-3s %-6s %s\n' "$c" "$mode" \
            "$(echo "scale=2; ${rps["emulator $c $mode"]} / ${rps["static $c $mode"]}" | bc -l)x"
    done
done

echo
echo "emulator throughput against the bulletins it already holds (bare, C=16, 5000 requests):"
curl -fsS -X DELETE "$emulator/_emulator/bulletins" >/dev/null
held=0
for fill in 0 20000 80000; do
    if [ "$fill" -gt 0 ]; then
        KEEP=1 run "$emulator" bare 16 "$fill" >/dev/null
        held=$((held + fill))
    fi
    printf '  holding %-7s %8s rps\n' "$held" "$(KEEP=1 run "$emulator" bare 16 5000)"
    held=$((held + 5000))
done

fi

if [ "$MEMORY" = 1 ]; then
    echo
    echo "peak RSS of blast against the static responder, C=16 (/usr/bin/time -v, KiB):"
    for api in stream all; do
        for n in 10000 200000; do
            /usr/bin/time -v "$blast" --url "$static" --mode client --api "$api" --concurrency 16 \
                --count "$n" >"$work/mem.out" 2>"$work/mem.err"
            kib=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$work/mem.err")
            printf '  --api %-6s N=%-7s %8s KiB   %s\n' "$api" "$n" "$kib" "$(tail -n1 "$work/mem.out")"
        done
    done
    n=200000
    /usr/bin/time -v "$blast" --url "$static" --mode bare --concurrency 16 --count "$n" \
        >"$work/mem.out" 2>"$work/mem.err"
    kib=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$work/mem.err")
    printf '  --mode bare   N=%-7s %8s KiB   %s\n' "$n" "$kib" "$(tail -n1 "$work/mem.out")"
fi

if [ "$WRK" = 1 ]; then
    source benches/scripts/wrk.sh
fi
