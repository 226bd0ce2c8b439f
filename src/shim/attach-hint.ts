// The exact lines a DBA adds to run the server with the shim, for the way this server was started.
import { readFileSync } from "node:fs";
import type { ServerInfo } from "../discover/server";

export function shimMissingHint(info: ServerInfo): string {
  let unit: string | undefined;
  try {
    unit = /\/([^/]+\.service)/.exec(readFileSync(`/proc/${info.pid}/cgroup`, "utf8"))?.[1];
  } catch {}
  const path = "$(hb shim path)";
  if (unit)
    return [
      `the server runs as systemd unit ${unit}; enable the shim once (one restart):`,
      `  hb shim path   # prints the library path, e.g. /usr/local/lib/hb/libhbshim-….so`,
      `  mkdir -p /etc/systemd/system/${unit}.d && printf '[Service]\\nEnvironment=LD_PRELOAD=%s\\n' "${path}" > /etc/systemd/system/${unit}.d/hb.conf`,
      `  systemctl daemon-reload && systemctl restart ${unit}`,
    ].join("\n");
  return [
    `start the server with the shim preloaded (one restart), e.g.`,
    `  LD_PRELOAD="${path}" mariadbd …`,
    `  or with mysqld_safe: [mysqld_safe] malloc-lib=<the path hb shim path prints>`,
  ].join("\n");
}
