#!/usr/bin/env bash
# What hb's demo and tests need on a fresh Debian 12 machine: MariaDB (the server, mariabackup for the
# comparisons, and the engine and compression plugins the layout tests load), sysbench, a C compiler,
# valgrind, openssl (the layout tests encrypt their key files with it), and OpenStack Swift with the aws CLI
# (the S3 store the tests run: test/helpers/swift.ts). Installing mariadb-server must not start a server of
# its own: a policy-rc.d that denies every
# action keeps the package scripts from starting services.
set -euo pipefail
need=(mariadb-server mariadb-backup sysbench gcc libc6-dev valgrind openssl
  mariadb-plugin-rocksdb mariadb-plugin-mroonga mariadb-plugin-provider-lz4 mariadb-plugin-provider-lzma
  mariadb-plugin-provider-snappy mariadb-plugin-provider-bzip2 mariadb-plugin-provider-lzo
  swift swift-proxy swift-account swift-container swift-object awscli)
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
