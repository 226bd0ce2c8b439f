// Finds which command an argv names (`hb shim path --dir x` → root, shim, path; rest `--dir x`), so that the
// top-level handler knows whose args to check, whose usage to print and whose help to show.
import type { ArgsDef, CommandDef, CommandMeta, Resolvable, SubCommandsDef } from "citty";

export interface Invocation {
  /** Root first, the command that runs last. */
  commands: CommandDef<ArgsDef>[];
  /** Names as typed: ["hb", "shim", "path"]. */
  names: string[];
  /** The last command's own arguments. */
  rest: string[];
  help: boolean;
  version: boolean;
  /** A usage problem found while resolving (unknown command or option before the command name). */
  problem?: string;
}

export const resolveValue = async <T>(value: Resolvable<T>): Promise<T> =>
  typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;

export async function resolveInvocation(root: CommandDef<ArgsDef>, argv: string[]): Promise<Invocation> {
  const end = argv.indexOf("--");
  const isHelp = (arg: string, i: number) => (arg === "--help" || arg === "-h") && (end < 0 || i < end);
  const rootMeta = await resolveValue<CommandMeta>(root.meta ?? {});
  const invocation: Invocation = {
    commands: [root],
    names: [rootMeta.name ?? "hb"],
    rest: [],
    help: argv.some(isHelp),
    version: false,
  };
  let args = argv.filter((arg, i) => !isHelp(arg, i));
  let command = root;

  for (;;) {
    const subCommands = await resolveValue<SubCommandsDef | undefined>(command.subCommands);
    if (!subCommands) {
      invocation.rest = args;
      return invocation;
    }
    // A command group takes no options of its own, except the root's --version.
    const at = args.findIndex((arg) => !arg.startsWith("-"));
    for (const arg of at < 0 ? args : args.slice(0, at)) {
      if (arg === "--version" && command === root) invocation.version = true;
      else if (arg !== "--") return { ...invocation, problem: `unknown option ${arg}` };
    }
    if (at < 0) return invocation;
    const name = args[at]!;
    const sub = Object.hasOwn(subCommands, name) ? subCommands[name] : undefined;
    if (!sub) return { ...invocation, problem: `unknown command "${name}"` };
    command = await resolveValue(sub);
    invocation.commands.push(command);
    invocation.names.push(name);
    args = args.slice(at + 1);
  }
}
