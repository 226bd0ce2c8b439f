// --safe-slave-backup: on a replica, stop the SQL thread before the final lock so no replicated transaction
// (and no replication temporary table) is half-applied in the image; wait until Slave_open_temp_tables is 0,
// restarting the thread and trying again until the timeout, as XtraBackup does. The thread is restarted after
// the lock, also when the backup fails.
import { HbError } from "../errors";
import { log } from "../log";

interface Q {
  query<T = unknown>(sql: string): Promise<T>;
}

export class SafeSlave {
  private stopped = false;
  constructor(
    private db: Q,
    private timeoutSec: number,
  ) {}

  async stopSqlThread(): Promise<void> {
    const deadline = Date.now() + this.timeoutSec * 1000;
    for (;;) {
      await this.db.query("STOP ALL SLAVES SQL_THREAD");
      this.stopped = true;
      const [row] = await this.db.query<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Slave_open_temp_tables'");
      if (Number(row?.Value ?? 0) === 0) return;
      if (Date.now() > deadline)
        throw new HbError("lockTimeout", `--safe-slave-backup: the replica still had ${row?.Value} open temporary tables after ${this.timeoutSec} s`);
      log.info(`replica has ${row?.Value} open temporary tables: letting the SQL thread run a little longer`);
      await this.db.query("START ALL SLAVES SQL_THREAD");
      this.stopped = false;
      await Bun.sleep(1000);
    }
  }

  async restart(): Promise<void> {
    if (!this.stopped) return;
    await this.db.query("START ALL SLAVES SQL_THREAD");
    this.stopped = false;
  }
}
