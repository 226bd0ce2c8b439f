// hb verify: check a backup against what backup and prepare recorded.
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";
import { refuseS3Args, s3ReadArgs } from "../s3/args";
import { isS3Url } from "../s3/layout";
import { applyOutputArgs, outputArgs, parseRateArg, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "verify",
    description: "Check every file of a backup against the hashes recorded when it was prepared (exit 11 on a difference)",
    example: "hb verify /backups/today",
  }),
  args: {
    dest: { type: "positional", required: true, description: "A backup directory, or s3://BUCKET/PREFIX/NAME (every object and chunk checked)" },
    throttle: { type: "string", valueHint: "rate", description: "Read at most this many bytes per second" },
    server: { type: "boolean", description: "Also run CHECK TABLE … EXTENDED on every table, in a throwaway server on a scratch copy" },
    ...s3ReadArgs,
    ...outputArgs,
  },
  async run({ args }) {
    applyOutputArgs({ quiet: args.quiet === true });
    if (isS3Url(args.dest)) {
      const { s3Verify } = await import("../s3/cli");
      const result = await s3Verify(args.dest, args);
      if (args.json) printJson(result);
      return;
    }
    refuseS3Args(args, "a directory", s3ReadArgs);
    const { verifyBackup } = await import("../verify");
    const result = await verifyBackup(args.dest, {
      throttleBytesPerSec: args.throttle === undefined ? 0 : parseRateArg(args.throttle, "--throttle"),
      server: args.server === true,
    });
    if (args.json) printJson(result);
  },
});
