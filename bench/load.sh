#!/usr/bin/env bash
# Load test on loopback: a throwaway PostgreSQL 15 cluster, the Api and two Workers (distributed mode),
# then bench/Shears.Load against them; everything is stopped and removed at the end.
#   bench/load.sh [Shears.Load options, e.g. --submissions 50 --subscribers 100 --out docs/benchmarks-load.md]
# Needs root (the cluster runs as the postgres user) and Debian's postgresql-15. The services' logs are
# kept in /tmp/shears-load-logs.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in src/Api src/Worker bench/Shears.Load; do dotnet build -c Release --nologo -v q "$project"; done
bin() { echo "$PWD/$1/bin/Release/net10.0/linux-x64"; }

run=$(mktemp -d /tmp/shears-load.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$run/pg" -m immediate -w stop >/dev/null 2>&1 || true
    mkdir -p /tmp/shears-load-logs && cp "$run"/*.log /tmp/shears-load-logs/ 2>/dev/null || true
    rm -rf "$run"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

chown postgres:postgres "$run"
pg_port=$(free_port)
runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$run/pg" -A trust -U postgres --no-sync -E UTF8 >/dev/null
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$run/pg" -l "$run/pg.log" -w \
    -o "-p $pg_port -k $run -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null

api_port=$(free_port)
key="load-$(head -c 12 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export Artifacts__Path="$run/artifacts" Auth__ApiKeys__0__Tenant=load Auth__ApiKeys__0__Key="$key"
export RateLimits__UploadsPerMinute=100000 RateLimits__JobsPerMinute=100000 Uploads__MaxModelBytes=$((3 << 30))
export Engine__Threads=1 Engine__LatencyRepeats=3 Engine__LatencyRounds=1 Logging__LogLevel__Default=Warning DOTNET_ENVIRONMENT=Production

(cd "$(bin src/Api)" && exec dotnet Shears.Api.dll --urls "http://127.0.0.1:$api_port") >"$run/api.log" 2>&1 &
api=$!; pids+=("$api")
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null && break; sleep 1; done
for n in 1 2; do (cd "$(bin src/Worker)" && exec dotnet Shears.Worker.dll) >"$run/worker$n.log" 2>&1 & pids+=("$!"); done

status=0
dotnet "$(bin bench/Shears.Load)/Shears.Load.dll" --url "http://127.0.0.1:$api_port" --key "$key" --api-pid "$api" "$@" || status=$?
if [ "$status" -ne 0 ]; then tail -n 30 "$run"/api.log "$run"/worker*.log >&2; fi
exit "$status"
