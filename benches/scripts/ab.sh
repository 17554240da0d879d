#!/usr/bin/env bash
# Two builds of examples/blast against each other (A/B), interleaved round by round against one
# emulator binary (benches/emulator-unlimited.json: no per-account limit), each answer held
# DELAY_MS by the emulator's delay fault (0: none). Prints each run's rate, the medians, and
# the median of the per-round ratios B/A with its quartiles.
#
#   bash benches/scripts/ab.sh BLAST_A BLAST_B EMULATOR
#   env: C=3 N=600 DELAY_MS=20 ROUNDS=9
set -euo pipefail
a=$1 b=$2 emulator_bin=$3
C=${C:-3}
N=${N:-600}
DELAY_MS=${DELAY_MS:-20}
ROUNDS=${ROUNDS:-9}
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

# rps of one blast run, the emulator emptied and its faults set first.
run() {
    curl -fsS -X DELETE "$url/_emulator/bulletins" >/dev/null
    curl -fsS -X DELETE "$url/_emulator/faults" >/dev/null
    if [ "$DELAY_MS" -gt 0 ]; then
        curl -fsS -X POST "$url/_emulator/faults" -H 'content-type: application/json' \
            -d "{\"fault\":{\"kind\":\"delay\",\"millis\":$DELAY_MS},\"times\":$N}" >/dev/null
    fi
    "$1" --url "$url" --concurrency "$C" --count "$N" 2>/dev/null | tail -n1 |
        sed -n 's/.*rps=\([0-9.]*\).*/\1/p'
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
quartiles() { sort -g | awk '{v[NR]=$1} END {printf "%.3f-%.3f", v[int((NR+3)/4)], v[int((3*NR+1)/4)]}'; }

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "C=$C N=$N DELAY_MS=$DELAY_MS ROUNDS=$ROUNDS"
: >"$work/a" ; : >"$work/b" ; : >"$work/ratio"
for round in $(seq "$ROUNDS"); do
    # Alternate which goes first, so a drift within a round falls on both alike.
    if [ $((round % 2)) = 1 ]; then ra=$(run "$a"); rb=$(run "$b"); else rb=$(run "$b"); ra=$(run "$a"); fi
    echo "$ra" >>"$work/a"; echo "$rb" >>"$work/b"
    echo "scale=4; $rb / $ra" | bc -l >>"$work/ratio"
    echo "round $round: A $ra  B $rb"
done
echo "A median $(median <"$work/a") rps; B median $(median <"$work/b") rps"
echo "B/A: medians' ratio $(echo "scale=3; $(median <"$work/b") / $(median <"$work/a")" | bc -l);" \
    "paired ratio median $(median <"$work/ratio") (quartiles $(quartiles <"$work/ratio"))"
