// The options hb backup, restore, verify, extract and list take for an s3:// location (docs/s3.md), loaded
// with the commands; what they do is in cli.ts, loaded only when a location is s3://.
import type { ArgsDef } from "citty";
import { HbError } from "../errors";
import { s3Args, s3UploadArgs } from "./options";

type Args = Record<string, unknown>;

const keyArg = {
  "encrypt-key-file": { type: "string", valueHint: "file", description: "s3://: the key the backup was encrypted with (hb backup --encrypt-key-file)" },
} as const satisfies ArgsDef;

/** Options hb backup takes for an s3:// destination (besides the stream's: --compress, --encrypt-key-file, …). */
export const s3BackupArgs = { ...s3Args, ...s3UploadArgs } as const satisfies ArgsDef;

/** Options hb restore, verify and extract take for an s3:// source. */
export const s3ReadArgs = { ...s3Args, ...keyArg } as const satisfies ArgsDef;

/** hb refuses S3 options with a local directory rather than ignore them. */
export function refuseS3Args(args: Args, where: string, also: ArgsDef = {}): void {
  const stray = Object.keys({ ...s3Args, ...s3UploadArgs, ...also }).filter((n) => args[n] !== undefined);
  if (stray.length) throw new HbError("usage", `--${stray[0]} goes with an s3:// location, not ${where}`);
}

