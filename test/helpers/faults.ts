// What every fault test checks after the fault, against a real server: no backup lock left, no capture left
// running, the journal of the failed backup no longer growing, the tables intact, and the next backup good.
import { expect } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Capture, type CaptureStatus } from "../../src/capture/control";
import { HB, run, spawnBg, waitFor } from "./harness";
import type { Server } from "./mariadb";

/** The backup stages a BACKUP STAGE holder has (METADATA_LOCK_INFO, plugin installed by the caller). */
const STAGE_LOCKS = ["MDL_BACKUP_START", "MDL_BACKUP_FLUSH", "MDL_BACKUP_WAIT_DDL", "MDL_BACKUP_WAIT_COMMIT"];

export async function installLockInfo(server: Server): Promise<void> {
  await server.query("INSTALL SONAME 'metadata_lock_info'");
}

export async function backupStageHolders(server: Server): Promise<number[]> {
  const rows = await server.query<{ THREAD_ID: number }[]>(
    "SELECT THREAD_ID FROM information_schema.METADATA_LOCK_INFO WHERE LOCK_MODE IN (?)",
    [STAGE_LOCKS],
  );
  return rows.map((r) => Number(r.THREAD_ID));
}

/**
 * No backup lock is left: METADATA_LOCK_INFO lists no stage holder, and another session gets every stage up
 * to BLOCK_COMMIT at once. Returns how long that took (ms).
 */
export async function assertNoBackupLock(server: Server): Promise<number> {
  // The server notices a dead client when its socket closes: at once, but on its own thread.
  await waitFor(async () => (await backupStageHolders(server)).length === 0, { what: "no BACKUP STAGE holder", timeoutMs: 5_000 });
  const conn = await server.connect();
  const t = performance.now();
  try {
    await conn.query("SET SESSION lock_wait_timeout = 5");
    for (const stage of ["START", "FLUSH", "BLOCK_DDL", "BLOCK_COMMIT", "END"]) await conn.query(`BACKUP STAGE ${stage}`);
  } finally {
    conn.destroy();
  }
  return performance.now() - t;
}

export function captureStatus(pid: number): CaptureStatus {
  const cap = Capture.attach(pid);
  try {
    return cap.status();
  } finally {
    cap.detach();
  }
}

/** Waits for the server's capture to stop being active (a dead hb's lease runs out); ms from `since`. */
export async function captureEnds(pid: number, since: number): Promise<{ ms: number; status: CaptureStatus }> {
  const status = await waitFor(() => {
    const s = captureStatus(pid);
    return s.state === "active" ? undefined : s;
  }, { what: "the capture to end by itself", timeoutMs: 20_000, intervalMs: 50 });
  return { ms: performance.now() - since, status };
}

/** The journal keeps its size for `ms`. */
export async function assertJournalStill(dest: string, ms = 1000): Promise<number> {
  const journal = join(dest, ".hb", "journal");
  const size = statSync(journal).size;
  await Bun.sleep(ms);
  expect(statSync(journal).size).toBe(size);
  return size;
}

/** hb prepare refuses DEST as incomplete (exit 10). */
export async function assertIncomplete(dest: string): Promise<void> {
  const prepare = await run([HB, "prepare", dest], { timeoutMs: 120_000 });
  expect(prepare.stderr).toMatch(/incomplete/);
  expect(prepare.code).toBe(10);
}

/** CHECK TABLE of these tables says OK for each. */
export async function assertTablesOk(server: Server, tables: string[]): Promise<void> {
  const rows = await server.query<{ Table: string; Msg_type: string; Msg_text: string }[]>(`CHECK TABLE ${tables.join(", ")}`);
  const bad = rows.filter((r) => r.Msg_type === "error" || (r.Msg_type === "status" && r.Msg_text !== "OK"));
  expect(bad).toEqual([]);
  expect(rows.filter((r) => r.Msg_type === "status").length).toBe(tables.length);
}

export interface PausedHb extends AsyncDisposable {
  proc: Subprocess;
  /** stderr so far (drained continuously). */
  stderr(): string;
  exited: Promise<number>;
}

/** Starts hb backup of a server with HB_DEBUG_SYNC=point and waits for it to say it paused there. */
export function hbPausedAt(server: Server, dest: string, point: string, extra: string[] = []): Promise<PausedHb> {
  return hbBackupPausedAt(["--socket", server.socket, "--user", "root", ...extra, dest], point);
}

/** Starts `hb backup ARGS` with HB_DEBUG_SYNC=point and waits for it to say it paused there. */
export function hbBackupPausedAt(args: string[], point: string): Promise<PausedHb> {
  return hbPausedAtPoint(["backup", ...args], point);
}

/** Starts `hb ARGS` (any command) with HB_DEBUG_SYNC=point ("restore-entry:8" for the 8th time) and waits for
 * it to say it paused there. */
export async function hbPausedAtPoint(args: string[], point: string): Promise<PausedHb> {
  const proc = spawnBg([HB, ...args], {
    env: { HB_DEBUG_SYNC: point },
    stderr: "pipe",
  });
  let text = "";
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) text += decoder.decode(chunk, { stream: true });
  })();
  const exited = Promise.all([proc.exited, drained]).then(([code]) => code);
  await waitFor(() => text.includes(`debug-sync: paused at ${point} (pid ${proc.pid})`) || proc.exitCode !== null, {
    what: `hb to pause at ${point}`,
    timeoutMs: 120_000,
  });
  if (proc.exitCode !== null) throw new Error(`hb exited (${proc.exitCode}) before pausing at ${point}:\n${text}`);
  // A stopped hb left behind would hold its stage for ever: `await using` kills it whatever the test did.
  const dispose = async () => {
    proc.kill("SIGKILL");
    await exited;
  };
  return { proc, stderr: () => text, exited, [Symbol.asyncDispose]: dispose };
}
