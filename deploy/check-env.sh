#!/usr/bin/env sh
# docker compose's check-env service runs this before anything else starts: it refuses (exit 1, a line per problem)
# the values of deploy/shears.env.example and the compose file's former defaults, which anyone can read, and values
# shorter than 16 characters. PostgreSQL would otherwise initialise its volume with a published password.
known="shears change-me change-me-too change-me-to-a-long-random-string dev-key-change-me dev-admin-key-change-me"
status=0
for name in POSTGRES_PASSWORD SHEARS_API_KEY SHEARS_ADMIN_KEY; do
  value=$(printenv "$name" || true)
  for bad in $known; do
    if [ "$value" = "$bad" ]; then
      echo "check-env: $name in .env is the example's '$bad', which anyone can read; run deploy/make-env.sh or set your own." >&2
      status=1
    fi
  done
  if [ ${#value} -lt 16 ]; then
    echo "check-env: $name in .env has ${#value} characters; use at least 16 (deploy/make-env.sh writes random ones)." >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "check-env: POSTGRES_PASSWORD, SHEARS_API_KEY and SHEARS_ADMIN_KEY are set and not the example's."
exit $status
