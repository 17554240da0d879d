# The wrk part of load.sh (sourced by it; uses its $work, $bin, $static, start, url_of, median):
# wrk -t2 -c16 POSTing the documented payload to
#   - the emulator binary at its default log level (info: one line per request, into a file),
#     concurrency limit off (benches/emulator-unlimited.json), emptied before each run;
#   - nginx (Debian's package) answering the same path with a static success body, access log
#     off: a static responder outside this project;
#   - the project's own static responder (hyper, reads the body, fixed answer).
# The three are interleaved WRK_ROUNDS times; medians, and emulator / nginx per round.

start emulator_info "$bin/bulletins-emulator" \
    --listen 127.0.0.1:0 --config benches/emulator-unlimited.json
emulator_info=$(url_of emulator_info)

nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        location = /1/targets/trigger.json {
            default_type application/json;
            return 200 '{"status":"success","targets":1}';
        }
    }
}
NGINX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx.out" 2>"$work/nginx.err" &
pids+=($!)
nginx_url="http://127.0.0.1:$nginx_port"

payload='{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}'
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-CleverTap-Account-Id"] = "ABCD-RSTU-1234"
wrk.headers["X-CleverTap-Passcode"] = "XXXXXX"
wrk.body = '$payload'
LUA

# The three answer the payload alike before anything is timed (nginx may still be starting).
for url in "$emulator_info" "$nginx_url" "$static"; do
    answer=""
    for _ in $(seq 50); do
        answer=$(curl -fsS -X POST -H 'Content-Type: application/json' \
            -H 'X-CleverTap-Account-Id: ABCD-RSTU-1234' -H 'X-CleverTap-Passcode: XXXXXX' \
            --data "$payload" "$url/1/targets/trigger.json" 2>/dev/null) && break
        sleep 0.1
    done
    if [ "$answer" != '{"status":"success","targets":1}' ]; then
        echo "$url answered '$answer' $(cat "$work/nginx.err")" >&2
        exit 1
    fi
done

# Requests/s of one wrk run; fails loudly on non-2xx answers or socket errors.
wrk_rps() {
    local url=$1 out
    if [ "$url" = "$emulator_info" ]; then
        curl -fsS -X DELETE "$emulator_info/_emulator/bulletins" >/dev/null
    fi
    out=$(wrk -t2 -c16 -d"${WRK_SECONDS}s" -s "$work/post.lua" "$url/1/targets/trigger.json")
    if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
        echo "wrk against $url saw errors: $out" >&2
        exit 1
    fi
    sed -n 's/^Requests\/sec: *\([0-9]*\).*/\1/p' <<<"$out"
}

wrk_servers=(emulator nginx static)
declare -A wrk_samples
for round in $(seq "$WRK_ROUNDS"); do
    for server in "${wrk_servers[@]}"; do
        case $server in
            emulator) url=$emulator_info ;;
            nginx) url=$nginx_url ;;
            static) url=$static ;;
        esac
        wrk_samples[$server]+="$(wrk_rps "$url") "
    done
    echo "wrk round $round done" >&2
done

declare -A wrk_median
for server in "${wrk_servers[@]}"; do
    wrk_median[$server]=$(median <<<"${wrk_samples[$server]}")
done
read -ra emulator_samples <<<"${wrk_samples[emulator]}"
read -ra nginx_samples <<<"${wrk_samples[nginx]}"
per_round=""
for i in "${!emulator_samples[@]}"; do
    per_round+="$(echo "scale=2; ${emulator_samples[$i]} / ${nginx_samples[$i]}" | bc -l) "
done
echo
echo "wrk -t2 -c16 -d${WRK_SECONDS}s, POST of the documented payload (median of $WRK_ROUNDS; samples in brackets):"
for server in "${wrk_servers[@]}"; do
    printf '  %-9s %8s rps   [%s]\n' "$server" "${wrk_median[$server]}" "${wrk_samples[$server]}"
done
printf '  emulator / nginx: %sx (medians); per round: %s\n' \
    "$(echo "scale=2; ${wrk_median[emulator]} / ${wrk_median[nginx]}" | bc -l)" "$per_round"
printf '  emulator / static responder: %sx (medians)\n' \
    "$(echo "scale=2; ${wrk_median[emulator]} / ${wrk_median[static]}" | bc -l)"
echo "  emulator request log lines written: $(grep -c 'trigger' "$work/emulator_info.err" || true)"
