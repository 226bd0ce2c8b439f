// The copy before the lock, paced by --throttle auto (src/copy/pacer.ts) on the server's statement and
// InnoDB page-access counters.
import type { Capture } from "../capture/control";
import type { Db } from "../connect/client";
import { Pacer, type Work } from "../copy/pacer";
import { log } from "../log";
import type { Session } from "./session";

export type Pacing = Awaited<ReturnType<Pacer["stop"]>>;

/** session.copyAll(), with the pacer running around it when `auto`; what the pacer did, if it ran. */
/** `lowPriority`: --priority low, which the pacer lifts while the server is idle. */
export async function copyPaced(session: Session, capture: Capture, db: Db, auto: boolean, lowPriority: boolean): Promise<Pacing | undefined> {
  if (!auto) {
    await session.copyAll();
    return undefined;
  }
  const pool = session.pool;
  const pacer = new Pacer(
    {
      get bytes() {
        return pool.bytes;
      },
      get journalBytes() {
        return capture.status().journalBytes;
      },
      setRate: (rate) => pool.setRate(rate),
      writeThroughCache: (on) => pool.writeThroughCache(on),
      pause: (on) => pool.pause(on),
      // The pacer's word for a busy server: low priority, if asked for, and the hot files wait for the rest.
      gentle: (busy) => {
        pool.gentle(busy && lowPriority);
        session.walker.lastAfterAll = busy;
      },
    },
    { activity: () => workSoFar(db) },
  );
  let pacing: Pacing;
  // The hot files go at full speed (the writes to what is copied are journaled: the sooner done the better),
  // at the priority asked for. Paced, they cost more: docs/capture.md, "Hot files last".
  session.walker.beforeLast = async () => {
    await pacer.stop();
    pool.gentle(lowPriority);
  };
  try {
    await session.copyAll();
  } finally {
    pacing = await pacer.stop();
  }
  const rate = pacing.lastRate ? `${(pacing.lastRate / 2 ** 20).toFixed(1)} MiB/s` : "no limit";
  log.info(`throttle auto: held ${pacing.holds} times to measure the server; last rate ${rate}`);
  return pacing;
}

/** What the pacer asks the server each time it looks (bench/status-cost.ts measures what it costs). */
export const WORK_QUERY =
  "SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('QUESTIONS', 'INNODB_BUFFER_POOL_READ_REQUESTS', 'INNODB_BUFFER_POOL_WRITE_REQUESTS')";

/** The server's statements (every client's) and InnoDB page accesses so far; hb's own query moves neither. */
async function workSoFar(db: Db): Promise<Work> {
  const rows = await db.query<{ name: string; value: string }[]>(WORK_QUERY);
  const value = new Map(rows.map((r) => [r.name, Number(r.value)]));
  const of = (name: string) => value.get(name) ?? 0;
  return { statements: of("QUESTIONS"), pages: of("INNODB_BUFFER_POOL_READ_REQUESTS") + of("INNODB_BUFFER_POOL_WRITE_REQUESTS") };
}
