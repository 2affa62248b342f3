#!/usr/bin/env sh
# Writes .env beside docker-compose.yml with a random PostgreSQL password, API key, admin key and object-store secret (never overwrites
# one), and prints where it is and the API key clients need.
#   deploy/make-env.sh [PATH]     # default: .env in the repository root
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
env_file=${1:-$root/.env}
if [ -e "$env_file" ]; then
  echo "make-env: $env_file exists; it is left as it is (delete it first to make a new one)." >&2
  exit 1
fi
random() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
umask 077
api_key=$(random)
cat >"$env_file" <<END
# Written by deploy/make-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); see deploy/shears.env.example for what each value is.
POSTGRES_PASSWORD=$(random)
SHEARS_TENANT=default
SHEARS_API_KEY=$api_key
SHEARS_ADMIN_KEY=$(random)
SHEARS_PORT=8080
# Used only with the object-store override (deploy/docker-compose.s3.yml).
SHEARS_S3_SECRET_KEY=$(random)
END
echo "make-env: wrote $env_file (readable by you only). The API key for clients (X-Api-Key) is in it: SHEARS_API_KEY=$api_key"
