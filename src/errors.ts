// Every failure hb reports has a class, and every class has one exit code (README "Exit codes").
import { getSystemErrorMessage, getSystemErrorName } from "node:util";
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  connection: 3,
  privileges: 4,
  shim: 5,
  lockTimeout: 6,
  destination: 7,
  io: 8,
  capture: 9,
  damaged: 10,
  verify: 11,
  plugin: 12,
  interrupted: 130,
} as const;

export type ExitClass = keyof typeof ExitCode;

export class HbError extends Error {
  readonly exitCode: number;
  constructor(
    readonly kind: ExitClass,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "HbError";
    this.exitCode = ExitCode[kind];
  }
}

/** "No space left on device (ENOSPC)" for errno 28: what a DBA can act on, not a number. */
export function errnoText(errno: number): string {
  try {
    return `${getSystemErrorMessage(-errno)} (${getSystemErrorName(-errno)})`;
  } catch {
    return `errno ${errno}`;
  }
}
