// How hb reaches an S3 store (docs/s3.md "Credentials and options"): flags, then the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL), then the [hb]
// group of the option files (s3-endpoint, s3-region, s3-access-key-id, s3-secret-access-key).
import { existsSync } from "node:fs";
import type { ArgsDef } from "citty";
import { HbError } from "../errors";
import { optionFiles, readOptionFile } from "../connect/options";
import { parseDuration, parseSize } from "../units";
import { Store } from "./client";
import { DEFAULT_RETRY } from "./retry";
import type { S3Location } from "./layout";

export const s3Args = {
  "s3-endpoint": { type: "string", valueHint: "url", description: "S3-compatible store to use instead of AWS (e.g. http://127.0.0.1:8080)" },
  "s3-region": { type: "string", valueHint: "name", description: "Region to sign for (default: AWS_REGION, else us-east-1)" },
  "s3-parallel": { type: "string", valueHint: "n", description: "Parts uploaded or downloaded at once, 1 to 64 (default 4)" },
  "s3-timeout": { type: "string", valueHint: "duration", description: "Cut a request when nothing has moved for this long (default 30s)" },
  "s3-attempts": { type: "string", valueHint: "n", description: "Tries per request before hb gives up, 1 to 100 (default 8)" },
} as const satisfies ArgsDef;

export const s3UploadArgs = {
  "s3-part-size": { type: "string", valueHint: "size", description: "Bytes per part, uploaded as soon as full, 5M to 1G (default 16M)" },
  "s3-object-size": { type: "string", valueHint: "size", description: "Bytes per object, a whole number of parts (default 128M)" },
} as const satisfies ArgsDef;

const MiB = 1024 * 1024;

function integer(text: string, option: string, min: number, max: number): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new HbError("usage", `invalid ${option} "${text}": expected a whole number from ${min} to ${max}`);
  return n;
}

/** The [hb] group's s3-* values from the usual option files (--defaults-file/--defaults-extra-file if given). */
function optionFileValues(args: Record<string, unknown>): Map<string, string> {
  const str = (k: string) => (typeof args[k] === "string" ? (args[k] as string) : undefined);
  const values = new Map<string, string>();
  for (const file of optionFiles({ defaultsFile: str("defaults-file"), defaultsExtraFile: str("defaults-extra-file") })) {
    if (!existsSync(file)) continue;
    for (const [k, v] of readOptionFile(file).get("hb") ?? []) if (k.startsWith("s3-")) values.set(k, v);
  }
  return values;
}

export interface TransferOptions {
  parallel: number;
  partSize: number;
  objectSize: number;
}

/** The store a location lives in, with its credentials and retry policy; usage errors for what is missing. */
export function openStore(loc: S3Location, args: Record<string, unknown>, env: Record<string, string | undefined> = process.env): Store {
  const files = optionFileValues(args);
  const pick = (flag: string, ...vars: string[]) =>
    (typeof args[flag] === "string" ? (args[flag] as string) : undefined) ?? vars.map((v) => env[v]).find((v) => v) ?? files.get(flag);
  const accessKeyId = pick("s3-access-key-id", "AWS_ACCESS_KEY_ID");
  const secretAccessKey = pick("s3-secret-access-key", "AWS_SECRET_ACCESS_KEY");
  if (!accessKeyId || !secretAccessKey)
    throw new HbError("usage", "no S3 credentials", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or s3-access-key-id and s3-secret-access-key in the [hb] group of an option file");
  const region = pick("s3-region", "AWS_REGION", "AWS_DEFAULT_REGION") ?? "us-east-1";
  const endpoint = pick("s3-endpoint", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL") ?? `https://s3.${region}.amazonaws.com`;
  if (!/^https?:\/\/[^/]+/.test(endpoint)) throw new HbError("usage", `invalid --s3-endpoint "${endpoint}": expected http(s)://host[:port]`);
  return new Store({
    endpoint,
    bucket: loc.bucket,
    credentials: { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined, region },
    idleTimeoutMs: parseDuration(String(args["s3-timeout"] ?? "30s"), "--s3-timeout") || 1,
    retry: { ...DEFAULT_RETRY, attempts: integer(String(args["s3-attempts"] ?? "8"), "--s3-attempts", 1, 100) },
  });
}

export function transferOptions(args: Record<string, unknown>): TransferOptions {
  const partSize = parseSize(String(args["s3-part-size"] ?? "16M"), "--s3-part-size");
  const objectSize = parseSize(String(args["s3-object-size"] ?? "128M"), "--s3-object-size");
  if (partSize < 5 * MiB || partSize > 1024 * MiB) throw new HbError("usage", "--s3-part-size must be from 5M to 1G (S3's smallest part is 5 MiB)");
  if (objectSize < partSize || objectSize % partSize) throw new HbError("usage", "--s3-object-size must be a whole number of --s3-part-size parts");
  if (objectSize / partSize > 10_000) throw new HbError("usage", "--s3-object-size may hold at most 10000 parts (S3's limit)");
  return { parallel: integer(String(args["s3-parallel"] ?? "4"), "--s3-parallel", 1, 64), partSize, objectSize };
}
