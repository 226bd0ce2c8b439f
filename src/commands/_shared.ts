// Argument groups that commands spread into their args, and the parsing every command shares.
import type { ArgsDef } from "citty";
import { HbError } from "../errors";
import { writeOut } from "../cli/io";
import { setQuiet } from "../log";
import { parseDuration, parseSize } from "../units";
import type { ConnectionFlags } from "../connect/options";
import { promptedPassword } from "../connect/password";

export const outputArgs = {
  json: { type: "boolean", description: "Print the result as JSON on stdout" },
  quiet: { type: "boolean", description: "Log only errors" },
} as const satisfies ArgsDef;

/** Applies --quiet to the logger before a command starts working (HB_QUIET=1 in the environment also works). */
export function applyOutputArgs(args: { quiet?: boolean }): void {
  if (args.quiet) setQuiet(true);
}

/** The result of a command on stdout, as one line of JSON. */
export function printJson(result: unknown): void {
  writeOut(`${JSON.stringify(result)}\n`);
}

/** An integer option within [min, max]. */
export function parseIntegerArg(text: string, option: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new HbError("usage", `invalid ${option} "${text}": expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A bandwidth limit in bytes per second: "50M" or "50M/s"; "0" means no limit. */
export function parseRateArg(text: string, option: string): number {
  return parseSize(text.replace(/\/s$/i, ""), option);
}

/** A duration in seconds, at most maxSec (MariaDB's lock_wait_timeout stops at a year). */
export function parseDurationArg(text: string, option: string, maxSec = 31_536_000): number {
  const sec = parseDuration(text, option) / 1000;
  if (sec > maxSec) throw new HbError("usage", `invalid ${option} "${text}": at most ${maxSec} s`);
  return sec;
}

/** A size that must not be zero. */
export function parsePositiveSizeArg(text: string, option: string): number {
  const bytes = parseSize(text, option);
  if (bytes === 0) throw new HbError("usage", `invalid ${option} "${text}": must be more than 0`);
  return bytes;
}

/** How to reach the server, as the mysql client takes it (option files and MYSQL_PWD are read too). */
export const connectionArgs = {
  host: { type: "string", valueHint: "host", description: "Server host (default: the socket)" },
  port: { type: "string", valueHint: "port", description: "Server TCP port" },
  socket: { type: "string", valueHint: "path", description: "Server unix socket" },
  user: { type: "string", valueHint: "name", description: "User (default: your login name)" },
  password: { type: "string", valueHint: "secret", description: "Password; -p or --password alone asks on the terminal (also: MYSQL_PWD, an option file)" },
  "defaults-file": { type: "string", valueHint: "file", description: "Read only this option file" },
  "defaults-extra-file": { type: "string", valueHint: "file", description: "Read this option file after the usual ones" },
} as const satisfies ArgsDef;

export function connectionFlags(args: Record<string, unknown>): ConnectionFlags {
  const str = (k: string) => (typeof args[k] === "string" ? (args[k] as string) : undefined);
  return {
    host: str("host"),
    port: str("port") === undefined ? undefined : parseIntegerArg(str("port")!, "--port", 1, 65535),
    socket: str("socket"),
    user: str("user"),
    password: str("password") ?? promptedPassword(),
    defaultsFile: str("defaults-file"),
    defaultsExtraFile: str("defaults-extra-file"),
  };
}
