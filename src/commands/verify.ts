// hb verify: check a backup against what backup and prepare recorded.
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";
import { applyOutputArgs, outputArgs, parseRateArg, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "verify",
    description: "Check every file of a backup against the hashes recorded when it was prepared (exit 11 on a difference)",
    example: "hb verify /backups/today",
  }),
  args: {
    dest: { type: "positional", required: true, description: "A backup directory" },
    throttle: { type: "string", valueHint: "rate", description: "Read at most this many bytes per second" },
    server: { type: "boolean", description: "Also run CHECK TABLE … EXTENDED on every table, in a throwaway server on a scratch copy" },
    ...outputArgs,
  },
  async run({ args }) {
    applyOutputArgs({ quiet: args.quiet === true });
    const { verifyBackup } = await import("../verify");
    const result = await verifyBackup(args.dest, {
      throttleBytesPerSec: args.throttle === undefined ? 0 : parseRateArg(args.throttle, "--throttle"),
      server: args.server === true,
    });
    if (args.json) printJson(result);
  },
});
