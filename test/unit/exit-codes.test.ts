// The README's exit-code table is what scripts rely on: it must list exactly the codes src/errors.ts uses.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../src/errors";
import { ROOT } from "../helpers/harness";

test("README lists every exit code of src/errors.ts", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Exit codes"));
  const rows = [...section.matchAll(/^\| (\d+) \| `(\w+)` \|/gm)].map(([, code, kind]) => [kind, Number(code)]);
  expect(Object.fromEntries(rows)).toEqual({ ...ExitCode });
});
