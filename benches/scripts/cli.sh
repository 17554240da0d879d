#!/usr/bin/env bash
# The `bulletins send` benchmarks of BENCHMARKS.md, in one run so every ratio is against a
# baseline measured under the same conditions:
#   - `bulletins send` of N lines, journal on and --no-journal, against `blast` (the client
#     through trigger_stream, and the bare reqwest loop) at the same concurrency, all against the
#     emulator binary serving benches/emulator-unlimited.json, interleaved ROUNDS times, medians;
#   - `bulletins send` with the journal when the emulator delays every answer by 50 ms, against
#     the account's ceiling (C / 0.05 s);
#   - the peak RSS of `bulletins send` at 10,000 and 100,000 lines.
# `bulletins send` is timed as a whole process (its check pass, journal open and exit included);
# blast reports its own rate, without its start-up: the comparison is strict for the CLI.
#
#   bash benches/scripts/cli.sh        (env: ROUNDS=3 N=20000 C=3 DELAYED=300 MEMORY=1)
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
ROUNDS=${ROUNDS:-3}
N=${N:-20000}
C=${C:-3}
DELAYED=${DELAYED:-300}
MEMORY=${MEMORY:-1}

cargo build --release --quiet -p bulletins-cli --bin bulletins-emulator --bin bulletins \
    -p bulletins-examples --example blast
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

RUST_LOG=warn "$bin/bulletins-emulator" --listen 127.0.0.1:0 \
    --config benches/emulator-unlimited.json >"$work/emulator.out" 2>"$work/emulator.err" &
pid=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$work/emulator.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/emulator.out" | head -n1)
[ -n "$url" ] || { echo "the emulator did not start: $(cat "$work/emulator.err")" >&2; exit 1; }
export CLEVERTAP_ACCOUNT_ID=ABCD-RSTU-1234 CLEVERTAP_PASSCODE=XXXXXX CLEVERTAP_BASE_URL=$url
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(rustc --version)"

# N lines of the documented payload, program_id = line number.
lines() {
    awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"business_event\":\"Program Released\",\"name\":\"Sa Re Ga Ma episode 12\",\"properties\":{\"program_id\":\"%d\",\"language\":\"Hindi\",\"prev_program_id\":\"123457\"},\"c-by\":\"[email protected]\",\"when\":\"now\"}\n", i }'
}
lines "$N" >"$work/in.jsonl"

forget() { curl -fsS -X DELETE "$url/_emulator/bulletins" >/dev/null; }

# rps of one blast run.
blast() {
    forget
    local line
    line=$("$bin/examples/blast" --url "$url" --mode "$1" --concurrency "$C" --count "$N" 2>/dev/null | tail -n1)
    case $line in *" failed=0 "*) ;; *) echo "blast failed: $line" >&2; exit 1 ;; esac
    sed -n 's/.*rps=\([0-9]*\).*/\1/p' <<<"$line"
}

# rps of one `bulletins send` of $work/in.jsonl; its peak RSS (KiB) in $work/rss.
send() {
    forget
    rm -f "$work/in.jsonl.journal"
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin/bulletins" send "$work/in.jsonl" \
        --concurrency "$C" "$@" 2>"$work/send.err" || { cat "$work/send.err" >&2; exit 1; }
    read -r seconds rss <"$work/time"
    echo "$rss" >"$work/rss"
    # The summary's own rate: the sending phase, as blast measures itself.
    sed -n 's/.* requests in [0-9.]* s (\([0-9]*\)\/s)$/\1/p' "$work/send.err" | tail -n1 >"$work/phase"
    echo "scale=0; $N / $seconds" | bc -l
}

send >/dev/null # warm-up
declare -A samples
for round in $(seq "$ROUNDS"); do
    samples[blast]+="$(blast client) "
    samples[bare]+="$(blast bare) "
    samples[journal]+="$(send) "
    samples[journal_phase]+="$(cat "$work/phase") "
    samples[nojournal]+="$(send --no-journal) "
    samples[nojournal_phase]+="$(cat "$work/phase") "
    # Ratios within the round: the load drifts less within a round than across rounds.
    b=$(awk '{print $NF}' <<<"${samples[blast]}")
    j=$(awk '{print $NF}' <<<"${samples[journal_phase]}")
    n=$(awk '{print $NF}' <<<"${samples[nojournal_phase]}")
    samples[paired_journal]+="$(echo "scale=2; $j / $b" | bc -l) "
    samples[paired_nojournal]+="$(echo "scale=2; $n / $b" | bc -l) "
    echo "round $round done" >&2
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "N=$N lines, C=$C; send timed as a whole process, and its sending phase (its summary's rate)"
for k in blast bare journal journal_phase nojournal nojournal_phase; do
    m=$(median <<<"${samples[$k]}")
    printf '%-16s %7s rps  [%s]\n' "$k" "$m" "${samples[$k]}"
    declare "med_$k=$m"
done
ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo "paired (same round) sending-phase ratios to blast client, median [samples]:"
echo "  journal on:   $(median <<<"${samples[paired_journal]}")x  [${samples[paired_journal]}]"
echo "  --no-journal: $(median <<<"${samples[paired_nojournal]}")x  [${samples[paired_nojournal]}]"
echo "send, journal on   / blast client: process $(ratio "$med_journal" "$med_blast")x, sending phase $(ratio "$med_journal_phase" "$med_blast")x"
echo "send, --no-journal / blast client: process $(ratio "$med_nojournal" "$med_blast")x, sending phase $(ratio "$med_nojournal_phase" "$med_blast")x"

# Every answer 50 ms late: the ceiling is C / 0.05 s.
forget
curl -fsS -X POST "$url/_emulator/faults" -H 'Content-Type: application/json' \
    -d "{\"fault\":{\"kind\":\"delay\",\"millis\":50},\"times\":$DELAYED}" >/dev/null
lines "$DELAYED" >"$work/delayed.jsonl"
start=$(date +%s.%N)
"$bin/bulletins" send "$work/delayed.jsonl" --concurrency "$C" 2>"$work/send.err" || { cat "$work/send.err" >&2; exit 1; }
end=$(date +%s.%N)
rate=$(echo "scale=1; $DELAYED / ($end - $start)" | bc -l)
forget
curl -fsS -X POST "$url/_emulator/faults" -H 'Content-Type: application/json' \
    -d "{\"fault\":{\"kind\":\"delay\",\"millis\":50},\"times\":$DELAYED}" >/dev/null
blast_delayed=$("$bin/examples/blast" --url "$url" --concurrency "$C" --count "$DELAYED" 2>/dev/null | tail -n1 | sed -n 's/.*rps=\([0-9.]*\).*/\1/p')
echo "50 ms answers: blast client, same run: $blast_delayed bulletins/s"
ceiling=$(echo "scale=1; $C / 0.05" | bc -l)
echo "50 ms answers, $DELAYED lines, journal on: $rate bulletins/s; ceiling $ceiling; $(echo "scale=3; $rate / $ceiling" | bc -l)x"

if [ "$MEMORY" = 1 ]; then
    for n in 10000 100000; do
        lines "$n" >"$work/in.jsonl"
        N=$n send >/dev/null
        echo "peak RSS, send of $n lines (journal on): $(cat "$work/rss") KiB"
    done
fi
