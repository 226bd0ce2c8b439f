// hb backup's stream options (docs/stream.md): parsed and checked before anything is written or the server
// is touched; a key file that fails any check refuses the run (never a plaintext fallback).
import type { ArgsDef } from "citty";
import { HbError } from "../errors";
import { parseDuration, parseSize } from "../units";
import { readKeyFile } from "./key";
import type { StreamBackupOptions } from "./backup";

export const streamArgs = {
  stream: { type: "boolean", description: "Write the backup to stdout as one stream (docs/stream.md) instead of into DEST" },
  compress: { type: "boolean", description: "Compress the stream's chunks with zstd (several at once)" },
  "compress-level": { type: "string", valueHint: "n", description: "zstd level, 1 (fast) to 19 (small)", default: "3" },
  "encrypt-key-file": { type: "string", valueHint: "file", description: "Encrypt the stream with AES-256-GCM; the key is 32 bytes or 64 hex digits in a file only you can read" },
  "stream-tmpdir": { type: "string", valueHint: "dir", description: "Where the stream's private staging directory goes (default: $TMPDIR)" },
  "stream-buffer": { type: "string", valueHint: "size", description: "The most the staging directory holds that the reader has not taken, e.g. 1G", default: "1G" },
  "stream-stall-timeout": { type: "string", valueHint: "duration", description: "Fail the backup when the reader takes nothing for this long", default: "120s" },
} as const satisfies ArgsDef;

/** The stream's options, or undefined without --stream (then none of them may be given). */
export function streamOptions(args: Record<string, unknown>, parallel: number): StreamBackupOptions | undefined {
  const given = (k: string) => args[k] !== undefined && args[k] !== false && !(k in DEFAULTED && args[k] === DEFAULTED[k]);
  if (args.stream !== true) {
    const stray = Object.keys(streamArgs).find((k) => k !== "stream" && given(k));
    if (stray) throw new HbError("usage", `--${stray} goes with --stream`);
    return undefined;
  }
  if (args.json === true) throw new HbError("usage", "--json prints on stdout, which --stream writes the backup to");
  const level = String(args["compress-level"]);
  if (args.compress !== true && given("compress-level")) throw new HbError("usage", "--compress-level goes with --compress");
  const n = /^\d+$/.test(level) ? Number(level) : Number.NaN;
  if (!(n >= 1 && n <= 19)) throw new HbError("usage", `invalid --compress-level "${level}": expected 1 to 19`);
  const bufferBytes = parseSize(String(args["stream-buffer"]), "--stream-buffer");
  if (bufferBytes < 16 << 20) throw new HbError("usage", "--stream-buffer must be at least 16M");
  const stallMs = parseDuration(String(args["stream-stall-timeout"]), "--stream-stall-timeout");
  if (stallMs < 1000) throw new HbError("usage", "--stream-stall-timeout must be at least 1s");
  return {
    tmpdir: typeof args["stream-tmpdir"] === "string" ? args["stream-tmpdir"] : undefined,
    compressLevel: args.compress === true ? n : undefined,
    key: typeof args["encrypt-key-file"] === "string" ? readKeyFile(args["encrypt-key-file"]) : undefined,
    parallel: Math.max(2, parallel),
    stallMs,
    bufferBytes,
  };
}

const DEFAULTED: Record<string, unknown> = Object.fromEntries(
  Object.entries(streamArgs).flatMap(([k, v]) => ("default" in v ? [[k, v.default]] : [])),
);
