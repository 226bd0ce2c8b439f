#!/usr/bin/env bash
# What hb's demo and tests need on a fresh Debian 12 machine: MariaDB (server and mariabackup, for the
# comparisons), sysbench, a C compiler and valgrind. Installing mariadb-server must not start a server of
# its own: a policy-rc.d that denies every action keeps the package scripts from starting services.
set -euo pipefail
need=(mariadb-server mariadb-backup sysbench gcc libc6-dev valgrind)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -eq 0 ] && [ "${CI:-}" != "true" ]; then exit 0; fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod 755 /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
