// `hb shim install`: the shim at a versioned path, and a systemd drop-in that preloads it into the server.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installShim } from "./embedded";

export interface InstallOptions {
  unit: string;
  systemdDir: string; // /etc/systemd/system
  shimDir?: string;
  print: boolean;
}

export interface InstallResult {
  shim: string;
  dropIn: string;
  content: string;
  changed: boolean;
  next: string;
}

export function dropInText(shimPath: string): string {
  return `# Written by hb shim install: preloads hb's capture shim (idle until a backup runs).\n[Service]\nEnvironment=LD_PRELOAD=${shimPath}\n`;
}

export function installForSystemd(o: InstallOptions): InstallResult {
  const unit = o.unit.endsWith(".service") ? o.unit : `${o.unit}.service`;
  const dropIn = join(o.systemdDir, `${unit}.d`, "hb.conf");
  const next = `systemctl daemon-reload && systemctl restart ${unit}   # once: the server loads the shim at start`;
  if (o.print) {
    const shim = join(o.shimDir ?? "/usr/local/lib/hb", "libhbshim-<version>-<hash>.so");
    return { shim, dropIn, content: dropInText(shim), changed: false, next };
  }
  const shim = installShim(o.shimDir);
  const content = dropInText(shim);
  const changed = !existsSync(dropIn) || readFileSync(dropIn, "utf8") !== content;
  if (changed) {
    mkdirSync(join(o.systemdDir, `${unit}.d`), { recursive: true, mode: 0o755 });
    writeFileSync(`${dropIn}.tmp`, content, { mode: 0o644 });
    renameSync(`${dropIn}.tmp`, dropIn);
  }
  return { shim, dropIn, content, changed, next };
}
