#!/bin/bash
# What a page-cache page the kernel hands out costs on this machine, fresh or just freed (root; writes a 1 GiB
# file in DIR, default /tmp). Reads the file cold through the cache four times: right after dropping the cache
# (the freed pages come straight back) and 10 s after it (time enough for a guest that reports free memory to
# its host, virtio-balloon free page reporting, to hand them over: the host faults each in again on first use).
# Prints the system time of each read. docs/throttle.md, "Past the page cache".
# Usage: bench/page-reporting.sh [DIR]
set -euo pipefail
file=$(mktemp "${1:-/tmp}/page-reporting.XXXXXX")
trap 'rm -f "$file"' EXIT
dd if=/dev/urandom of="$file" bs=4M count=256 oflag=direct status=none
for wait in 0 10 0 10; do
  sync
  echo 3 >/proc/sys/vm/drop_caches
  sleep "$wait"
  /usr/bin/time -f "1 GiB read cold, ${wait} s after the cache was dropped: %e s, system %S s" dd if="$file" of=/dev/null bs=1M status=none
done
