#!/usr/bin/env bash
# Installs the system packages the local stack and the tests need, when missing:
#   postgresql-15, postgresql-15-cron, postgresql-15-pgtap (database + pg_cron + pgTAP),
#   chromium (headless browser tests, driven by playwright-core).
# `--stack`: only what `npm run stack -- up` needs (PostgreSQL 15, pg_cron, psql).
# Idempotent and quiet when everything is there. As root it uses apt-get; otherwise it prints the command.
# Test hooks: SETUP_SYSTEM_ROOT (a prefix for the checks) and SETUP_SYSTEM_PRINT_ONLY=1 (never install, only
# print the command, as for a non-root user).
set -euo pipefail

root="${SETUP_SYSTEM_ROOT:-}"
stack_only=false
[ "${1:-}" = "--stack" ] && stack_only=true

has_psql() {
  if [ -n "$root" ]; then [ -x "$root/usr/bin/psql" ]; else command -v psql >/dev/null 2>&1; fi
}

need=()
[ -x "$root/usr/lib/postgresql/15/bin/postgres" ] || need+=(postgresql-15)
[ -f "$root/usr/lib/postgresql/15/lib/pg_cron.so" ] || need+=(postgresql-15-cron)
has_psql || need+=(postgresql-client-15)
if [ "$stack_only" = false ]; then
  [ -f "$root/usr/share/postgresql/15/extension/pgtap.control" ] || need+=(postgresql-15-pgtap)
  [ -x "$root/usr/bin/chromium" ] || need+=(chromium)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -eq 0 ] && [ "${SETUP_SYSTEM_PRINT_ONLY:-}" != 1 ]; then
  echo "setup-system: installing ${need[*]}" >&2
  # Debian's postgresql-common would create and start a default cluster on 5432; we run our own clusters.
  mkdir -p /etc/postgresql-common
  if [ ! -f /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "setup-system: missing system packages: ${need[*]}" >&2
  echo "run as root:  sudo sh -c '$cmd'" >&2
  exit 1
fi
