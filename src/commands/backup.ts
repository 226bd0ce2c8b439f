// hb backup: parse and check the options, hand them to the backup phase, report its result.
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";
import { HbError } from "../errors";
import { checkDebugSync } from "../backup/debug-sync";
import type { Session } from "../backup/session";
import { streamArgs, streamOptions } from "../stream/args";
import type { StreamBackupOptions } from "../stream/backup";
import type { KillLongQueriesOptions } from "../locks/kill-long-queries";
import { refuseS3Args, s3BackupArgs } from "../s3/args";
import { isS3Url } from "../s3/layout";
import { applyOutputArgs, connectionArgs, connectionFlags, outputArgs, parseDurationArg, parseIntegerArg, parsePositiveSizeArg, parseRateArg, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "backup",
    description: "Copy the files of a running server into DEST, exact as of the end of the backup",
    example: "hb backup --socket /run/mysqld/mysqld.sock --throttle 100M /backups/today",
  }),
  args: {
    dest: { type: "positional", required: false, description: "Backup directory (created; must be empty), or s3://BUCKET/PREFIX/NAME (docs/s3.md); none with --stream" },
    raw: { type: "boolean", description: "Back up a directory written by a process running with the shim, without SQL" },
    source: { type: "string", valueHint: "dir", description: "Directory to back up (raw mode)" },
    pid: { type: "string", valueHint: "pid", description: "Process that writes --source, started with the shim preloaded (raw mode)" },
    throttle: {
      type: "string",
      valueHint: "rate",
      description: "Copy at most this many bytes per second, e.g. 100M (0 = no limit); auto (the default with a server) copies as fast as the server does not notice",
    },
    parallel: { type: "string", valueHint: "n", description: "Files copied at once, 1 to 64", default: "4" },
    priority: { type: "string", valueHint: "low|normal", description: "CPU and disk priority of the copy: low leaves the server first", default: "low" },
    ring: { type: "string", valueHint: "size", description: "Shared-memory ring between server and hb, 4M to 256M", default: "64M" },
    "lock-wait-timeout": { type: "string", valueHint: "duration", description: "Longest wait for each BACKUP STAGE, e.g. 60s", default: "60s" },
    "kill-long-queries-timeout": {
      type: "string",
      valueHint: "duration",
      description: "When FLUSH/BLOCK_DDL/BLOCK_COMMIT has waited this long, kill the sessions running a statement that long (needs CONNECTION ADMIN; 0 = never)",
      default: "0",
    },
    "kill-long-query-type": { type: "string", valueHint: "all|select", description: "Which statements --kill-long-queries-timeout kills", default: "all" },
    "slave-info": { type: "boolean", description: "On a replica, write xtrabackup_slave_info to start a new replica from" },
    "safe-slave-backup": { type: "boolean", description: "On a replica, pause the SQL thread (no open temporary tables) for the final lock" },
    "safe-slave-backup-timeout": { type: "string", valueHint: "duration", description: "How long to wait for no temporary tables", default: "300s" },
    include: { type: "string", valueHint: "globs", description: "Only these db/table globs, comma-separated (e.g. 'shop/*')" },
    exclude: { type: "string", valueHint: "globs", description: "Leave out these db/table globs, comma-separated" },
    // citty reads --no-X as X=false: the flag is declared as what it turns off.
    "space-check": { type: "boolean", description: "Check that DEST has room for the data and a journal estimate (--no-space-check skips it)", default: true },
    ...streamArgs,
    ...s3BackupArgs,
    ...connectionArgs,
    ...outputArgs,
  },
  async run({ args }) {
    checkDebugSync();
    if (isS3Url(args.dest ?? "")) return toS3(args);
    refuseS3Args(args, "a directory");
    const stream = streamOptions(args, parseIntegerArg(args.parallel, "--parallel", 1, 64));
    if (stream && args.dest !== undefined) throw new HbError("usage", "--stream writes to stdout: give no DEST");
    if (!stream && args.dest === undefined) throw new HbError("usage", "missing DEST (or --stream)");
    // Staging holds at most --stream-buffer: the space check's estimate of the whole backup does not apply.
    if (stream) return streamed(stream, (dest, watch) => (args.raw ? runRaw({ ...args, dest }, watch) : runServer({ ...args, dest, "space-check": false }, watch)));
    const result = args.raw ? await runRaw(args) : await runServer(args);
    if (args.json === true) printJson(result);
  },
});

/** --stream: the backup into staging, streamed to stdout as it is taken (src/stream/backup.ts). */
async function streamed(o: StreamBackupOptions, backup: (dest: string, watch: (s: Session) => void) => Promise<unknown>): Promise<void> {
  const { streamBackup } = await import("../stream/backup");
  await streamBackup(o, backup);
}

