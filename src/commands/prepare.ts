// hb prepare: turn a finished backup into a datadir (replay the journal over the copy).
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";
import { applyOutputArgs, outputArgs, printJson } from "./_shared";

export default defineCommand({
  meta: hbMeta({
    name: "prepare",
    description: "Make the backup in DEST an exact, usable copy by replaying its journal",
    example: "hb prepare /backups/today",
  }),
  args: {
    dest: { type: "positional", required: true, description: "Directory written by hb backup" },
    recover: {
      type: "boolean",
      description: "Run the server's crash recovery on DEST: --recover requires it, --no-recover skips it (default: when a matching mariadbd is here)",
    },
    "defaults-extra-file": {
      type: "string",
      valueHint: "file",
      description: "Server options for crash recovery over backup-my.cnf's: this host's key file, plugin_dir, or a secret left out of the backup",
    },
    "keep-journal": { type: "boolean", description: "Keep the journal after prepare, as hb_journal.bin (by default it is removed)" },
    ...outputArgs,
  },
  async run({ args }) {
    const options = { json: args.json === true, quiet: args.quiet === true };
    applyOutputArgs(options);
    const { prepareWhole } = await import("../prepare/whole");
    const result = await prepareWhole(args.dest, {
      ...options,
      recover: args.recover === true ? "always" : args.recover === false ? "never" : "auto",
      defaultsExtraFile: args["defaults-extra-file"],
      keepJournal: args["keep-journal"] === true,
    });
    const { unchanged: _, ...shown } = result;
    if (options.json) printJson(shown);
  },
});
