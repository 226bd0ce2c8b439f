// citty accepts any flag and any number of positionals without a word (node's parseArgs with strict: false,
// and `--no-<anything>` is turned into `<anything>: false`). A backup tool must not ignore a misspelt
// `--throtle`, so the arguments are checked against the command's declared args before citty parses them.
// Options are declared in kebab-case; only the declared spelling and aliases are accepted.
import type { ArgDef, ArgsDef } from "citty";
import { HbError } from "../errors";

export function checkArgs(argsDef: ArgsDef, rawArgs: string[]): void {
  const options = new Map<string, { name: string; def: ArgDef }>();
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type === "positional") continue;
    const aliases = "alias" in def && def.alias !== undefined ? [def.alias].flat() : [];
    for (const spelling of [name, ...aliases]) options.set(spelling, { name, def });
  }
  const positionals = Object.entries(argsDef).filter(([, def]) => def.type === "positional");
  const seen = new Set<string>();
  let given = 0;

  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") {
      given += rawArgs.length - i - 1;
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      given++;
      continue;
    }
    const eq = token.indexOf("=");
    const flag = token.slice(token.startsWith("--") ? 2 : 1, eq < 0 ? undefined : eq);
    const spelt = `${token.startsWith("--") ? "--" : "-"}${flag}`;
    const negated = token.startsWith("--no-") ? options.get(flag.slice(3)) : undefined;
    const option = options.get(flag) ?? (negated?.def.type === "boolean" ? negated : undefined);
    if (!option) throw new HbError("usage", `unknown option ${spelt}`);
    if (seen.has(option.name)) throw new HbError("usage", `option --${option.name} given more than once`);
    seen.add(option.name);
    if (option.def.type === "boolean" || eq >= 0) continue;
    // A value that looks like an option is almost always a forgotten value; `--opt=-x` still works.
    const value = rawArgs[i + 1];
    if (value === undefined || (value.startsWith("-") && value !== "-")) {
      throw new HbError("usage", `option ${spelt} needs a value`);
    }
    i++;
  }

  const required = positionals.filter(([, def]) => def.required !== false && def.default === undefined);
  if (given < required.length) {
    const missing = required.slice(given).map(([name]) => name.toUpperCase());
    throw new HbError("usage", `missing ${missing.join(" ")}`);
  }
  if (given > positionals.length) {
    throw new HbError("usage", `too many arguments: expected ${positionals.length}, got ${given}`);
  }
}
