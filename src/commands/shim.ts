// hb shim: the library the server preloads, as a file.
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";

export default defineCommand({
  meta: hbMeta({
    name: "shim",
    description: "Manage the shim library that the server preloads",
    example: "hb shim path",
  }),
  subCommands: {
    path: () => import("./shim-path").then((m) => m.default),
    status: () => import("./shim-status").then((m) => m.default),
    install: () => import("./shim-install").then((m) => m.default),
  },
});
