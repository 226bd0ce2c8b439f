// The one-line usage printed with usage errors, and the --help text (citty's, plus an example).
import { type ArgsDef, type CommandDef, type CommandMeta, renderUsage } from "citty";
import { VERSION } from "../version";
import type { Invocation } from "./resolve";
import { resolveValue } from "./resolve";

/** meta of an hb command: citty's, plus one example line for --help. */
export interface HbMeta extends CommandMeta {
  example?: string;
}

/** Lets a command's meta carry `example` past citty's CommandMeta type. */
export const hbMeta = (meta: HbMeta): CommandMeta => meta;

const last = (invocation: Invocation) => invocation.commands[invocation.commands.length - 1]!;

export async function usageLine(invocation: Invocation): Promise<string> {
  const command = last(invocation);
  const words = [...invocation.names];
  const subCommands = await resolveValue(command.subCommands);
  if (subCommands) words.push(`<${Object.keys(subCommands).join("|")}>`);
  for (const [name, def] of Object.entries(await resolveValue<ArgsDef>(command.args ?? {}))) {
    const required = def.type === "positional" ? def.required !== false && def.default === undefined : def.required === true;
    const hint = (def.type === "positional" ? name : (def.valueHint ?? name)).toUpperCase();
    const word = def.type === "positional" ? hint : def.type === "boolean" ? `--${name}` : `--${name} ${hint}`;
    words.push(required ? word : `[${word}]`);
  }
  return `usage: ${words.join(" ")}`;
}

export async function helpText(invocation: Invocation, color: boolean): Promise<string> {
  const command = last(invocation);
  // citty names a command after its parent's meta only: give it the whole path ("hb shim").
  const parent: CommandDef<ArgsDef> = { meta: { name: invocation.names.slice(0, -1).join(" "), version: VERSION } };
  const text = await renderUsage(command, invocation.commands.length > 1 ? parent : undefined);
  const meta = await resolveValue<HbMeta>(command.meta ?? {});
  const example = meta.example ? `\n\nEXAMPLE\n\n  ${meta.example}` : "";
  // citty pads its columns to the longest line: drop the trailing blanks.
  const help = `${text.trimEnd()}${example}\n`.replace(/[ \t]+$/gm, "");
  // citty colours unless NO_COLOR/CI is set; a pipe or a file gets plain text.
  return color ? help : help.replace(/\x1b\[[0-9;]*m/g, "");
}
