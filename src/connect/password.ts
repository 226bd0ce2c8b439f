// The password options as the mysql client takes them: `-pSECRET`, `--password=SECRET` (and hb's
// `--password SECRET`) on the command line, where every local user can read them in the process list
// (hence a warning), or `-p` / `--password` alone: asked on the terminal, without echo.
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { HbError } from "../errors";

export interface PasswordArgs {
  argv: string[];
  /** -p or --password without a value: ask on the terminal. */
  prompt: boolean;
  /** A password was given in argv (visible in /proc/PID/cmdline). */
  inArgv: boolean;
}

/** Rewrites -pX to --password=X and takes out a bare -p/--password (then `prompt`), before citty parses. */
export function normalizePasswordArgs(argv: string[]): PasswordArgs {
  const out: string[] = [];
  let prompt = false;
  let inArgv = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (a === "-p" || (a === "--password" && (next === undefined || (next.startsWith("-") && next !== "-")))) {
      prompt = true;
    } else if (/^-p./.test(a)) {
      out.push(`--password=${a.slice(2)}`);
      inArgv = true;
    } else {
      if (/^--password=./.test(a) || a === "--password") inArgv = true;
      out.push(a);
    }
  }
  return { argv: out, prompt, inArgv };
}

let promptRequested = false;
export const requestPasswordPrompt = () => {
  promptRequested = true;
};

/** The password asked on the terminal if -p/--password came without a value, else undefined. */
export function promptedPassword(): string | undefined {
  if (!promptRequested) return undefined;
  promptRequested = false;
  return readPasswordFromTerminal();
}

function readPasswordFromTerminal(): string {
  let fd: number;
  try {
    fd = openSync("/dev/tty", "r+");
  } catch {
    throw new HbError("usage", "-p without a value asks for the password on a terminal, and there is none", "use MYSQL_PWD or --defaults-extra-file");
  }
  const stty = (mode: string) => Bun.spawnSync(["stty", mode], { stdin: fd, stdout: "ignore", stderr: "ignore" });
  try {
    writeSync(fd, "Enter password: ");
    stty("-echo");
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(256);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      if (buf.subarray(0, n).includes(10) || buf.subarray(0, n).includes(13)) break;
    }
    return Buffer.concat(chunks).toString("utf8").replace(/[\r\n].*$/s, "");
  } finally {
    stty("echo");
    writeSync(fd, "\n");
    closeSync(fd);
  }
}
