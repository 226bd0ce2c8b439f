// hb shim install: the shim at a stable versioned path plus a systemd drop-in that preloads it.
import { defineCommand } from "citty";
import { writeOut } from "../cli/io";
import { hbMeta } from "../cli/usage";
import { applyOutputArgs, outputArgs, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "install",
    description: "Install the shim and a systemd drop-in that preloads it into the server (one restart needed)",
    example: "hb shim install --unit mariadb.service",
  }),
  args: {
    unit: { type: "string", valueHint: "unit", description: "The server's systemd unit", default: "mariadb.service" },
    print: { type: "boolean", description: "Only print what would be written" },
    "systemd-dir": { type: "string", valueHint: "dir", description: "Where unit drop-ins go", default: "/etc/systemd/system" },
    dir: { type: "string", valueHint: "dir", description: "Where the shim goes (default /usr/local/lib/hb as root)" },
    ...outputArgs,
  },
  async run({ args }) {
    applyOutputArgs({ quiet: args.quiet === true });
    const { installForSystemd } = await import("../shim/install");
    const r = installForSystemd({ unit: args.unit, systemdDir: args["systemd-dir"], shimDir: args.dir, print: args.print === true });
    if (args.json) return printJson(r);
    writeOut(
      args.print
        ? `# ${r.dropIn}\n${r.content}\n# then: ${r.next}\n`
        : `shim: ${r.shim}\ndrop-in: ${r.dropIn}${r.changed ? "" : " (already there)"}\nnext: ${r.next}\n`,
    );
  },
});
