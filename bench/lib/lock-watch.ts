// Measures any tool's backup lock from the server's side, the same way for hb and mariabackup: a session
// polls the metadata locks every few ms and notes when a backup lock that blocks DDL (BLOCK_DDL) or
// commits (BLOCK_COMMIT) is first and last seen. Resolution: the poll interval plus one query.
import type { Server } from "./harness";

export interface LockWindow {
  /** First BLOCK_DDL (or later) seen to last seen, ms; null when never seen. */
  blockDdlMs: number | null;
  /** First BLOCK_COMMIT seen to last seen, ms: the time commits could not proceed. */
  blockCommitMs: number | null;
}

export async function watchBackupLock(server: Server): Promise<{ stop(): Promise<LockWindow> }> {
  await server.query("INSTALL SONAME 'metadata_lock_info'").catch(() => {}); // already installed
  const conn = await server.connect();
  let running = true;
  const seen = { ddl: [Number.NaN, Number.NaN], commit: [Number.NaN, Number.NaN] };
  const note = (span: number[], t: number) => {
    if (Number.isNaN(span[0]!)) span[0] = t;
    span[1] = t;
  };
  const loop = (async () => {
    while (running) {
      const [rows] = await conn.query("SELECT LOCK_MODE FROM information_schema.METADATA_LOCK_INFO WHERE LOCK_TYPE = 'Backup lock'");
      const t = performance.now();
      for (const { LOCK_MODE: mode } of rows as { LOCK_MODE: string }[]) {
        if (mode === "MDL_BACKUP_WAIT_DDL" || mode === "MDL_BACKUP_WAIT_COMMIT") note(seen.ddl, t);
        if (mode === "MDL_BACKUP_WAIT_COMMIT") note(seen.commit, t);
      }
      await Bun.sleep(2);
    }
  })();
  const span = (s: number[]) => (Number.isNaN(s[0]!) ? null : Math.round(s[1]! - s[0]!));
  return {
    async stop() {
      running = false;
      await loop;
      await conn.end();
      return { blockDdlMs: span(seen.ddl), blockCommitMs: span(seen.commit) };
    },
  };
}
