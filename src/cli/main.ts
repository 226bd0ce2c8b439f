// The top-level handler. citty's runMain turns every error into exit 1; here each failure class keeps its
// exit code (src/errors.ts), usage errors print the command's usage line, and nothing calls process.exit.
import { type ArgsDef, type CommandDef, runCommand } from "citty";
import { normalizePasswordArgs, requestPasswordPrompt } from "../connect/password";
import { ExitCode, HbError } from "../errors";
import { log } from "../log";
import { SHIM_PROTOCOL, VERSION } from "../version";
import { writeErr, writeOut } from "./io";
import { type Invocation, resolveInvocation, resolveValue } from "./resolve";
import { checkArgs } from "./strict";
import { helpText, usageLine } from "./usage";

/** Runs hb with these arguments (argv without "hb") and returns the exit code. */
export async function main(root: CommandDef<ArgsDef>, argv: string[]): Promise<number> {
  let invocation: Invocation | undefined;
  try {
    invocation = await resolveInvocation(root, argv);
    if (invocation.problem) throw new HbError("usage", invocation.problem);
    if (invocation.help) {
      writeOut(await helpText(invocation, process.stdout.isTTY === true));
      return 0;
    }
    if (invocation.version) {
      writeOut(`hb ${VERSION} (shim protocol ${SHIM_PROTOCOL})\n`);
      return 0;
    }
    const command = invocation.commands[invocation.commands.length - 1]!;
    if (!command.run) {
      // A command group (or hb alone) without a command: show what there is, as an error.
      writeErr(await helpText(invocation, process.stderr.isTTY === true));
      writeErr(`hb: missing command\n`);
      return ExitCode.usage;
    }
    const args = await resolveValue<ArgsDef>(command.args ?? {});
    const rest = "password" in args ? passwordArgs(invocation.rest) : invocation.rest;
    checkArgs(args, rest);
    await runCommand(command, { rawArgs: rest });
    return 0;
  } catch (error) {
    return await report(error, invocation);
  }
}

/** -pX is --password=X; a bare -p/--password asks on the terminal; a password in argv is warned about. */
function passwordArgs(argv: string[]): string[] {
  const p = normalizePasswordArgs(argv);
  if (p.prompt) requestPasswordPrompt();
  if (p.inArgv)
    log.warn("a password on the command line can be read by any local user (ps, /proc): prefer -p (asks), MYSQL_PWD or --defaults-extra-file");
  return p.argv;
}

async function report(error: unknown, invocation: Invocation | undefined): Promise<number> {
  const failure = asHbError(error);
  if (failure.kind === "usage" && invocation) writeErr(`${await usageLine(invocation)}\n`);
  writeErr(`hb: ${failure.message}\n`);
  if (failure.hint) writeErr(`hint: ${failure.hint}\n`);
  if (failure.kind === "internal" && process.env.HB_DEBUG && error instanceof Error && error.stack) {
    writeErr(`${error.stack}\n`);
  }
  return failure.exitCode;
}

function asHbError(error: unknown): HbError {
  if (error instanceof HbError) return error;
  // citty's own argument errors (not exported as a class): a missing positional, a bad enum value.
  if (error instanceof Error && error.name === "CLIError") {
    const message = error.message.replace(/\x1b\[[0-9;]*m/g, "");
    return new HbError("usage", message.charAt(0).toLowerCase() + message.slice(1));
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HbError("internal", `internal error: ${message}`, process.env.HB_DEBUG ? undefined : "run with HB_DEBUG=1 for a stack trace");
}
