#!/usr/bin/env bash
# Instructions per event for each serialization variant, counted by valgrind's callgrind:
# deterministic, so unaffected by other load on the machine. Each variant runs N1 and N2 times
# in the bench binary's driver mode; (Ir(N2) - Ir(N1)) / (N2 - N1) cancels start-up costs.
#
#   bash benches/scripts/instructions.sh      (needs valgrind; builds the bench in release)
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
bench=$(cargo bench -p bulletins-benches --bench serialize --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*serialize[^"]*\)".*/\1/p' | tail -n1)
n1=${N1:-20000}
n2=${N2:-40000}
ir() {
    local out
    out=$(mktemp)
    BULLETINS_BENCH_DRIVER=$1 BULLETINS_BENCH_ITERATIONS=$2 \
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" 2>"$out" >/dev/null
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out"
    rm -f "$out"
}
printf '%-4s %12s\n' variant 'instr/event'
for variant in a b b2 c d a2; do
    low=$(ir "$variant" "$n1")
    high=$(ir "$variant" "$n2")
    printf '%-4s %12.1f\n' "$variant" "$(echo "($high - $low) / ($n2 - $n1)" | bc -l)"
done
