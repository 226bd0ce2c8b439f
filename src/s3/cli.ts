// The s3:// side of hb backup, restore, verify and extract: the glue from parsed arguments (args.ts) to the
// phase functions (docs/s3.md). The commands dispatch here when their location is s3://.
import { HbError } from "../errors";
import type { Session } from "../backup/session";
import { readKeyFile } from "../stream";
import type { StreamBackupOptions } from "../stream/backup";
import { backupToS3 } from "./backup";
import { parseBackupUrl } from "./layout";
import { openStore, transferOptions } from "./options";
import { extractFromS3, verifyS3 } from "./read";
import { restoreFromS3 } from "./restore";

type Args = Record<string, unknown>;

const key = (args: Args) => (typeof args["encrypt-key-file"] === "string" ? readKeyFile(args["encrypt-key-file"]) : undefined);
const readOptions = (args: Args) => ({ key: key(args), parallel: transferOptions(args).parallel });

/** What the manifest keeps of a backup's result: where it ends in the binlog, and its sizes. */
function backupFacts(r: Record<string, unknown>): Record<string, unknown> {
  const keep = ["serverVersion", "binlog", "lsn", "files", "bytesCopied", "journalBytes", "lockTimeMs", "durationMs"];
  return Object.fromEntries(keep.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
}

export async function s3Backup(url: string, args: Args, stream: StreamBackupOptions, take: (dir: string, watch: (s: Session) => void) => Promise<object>) {
  const loc = parseBackupUrl(url);
  const store = openStore(loc, args);
  const transfer = transferOptions(args);
  return backupToS3(store, loc, { transfer, stream }, async (dir, watch) => backupFacts((await take(dir, watch)) as Record<string, unknown>));
}

export async function s3Restore(url: string, args: Args) {
  if (typeof args.datadir !== "string") throw new HbError("usage", "hb restore s3://… needs --datadir DIR");
  if (args.move || args["defaults-file"]) throw new HbError("usage", "hb restore s3://… takes --datadir only (the download is always moved into place)");
  const loc = parseBackupUrl(url);
  return restoreFromS3(openStore(loc, args), loc, { ...readOptions(args), datadir: args.datadir, forceNonEmpty: args["force-non-empty-directories"] === true });
}

export async function s3Verify(url: string, args: Args) {
  if (args.server || args.throttle) throw new HbError("usage", "--server and --throttle check a local backup directory, not s3://");
  const loc = parseBackupUrl(url);
  return verifyS3(openStore(loc, args), loc, readOptions(args));
}

export async function s3Extract(url: string, dir: string, args: Args) {
  const loc = parseBackupUrl(url);
  return extractFromS3(openStore(loc, args), loc, dir, readOptions(args));
}
