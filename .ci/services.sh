# Real services for the tests that need them: Redis, PostgreSQL, headless Chromium and
# Prometheus.
#
# Source it (`source .ci/services.sh`) from bash: it installs what is missing with apt-get,
# starts Redis and a throwaway PostgreSQL cluster on free loopback ports, exports
#   BULLETINS_TEST_REDIS_URL, BULLETINS_TEST_DATABASE_URL, BULLETINS_BROWSER_TESTS=1,
#   BULLETINS_TEST_PROMETHEUS and BULLETINS_TEST_PROMTOOL (Debian's binaries: a test starts its
#   own Prometheus, with a scrape config naming the relay it runs)
# and defines `services_stop`, which stops both and removes their data (call it on exit).
# Developers can source it too, to run the same tests CI runs.

services_dir=$(mktemp -d /tmp/bulletins-services.XXXXXX)
chmod 755 "$services_dir"

services_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

services_install() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    command -v chromium >/dev/null || missing+=(chromium)
    command -v chromedriver >/dev/null || missing+=(chromium-driver)
    # promtool comes with it.
    command -v prometheus >/dev/null || missing+=(prometheus)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing ${missing[*]} with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

services_start_redis() {
    local port
    port=$(services_free_port)
    # Persistence off: a test Redis keeps nothing once it stops.
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --daemonize yes --pidfile "$services_dir/redis.pid" --logfile "$services_dir/redis.log" \
        --dir "$services_dir"
    for _ in $(seq 50); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    redis-cli -p "$port" ping >/dev/null
    export BULLETINS_TEST_REDIS_URL="redis://127.0.0.1:$port/"
    echo "redis: $BULLETINS_TEST_REDIS_URL"
}

services_start_postgres() {
    local bin port
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    port=$(services_free_port)
    # initdb refuses to run as root; the cluster belongs to Debian's postgres user.
    local data="$services_dir/pg"
    mkdir -p "$data" && chown postgres "$data"
    su postgres -s /bin/sh -c "'$bin/initdb' -D '$data' -U postgres --auth=trust -E UTF8 >/dev/null"
    su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$data' -l '$data/log' -w -o \"-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start >/dev/null"
    export BULLETINS_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
    services_pg_stop="su postgres -s /bin/sh -c \"'$bin/pg_ctl' -D '$data' -m fast stop\""
    echo "postgres: $BULLETINS_TEST_DATABASE_URL"
}

services_stop() {
    [ -f "$services_dir/redis.pid" ] && kill "$(cat "$services_dir/redis.pid")" 2>/dev/null
    [ -n "${services_pg_stop:-}" ] && eval "$services_pg_stop" >/dev/null 2>&1
    rm -rf "$services_dir"
    return 0
}

services_install
services_start_redis
services_start_postgres
export BULLETINS_BROWSER_TESTS=1
BULLETINS_TEST_PROMETHEUS=$(command -v prometheus)
BULLETINS_TEST_PROMTOOL=$(command -v promtool)
export BULLETINS_TEST_PROMETHEUS BULLETINS_TEST_PROMTOOL
echo "prometheus: $("$BULLETINS_TEST_PROMETHEUS" --version 2>&1 | head -n 1)"
echo "chromium: $(chromium --version 2>/dev/null), $(chromedriver --version 2>/dev/null | cut -d' ' -f1-2)"
