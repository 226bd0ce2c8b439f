// Rolls a server started on a backup forward with the source's binary log, from the backup's coordinates:
// what a DBA does for point-in-time recovery, and the replica oracle's way to reach the source's state.
import { join } from "node:path";
import { run } from "./harness";
import type { Server } from "./mariadb";

/** `remote`: read the source's binlog through the source (an encrypted binlog cannot be read from its files). */
export async function applyBinlogFrom(source: Server, target: Server, file: string, position: string, { remote = false } = {}): Promise<void> {
  const logs = (await source.query<{ Log_name: string }[]>("SHOW BINARY LOGS")).map((r) => r.Log_name);
  const from = logs.indexOf(file);
  if (from < 0) throw new Error(`binlog ${file} is not among the source's: ${logs.join(", ")}`);
  const files = logs.slice(from).map((f) => `'${remote ? f : join(source.datadir, f)}'`);
  const reader = remote ? `mariadb-binlog --read-from-remote-server --socket='${source.socket}' -uroot` : "mariadb-binlog";
  const cmd = `${reader} --start-position=${Number(position)} ${files.join(" ")} | mariadb --socket='${target.socket}' -uroot`;
  const r = await run(["sh", "-c", cmd], { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`applying the binlog failed (${r.code}):\n${r.stderr.slice(-2000)}`);
}
