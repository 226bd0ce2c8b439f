// The one harness for tests: where things are, a fixed environment, temp dirs that clean themselves, and
// process helpers that never leave a pipe undrained.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");
export const HB = join(ROOT, "dist/hb");
export const SHIM = join(ROOT, "dist/libhbshim.so");

/** The environment every spawned process starts from: the caller's, minus HB_* settings, without colours. */
export const testEnv: Record<string, string> = Object.fromEntries(
  Object.entries({ ...process.env, NO_COLOR: "1", LC_ALL: "C" }).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith("HB_"),
  ),
);

export interface TempDir extends Disposable, AsyncDisposable {
  path: string;
}

/** A fresh directory, removed at the end of its `using`/`await using` scope (kept with HB_KEEP_TEMP=1). */
export function tempDir(prefix = "hb-test"): TempDir {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const remove = () => {
    if (process.env.HB_KEEP_TEMP !== "1") rmSync(path, { recursive: true, force: true });
  };
  return { path, [Symbol.dispose]: remove, [Symbol.asyncDispose]: async () => remove() };
}

export interface SpawnOptions {
  /** Added to testEnv; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface RunOptions extends SpawnOptions {
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

// Bun.spawn without `env` uses the environment the process started with, not later process.env changes.
function environment(extra: SpawnOptions["env"] = {}): Record<string, string> {
  const env = { ...testEnv };
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs a command to the end; stdout and stderr are drained together so neither pipe can fill up and block. */
export async function run(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn({
    cmd,
    cwd: opts.cwd ?? ROOT,
    env: environment(opts.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, opts.timeoutMs ?? 60_000);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (timedOut) throw new Error(`${cmd.join(" ")} timed out after ${opts.timeoutMs ?? 60_000}ms\n${stderr}`);
    const signal = proc.signalCode === null ? null : String(proc.signalCode);
    return { code: signal ? null : code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a process in the background. Its output goes to the test's stderr unless redirected (a pipe nobody
 * reads would stall it). `await using` kills it at the end of the scope.
 */
export function spawnBg(
  cmd: string[],
  opts: SpawnOptions & { stdout?: "inherit" | "ignore" | "pipe"; stderr?: "inherit" | "ignore" | "pipe" } = {},
): Subprocess<"ignore", "inherit" | "ignore" | "pipe", "inherit" | "ignore" | "pipe"> {
  return Bun.spawn({
    cmd,
    cwd: opts.cwd ?? ROOT,
    env: environment(opts.env),
    stdin: "ignore",
    stdout: opts.stdout ?? "ignore",
    stderr: opts.stderr ?? "inherit",
  });
}

/**
 * Kills p (SIGKILL works on a stopped process too) when the scope that owns it ends: a test that fails
 * half-way must not leave a process behind holding the test runner's output open.
 */
export const reaped = (p: Subprocess) => ({
  async [Symbol.asyncDispose]() {
    p.kill("SIGKILL");
    await p.exited;
  },
});

/**
 * Polls `condition` until it returns something truthy, and returns that; throws naming `what` on timeout (a
 * function when the message should say how far it got).
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 20, what }: { timeoutMs?: number; intervalMs?: number; what: string | (() => string) },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${typeof what === "string" ? what : what()}`);
    await Bun.sleep(intervalMs);
  }
}
