#!/usr/bin/env bash
# Runs every shell block of README.md as written, in order, on a fresh copy of this checkout (tracked and
# untracked files, nothing ignored: no build output, no data), against a throwaway PostgreSQL cluster.
#
#   scripts/readme-check.sh            # about 5-10 minutes on 2 cores (builds in the copy, three pruning jobs)
#   scripts/readme-check.sh --keep     # keep the copy and the logs (printed at the end)
#
# As root it runs the blocks in a network namespace of their own (unshare -n), so the README's fixed ports
# (5000, 5432) are free whatever else runs on the machine; otherwise those ports must be free. Needs what
# scripts/test.sh needs (PostgreSQL 15 server binaries, the .NET 10 SDK) plus curl and jq.
#
# Each block must exit 0 under `set -euo pipefail`. What a block leaves for the reader to judge is checked after it:
# the service answers after the block that starts it, the curl walk-through's job succeeded, the CLI's jobs
# succeeded. The distributed block is followed by the curl walk-through once more, so a job runs on its Worker.
# Three blocks are not run, with the reason printed: scripts/test.sh (the suite itself; CI runs it), docker compose
# (a Docker engine; the stack runs in the foreground) and the fixture generation (needs python3-torch, rewrites
# tests/fixtures, 10-30 minutes).
set -euo pipefail

keep=false
if [[ ${1:-} == --keep ]]; then keep=true; shift; fi

