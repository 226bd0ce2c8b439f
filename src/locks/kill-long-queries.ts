// --kill-long-queries-timeout, as in XtraBackup/mariabackup: when a stage of the final lock (FLUSH, BLOCK_DDL,
// BLOCK_COMMIT) has waited that long, the sessions whose statement has run at least that long are killed,
// every second until the stage is granted (or lock_wait_timeout ends the wait).
// - KILL CONNECTION, not KILL QUERY: what blocks a stage is often a lock the session keeps after its statement
//   (LOCK TABLES … WRITE, an open transaction's metadata locks); only ending the session releases it. This is
//   also what XtraBackup does (`KILL <id>`).
// - Never killed: hb's own connections, system threads (no user, or replication/daemon threads), sessions
//   running nothing (a LOCK TABLES holder sitting idle is not a long query: the stage times out instead), and
//   sessions "Waiting for backup lock": they queue behind hb's stage, killing them would unblock nothing.
import type { Db } from "../connect/client";
import { log } from "../log";

export type KillQueryType = "all" | "select";

export interface KillLongQueriesOptions {
  afterSec: number;
  type: KillQueryType;
}

interface ProcessRow {
  ID: number | string;
  USER: string | null;
  HOST: string | null;
  COMMAND: string;
  TIME_MS: number | string;
  STATE: string | null;
  INFO: string | null;
}

const SYSTEM_COMMANDS = new Set(["Daemon", "Binlog Dump", "Slave_IO", "Slave_SQL", "Slave_worker"]);
const SELECT = /^[\s(]*select\b/i;
const shorten = (text: string, max = 120) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

export class LongQueryKiller {
  /** `db` must be a connection that is not the one waiting on the stage; `ownIds` are hb's sessions. */
  constructor(
    private db: Db,
    private ownIds: number[],
    private o: KillLongQueriesOptions,
  ) {}

  /** Kills the long queries now; returns the connection ids killed. */
  async killOnce(stage: string): Promise<number[]> {
    const rows = await this.db.query<ProcessRow[]>(
      `SELECT ID, USER, HOST, COMMAND, TIME_MS, STATE, INFO FROM information_schema.PROCESSLIST
       WHERE INFO IS NOT NULL AND TIME_MS >= ? AND ID NOT IN (?)`,
      [this.o.afterSec * 1000, this.ownIds],
    );
    const killed: number[] = [];
    for (const r of rows) {
      if (!r.USER || r.USER === "system user" || SYSTEM_COMMANDS.has(r.COMMAND)) continue;
      if (r.STATE === "Waiting for backup lock") continue;
      if (this.o.type === "select" && !SELECT.test(r.INFO!)) continue;
      const id = Number(r.ID);
      try {
        await this.db.query(`KILL CONNECTION ${id}`);
        killed.push(id);
        log.warn(
          `killed connection ${id} (${r.USER}@${r.HOST}, ${(Number(r.TIME_MS) / 1000).toFixed(1)} s in "${shorten(r.INFO!)}"): BACKUP STAGE ${stage} waited for it`,
        );
      } catch (e) {
        log.warn(`could not kill connection ${id} (${r.USER}@${r.HOST}): ${(e as Error).message}`);
      }
    }
    return killed;
  }

  /** While `pending` (the stage's statement) has not settled: after afterSec, kill long queries each second. */
  async whileWaiting(stage: string, pending: Promise<unknown>): Promise<void> {
    let done = false;
    const settled = pending.then(
      () => (done = true),
      () => (done = true),
    );
    const waitOr = (ms: number) => Promise.race([settled, Bun.sleep(ms)]);
    await waitOr(this.o.afterSec * 1000);
    while (!done) {
      await this.killOnce(stage).catch((e: Error) => log.warn(`could not look for long queries: ${e.message}`));
      await waitOr(1000);
    }
  }
}

export async function connectionId(db: Db): Promise<number> {
  const [row] = await db.query<{ id: number | string }[]>("SELECT CONNECTION_ID() AS id");
  return Number(row!.id);
}
