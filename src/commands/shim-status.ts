// hb shim status: does the server (or --pid) run with the shim, which protocol, is a capture running.
import { defineCommand } from "citty";
import { writeOut } from "../cli/io";
import { hbMeta } from "../cli/usage";
import { HbError } from "../errors";
import { applyOutputArgs, connectionArgs, connectionFlags, outputArgs, parseIntegerArg, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "status",
    description: "Whether a server runs with the shim, its protocol, capture state and counters",
    example: "hb shim status --socket /run/mysqld/mysqld.sock",
  }),
  args: {
    pid: { type: "string", valueHint: "pid", description: "A process id instead of asking a server over SQL" },
    ...connectionArgs,
    ...outputArgs,
  },
  async run({ args }) {
    applyOutputArgs({ quiet: args.quiet === true });
    let pid: number;
    if (args.pid !== undefined) pid = parseIntegerArg(args.pid, "--pid", 1, 2 ** 22);
    else {
      const { connect } = await import("../connect/client");
      const { resolveConnection } = await import("../connect/options");
      const { discover } = await import("../discover/server");
      const db = await connect(resolveConnection(connectionFlags(args)));
      try {
        pid = (await discover(db)).pid;
      } finally {
        await db.close();
      }
    }
    const { shimStatus } = await import("../shim/status");
    const s = shimStatus(pid);
    if (args.json) printJson(s);
    else if (s.shim)
      writeOut(
        `pid ${pid}: shim loaded, protocol ${s.protocol}${s.compatible ? "" : " (INCOMPATIBLE with this hb)"}; capture ${s.capture!.state}` +
          `${s.capture!.error ? ` (${s.capture!.errorText})` : ""}; ${s.capture!.records} records, ${s.capture!.dataBytes} bytes in the last capture\n`,
      );
    if (!s.shim) throw new HbError("shim", `pid ${pid}: ${s.problem}`);
    if (!s.compatible) throw new HbError("shim", `pid ${pid}: the shim speaks protocol ${s.protocol}, this hb speaks another`);
  },
});
