// MariaDB's BACKUP STAGE protocol (10.4+), on one connection that holds it from START to END. A disconnect
// releases every stage, so hb dying never leaves the server locked. Each stage waits at most
// lock_wait_timeout; a timeout is the "lock timeout" exit class, and END (or the disconnect) releases.
// With a killer (--kill-long-queries-timeout), the stages after START kill what makes them wait too long.
import { HbError } from "../errors";
import type { LongQueryKiller } from "./kill-long-queries";

export interface StageConnection {
  query(sql: string): Promise<unknown>;
}

export type Stage = "START" | "FLUSH" | "BLOCK_DDL" | "BLOCK_COMMIT" | "END";

const LOCK_WAIT_TIMEOUT = 1205;

export class BackupStages {
  private reached: Stage | undefined;
  readonly timings: Partial<Record<Stage, number>> = {}; // ms each stage took to be granted
  /** Set once a second connection exists (see server.ts); START never kills: nothing waits behind it. */
  killer?: LongQueryKiller;

  constructor(
    private db: StageConnection,
    private lockWaitTimeoutSec: number,
  ) {}

  get stage() {
    return this.reached;
  }

  async start(): Promise<void> {
    await this.db.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(this.lockWaitTimeoutSec))}`);
    await this.enter("START");
  }

  async enter(stage: Exclude<Stage, "END">): Promise<void> {
    const t = performance.now();
    try {
      const pending = this.db.query(`BACKUP STAGE ${stage}`);
      if (this.killer && stage !== "START") await this.killer.whileWaiting(stage, pending);
      await pending;
    } catch (e) {
      const err = e as { errno?: number; message: string };
      if (err.errno === LOCK_WAIT_TIMEOUT)
        throw new HbError(
          "lockTimeout",
          `BACKUP STAGE ${stage} was not granted within ${this.lockWaitTimeoutSec} s (a long query or DDL holds a conflicting lock)`,
          "raise --lock-wait-timeout, or find the blocker in SHOW PROCESSLIST",
        );
      if (/another backup|backup stage.*active|already/i.test(err.message))
        throw new HbError("capture", `BACKUP STAGE ${stage}: ${err.message} (another backup is running on this server)`);
      throw new HbError("connection", `BACKUP STAGE ${stage} failed: ${err.message}`);
    }
    this.timings[stage] = Math.round(performance.now() - t);
    this.reached = stage;
  }

  /** Releases everything; safe to call in any stage, and again. */
  async end(): Promise<void> {
    if (!this.reached || this.reached === "END") return;
    await this.db.query("BACKUP STAGE END");
    this.reached = "END";
  }
}
