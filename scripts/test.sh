#!/usr/bin/env bash
# Runs the Shears test suite. On a fresh Debian 12 machine, as root, it first installs what the tests
# need and is missing: PostgreSQL 15 server binaries (the tests start their own throwaway cluster),
# Debian's Fashion-MNIST files and Chromium; then, in a block of its own, the S3-compatible test server (see there).
# The .NET SDK must already be on PATH.
#
#   scripts/test.sh                      # everything
#   scripts/test.sh --quick              # skip tests marked [Trait("Category", "Slow")]
#   scripts/test.sh [--quick] ARGS...    # extra arguments go to `dotnet test`, e.g. --filter ...
#
# Exits non-zero when a test fails or when no test ran; ends with a line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
if [[ ${1:-} == --quick ]]; then quick=true; shift; fi

pg_bin=/usr/lib/postgresql/15/bin
fashion_mnist=/usr/share/datasets/fashion-mnist

missing=()
[[ -x $pg_bin/initdb && -x $pg_bin/postgres ]] || missing+=(postgresql-15)
[[ -f $fashion_mnist/train-images-idx3-ubyte.gz ]] || missing+=(dataset-fashion-mnist)
[[ -x /usr/bin/chromium ]] || missing+=(chromium) # the job page's browser test (Playwright drives Debian's Chromium)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: missing ${missing[*]}; run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "test.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "test.sh: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 1; }

# --- S3-compatible server for the object-storage tests (idempotent; does nothing when already installed) ---
# s3rver (npm, pinned by tests/s3server/package-lock.json) runs on Debian's Node.js. The tests start and stop it
# themselves, on a free loopback port with a temporary folder (tests/Shears.Api.Tests/Infrastructure/S3Server.cs).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: missing nodejs npm; run as root, or: sudo apt-get install nodejs npm" >&2
    exit 1
  fi
  echo "test.sh: installing nodejs npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [[ ! -d tests/s3server/node_modules/s3rver ]]; then
  echo "test.sh: installing s3rver (npm ci in tests/s3server)"
  npm ci --prefix tests/s3server --no-audit --no-fund --silent
fi
# --- end of the S3-compatible server block ---

# The tests start their own PostgreSQL from $pg_bin (initdb refuses root, so they use runuser -u
# postgres), unless SHEARS_TEST_POSTGRES names a server to use instead; they read the real data
# from $fashion_mnist and the committed files in tests/fixtures.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results=$(mktemp -d "${TMPDIR:-/tmp}/shears-test-results.XXXXXX")
# --quick adds Category!=Slow to the caller's --filter (dotnet test takes one --filter; a second one ran nothing).
filter=()
args=()
asked=""
while (($#)); do
  if [[ $1 == --filter && $# -gt 1 ]]; then asked=$2; shift 2; else args+=("$1"); shift; fi
done
if $quick; then
  filter=(--filter "${asked:+($asked)&}Category!=Slow")
elif [[ -n $asked ]]; then
  filter=(--filter "$asked")
fi
set -- "${args[@]}"

set +e
dotnet test Service.sln "${filter[@]}" --logger trx --results-directory "$results" \
  --blame-hang-timeout 15m "$@"
status=$?
set -e

# One plain closing line summed over every test project's .trx report.
read -r passed failed skipped < <(
  cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*' | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); n[kv[1]] = kv[2] }
      p += n["passed"]; f += n["failed"] + n["error"] + n["timeout"] + n["aborted"]
      s += n["total"] - n["executed"] }
    END { print p + 0, f + 0, s + 0 }')
echo
echo "Tests: $passed passed, $failed failed, $skipped skipped"
if ((status == 0 && passed == 0)); then
  echo "test.sh: no test ran" >&2
  exit 1
fi
exit "$status"
