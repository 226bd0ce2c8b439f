// The options hb backup, restore, verify and extract take for an s3:// location (docs/s3.md), loaded with the
// commands; what they do is in cli.ts, loaded only when a location is s3://.
import type { ArgsDef } from "citty";
import { HbError } from "../errors";
import { s3Args, s3UploadArgs } from "./options";

type Args = Record<string, unknown>;

const keyArg = {
  "encrypt-key-file": { type: "string", valueHint: "file", description: "Encrypt (backup) or decrypt (restore, extract, verify) s3:// backups with this 32-byte key" },
} as const satisfies ArgsDef;

/** Options hb backup takes for an s3:// destination. */
export const s3BackupArgs = {
  ...s3Args,
  ...s3UploadArgs,
  ...keyArg,
  compress: { type: "boolean", description: "s3://: compress the stream with zstd" },
  "s3-staging": { type: "string", valueHint: "dir", description: "s3://: where the backup is staged before it is uploaded (default $TMPDIR, else /tmp)" },
} as const satisfies ArgsDef;

/** Options hb restore, verify and extract take for an s3:// source. */
export const s3ReadArgs = { ...s3Args, ...keyArg } as const satisfies ArgsDef;

/** hb refuses S3 options with a local directory rather than ignore them. */
export function refuseS3Args(args: Args, where: string): void {
  const stray = Object.keys({ ...s3Args, ...s3UploadArgs, ...keyArg, "s3-staging": 0 }).filter((n) => args[n] !== undefined);
  if (stray.length) throw new HbError("usage", `--${stray[0]} goes with an s3:// location, not ${where}`);
}