/** s3://: the stream of the backup, as --stream makes it, uploaded as it is taken (src/s3/backup.ts). */
// biome-ignore lint: citty's inferred args type
async function toS3(args: any) {
  if (args.stream) throw new HbError("usage", "--stream writes to stdout, an s3:// DEST is uploaded to: give one or the other");
  // The stream's options (compression, key, staging) as --stream takes them; hb prints --json itself.
  const stream = streamOptions({ ...args, stream: true, json: false }, parseIntegerArg(args.parallel, "--parallel", 1, 64))!;
  applyOutputArgs(args);
  const { s3Backup } = await import("../s3/cli");
  const result = await s3Backup(args.dest, args, stream, (dest, watch) =>
    args.raw ? runRaw({ ...args, dest }, watch) : runServer({ ...args, dest, "space-check": false }, watch),
  );
  if (args.json === true) printJson(result);
}

// biome-ignore lint: citty's inferred args type
async function runRaw(args: any, watch?: (s: Session) => void) {
  if (args.source === undefined || args.pid === undefined) {
    throw new HbError("usage", "--raw needs --source DIR and --pid PID");
  }
  const options = {
    watch,
    dest: args.dest,
    source: args.source,
    pid: parseIntegerArg(args.pid, "--pid", 1, 2 ** 22),
    throttleBytesPerSec: rawThrottle(args.throttle),
    parallel: parseIntegerArg(args.parallel, "--parallel", 1, 64),
    gentle: parsePriority(args.priority),
    ringBytes: parseRing(args.ring),
    json: args.json === true,
    quiet: args.quiet === true,
  };
  applyOutputArgs(options);
  const { runRawBackup } = await import("../backup/raw");
  return runRawBackup(options);
}

// The shim's bounds on the ring (HB_RING_MIN and HB_RING_MAX in shim/control.h): it would clamp any other size.
const RING_MIN = 4 << 20;
const RING_MAX = 256 << 20;

/** --ring: a size the shim honours as given, or a usage error naming its bounds. */
function parseRing(value: string): number {
  const bytes = parsePositiveSizeArg(value, "--ring");
  if (bytes < RING_MIN || bytes > RING_MAX)
    throw new HbError("usage", `invalid --ring "${value}": the shim's ring is 4M to 256M (${RING_MIN} to ${RING_MAX} bytes)`);
  return bytes;
}

/** Raw mode has no server to watch: no limit unless one is given. */
function rawThrottle(value: string | undefined): number {
  if (value === "auto") throw new HbError("usage", "--throttle auto paces the copy by the server's work: it needs a server, not --raw");
  return value === undefined ? 0 : parseRateArg(value, "--throttle");
}

/** --priority low (the default) runs the copy threads at nice 10 and idle I/O class. */
function parsePriority(value: string): boolean {
  if (value === "low" || value === "normal") return value === "low";
  throw new HbError("usage", `--priority must be low or normal, not '${value}'`);
}

const globs = (text: string | undefined) => (text ?? "").split(",").map((g) => g.trim()).filter(Boolean);

/** db/table globs to the file globs the copier and prepare match (a table is its files in its db directory). */
const tableFileGlobs = (g: string) => {
  const [db, table = "*"] = g.split("/");
  return [`${db}/${table}.*`, `${db}/${table}#P#*`];
};

// biome-ignore lint: citty's inferred args type
function killLongQueries(args: any): KillLongQueriesOptions | undefined {
  const afterSec = parseDurationArg(args["kill-long-queries-timeout"], "--kill-long-queries-timeout");
  const type = args["kill-long-query-type"];
  if (type !== "all" && type !== "select") throw new HbError("usage", `invalid --kill-long-query-type "${type}": expected all or select`);
  if (afterSec === 0) return undefined;
  // The stage gives up after lock_wait_timeout: killing later than that would never happen.
  if (afterSec >= parseDurationArg(args["lock-wait-timeout"], "--lock-wait-timeout"))
    throw new HbError("usage", "--kill-long-queries-timeout must be shorter than --lock-wait-timeout");
  return { afterSec, type };
}

// biome-ignore lint: citty's inferred args type
async function runServer(args: any, watch?: (s: Session) => void) {
  if (args.source !== undefined || args.pid !== undefined) throw new HbError("usage", "--source and --pid go with --raw");
  const options = {
    watch,
    dest: args.dest as string,
    connection: connectionFlags(args),
    throttleAuto: (args.throttle ?? "auto") === "auto",
    throttleBytesPerSec: (args.throttle ?? "auto") === "auto" ? 0 : parseRateArg(args.throttle, "--throttle"),
    parallel: parseIntegerArg(args.parallel, "--parallel", 1, 64),
    gentle: parsePriority(args.priority),
    ringBytes: parseRing(args.ring),
    lockWaitTimeoutSec: parseDurationArg(args["lock-wait-timeout"], "--lock-wait-timeout"),
    killLongQueries: killLongQueries(args),
    slaveInfo: args["slave-info"] === true,
    safeSlaveBackup: args["safe-slave-backup"] === true,
    safeSlaveBackupTimeoutSec: parseDurationArg(args["safe-slave-backup-timeout"], "--safe-slave-backup-timeout"),
    include: globs(args.include).flatMap(tableFileGlobs),
    exclude: globs(args.exclude).flatMap(tableFileGlobs),
    noSpaceCheck: args["space-check"] === false,
    argv: process.argv.slice(1),
    json: args.json === true,
    quiet: args.quiet === true,
  };
  applyOutputArgs(options);
  const { runServerBackup } = await import("../backup/server");
  return runServerBackup(options);
}
