// hb shim path: write the embedded shim to a stable path (once per content) and print that path, for
// LD_PRELOAD in the server's unit file.
import { defineCommand } from "citty";
import { writeOut } from "../cli/io";
import { hbMeta } from "../cli/usage";

export default defineCommand({
  meta: hbMeta({
    name: "path",
    description: "Install the shim where the server can preload it and print its path",
    example: 'LD_PRELOAD="$(hb shim path)" mariadbd ...',
  }),
  args: {
    dir: {
      type: "string",
      valueHint: "dir",
      description: "Directory to install into (default: $HB_SHIM_DIR, /usr/local/lib/hb as root, else ~/.cache/hb)",
    },
  },
  async run({ args }) {
    const { installShim } = await import("../shim/embedded");
    writeOut(`${installShim(args.dir)}\n`);
  },
});
