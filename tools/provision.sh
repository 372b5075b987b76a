#!/usr/bin/env bash
# Makes sure the machine has what the tests use for real: MariaDB (installed and started
# when absent), netplan (for `netplan generate`) and iproute2 (network namespaces).
# Idempotent; prints one line per thing it had to do.
set -euo pipefail

fail() { echo "provision: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

missing=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server mariadb-client)
command -v netplan >/dev/null 2>&1 || missing+=(netplan.io)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "provision: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    || fail "apt-get update failed; install ${missing[*]} by hand"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed (need root or passwordless sudo)"
fi

mariadb_up() { mysqladmin --host=127.0.0.1 --port=3306 --user=root ping >/dev/null 2>&1; }
if ! mariadb_up; then
  echo "provision: starting MariaDB"
  as_root install -d -o mysql -g mysql /run/mysqld 2>/dev/null || true
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd \
    || fail "could not start /usr/sbin/mariadbd"
  for _ in $(seq 1 60); do mariadb_up && break; sleep 0.5; done
  mariadb_up || fail "MariaDB did not answer on 127.0.0.1:3306 within 30s"
fi