if [[ ${SHEARS_README_NETNS:-} != 1 && $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
  # Restore and build need the network, so the copy is built here; the blocks then run in their own namespace.
  export SHEARS_README_NETNS=prepare
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
pg_bin=/usr/lib/postgresql/15/bin
for tool in curl jq dotnet runuser; do
  command -v "$tool" >/dev/null || { echo "readme-check: $tool is not on PATH" >&2; exit 1; }
done
[[ -x $pg_bin/initdb ]] || { echo "readme-check: PostgreSQL 15 server binaries are missing (apt-get install postgresql-15)" >&2; exit 1; }

if [[ ${SHEARS_README_NETNS:-} != 1 ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/shears-readme.XXXXXX")
  chmod 755 "$work"
  echo "readme-check: copying the checkout to $work/repo"
  mkdir "$work/repo"
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' |
    tar --null -T - -cf -) | tar -xf - -C "$work/repo"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  # The README installs the CLI as a .NET tool; here into the copy, not globally.
  echo "readme-check: building the Api, the Worker and the shears tool in the copy"
  (cd "$work/repo" && dotnet build src/Api -v q -nologo >"$work/build.log" && dotnet build src/Worker -v q -nologo >>"$work/build.log" &&
    dotnet pack src/Cli -o "$work/nupkg" -v q -nologo >>"$work/build.log" &&
    dotnet tool install --tool-path "$work/tools" --add-source "$work/nupkg" Shears.Cli >>"$work/build.log") ||
    { tail -30 "$work/build.log" >&2; echo "readme-check: the build failed ($work/build.log)" >&2; exit 1; }
  if [[ ${SHEARS_README_NETNS:-} == prepare ]]; then
    status=0
    SHEARS_README_NETNS=1 SHEARS_README_WORK=$work unshare -n -- "$0" "$@" || status=$?
    if ! $keep && ((status == 0)); then rm -rf "$work"; else echo "readme-check: kept $work"; fi
    exit $status
  fi
else
  work=$SHEARS_README_WORK
  ip link set lo up
fi

cd "$work/repo"
export PATH="$work/tools:$PATH"
log=$work/logs
mkdir -p "$log"

# A throwaway PostgreSQL cluster on the README's default port, with the database the distributed block asks for.
pg=$work/pg
mkdir -p "$pg" && chown postgres:postgres "$pg" 2>/dev/null || true
as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_postgres "$pg_bin/initdb" -D "$pg/data" -A trust -U postgres --no-sync -E UTF8 >"$log/initdb.log"
as_postgres "$pg_bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -o "-p 5432 -k $pg -c listen_addresses=localhost -c fsync=off" start >/dev/null
export PGHOST=localhost PGPORT=5432 PGUSER=shears PGPASSWORD=readme-check
psql -q -h localhost -U postgres -d postgres -c "CREATE ROLE shears LOGIN PASSWORD 'readme-check'"
PGUSER=postgres createdb -h localhost -O shears shears

cleanup() {
  local status=$?
  # Only what this script started: the blocks' process group (the services they started), then the cluster.
  if [[ -n ${blocks_pid:-} ]] && kill -TERM -- -"$blocks_pid" 2>/dev/null; then
    for _ in $(seq 1 30); do kill -0 -- -"$blocks_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- -"$blocks_pid" 2>/dev/null || true
  fi
  as_postgres "$pg_bin/pg_ctl" -D "$pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  if [[ ${SHEARS_README_NETNS:-} != 1 ]] && ! $keep && ((status == 0)); then rm -rf "$work"; elif [[ ${SHEARS_README_NETNS:-} != 1 ]]; then echo "readme-check: kept $work"; fi
  exit $status
}
trap cleanup EXIT

# The README's fenced sh/bash blocks: "start line<TAB>block" with the block's newlines as \x1e.
mapfile -t blocks < <(awk '
  /^```(sh|bash)[[:space:]]*$/ { inside = 1; start = NR + 1; text = ""; next }
  /^```/ && inside { inside = 0; printf "%d\t%s\n", start, text; next }
  inside { text = text $0 "\x1e" }' README.md)

script=$work/blocks.sh
{
  echo 'set -euo pipefail'
  echo 'wait_for() { for _ in $(seq 1 180); do curl -sf "$1" >/dev/null && return 0; sleep 1; done; echo "readme-check: $1 never answered" >&2; return 1; }'
  echo 'job_succeeded() { local s; s=$(curl -sf "http://localhost:5000/v1/jobs/$1" | jq -r .status); [[ $s == succeeded ]] || { echo "readme-check: job $1 is $s" >&2; curl -s "http://localhost:5000/v1/jobs/$1" >&2; return 1; }; }'
  echo 'show_result() { curl -sf "http://localhost:5000/v1/jobs/$1" | jq -c "{status, method, seconds: ((.finishedAt|sub(\"\\\\.[0-9]+\";\"\")|fromdateiso8601) - (.createdAt|sub(\"\\\\.[0-9]+\";\"\")|fromdateiso8601)), params: [.result.before.params, .result.after.params], flops: [.result.before.flops, .result.after.flops], accuracy: [.result.before.accuracy, .result.after.accuracy], latencyMs: [.result.before.latencyMs, .result.after.latencyMs], warnings: .result.warnings}"; }'
  # The embedded service runs in a session of its own so that it can be stopped as a whole (dotnet run and the Api).
  echo 'embedded=; trap '"'"'[[ -n $embedded ]] && kill -TERM -- -$embedded 2>/dev/null; true'"'"' EXIT'
  for entry in "${blocks[@]}"; do
    line=${entry%%$'\t'*}
    text=${entry#*$'\t'}
    text=${text//$'\x1e'/$'\n'}
    if [[ $text == *scripts/test.sh* ]]; then
      echo "echo '== README line $line: not run (the test suite itself; CI runs it)'"
      continue
    fi
    if [[ $text == *"docker compose up"* ]]; then
      echo "echo '== README line $line: not run (starts the compose stack in the foreground; needs a Docker engine)'"
      continue
    fi
    if [[ $text == *make_fixtures.py* ]]; then
      echo "echo '== README line $line: not run (fixture generation: needs python3-torch, rewrites tests/fixtures, 10-30 min)'"
      continue
    fi
    echo "echo '== README line $line'"
    if [[ $text == *ConnectionStrings__Postgres* ]]; then
      # The embedded service started by the first block gives way to the distributed one.
      echo 'kill -TERM -- -"$embedded"; for _ in $(seq 1 30); do curl -s -o /dev/null localhost:5000 || break; sleep 1; done; embedded='
      echo 'curl -s -o /dev/null localhost:5000 && { echo "readme-check: the embedded service is still up" >&2; exit 1; }'
    fi
    if [[ $(grep -cv '^\s*\(#.*\)\?$' <<<"$text") -eq 1 && $text == *"dotnet run --project src/Api"* ]]; then
      # The block that starts the service runs in the foreground as written; here it goes to the background.
      printf 'setsid bash -c %q >%q 2>&1 &\nembedded=$!\n' "$(grep -v '^\s*#' <<<"$text" | grep .)" "$log/embedded-api.log"
      echo 'wait_for http://localhost:5000/healthz'
      continue
    fi
    printf '%s\n' "$text"
    if [[ $text == *ConnectionStrings__Postgres* ]]; then
      echo 'wait_for http://localhost:5000/readyz'
      echo "echo '== the curl walk-through again, now run by the distributed Worker'"
      curl_block=$(for e in "${blocks[@]}"; do t=${e#*$'\t'}; t=${t//$'\x1e'/$'\n'}; if [[ $t == *'$BASE/jobs'* ]]; then printf '%s' "$t"; fi; done)
      printf '%s\n' "$curl_block"
      echo 'job_succeeded "$JOB"; show_result "$JOB"'
    elif [[ $text == *'$BASE/jobs'* ]]; then
      echo 'job_succeeded "$JOB"; show_result "$JOB"; ls -l pruned.onnx'
    elif [[ $text == *"shears prune"* ]]; then
      echo 'job_succeeded "$JOB"; show_result "$JOB"'
    fi
  done
  echo "echo '== every block ran'"
} >"$script"

echo "readme-check: running ${#blocks[@]} README blocks ($script); output of background services in $log"
setsid bash "$script" &
blocks_pid=$! # also the process group of the services the blocks start in the background, which cleanup stops
wait "$blocks_pid"
echo "readme-check: every README block ran and every job succeeded"
