// hb's commands, each loaded only when it runs (or when --help lists it).
import { defineCommand } from "citty";
import { hbMeta } from "../cli/usage";
import { VERSION } from "../version";

export const hb = defineCommand({
  meta: hbMeta({
    name: "hb",
    version: VERSION,
    description: "Hot backup for MySQL-family servers",
    example: "hb backup --socket /run/mysqld/mysqld.sock /backups/today && hb prepare /backups/today",
  }),
  subCommands: {
    backup: () => import("./backup").then((m) => m.default),
    extract: () => import("./extract").then((m) => m.default),
    prepare: () => import("./prepare").then((m) => m.default),
    restore: () => import("./restore").then((m) => m.default),
    verify: () => import("./verify").then((m) => m.default),
    list: () => import("./list").then((m) => m.default),
    shim: () => import("./shim").then((m) => m.default),
  },
});
