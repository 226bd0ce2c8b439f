#!/usr/bin/env bun
// hb's entry point. The exit code is set, not forced with process.exit(): Bun would drop log lines still
// buffered for stderr. A command that leaves a handle open (a connection, a timer) is a bug to fix there.
import { main } from "./cli/main";
import { hb } from "./commands";

process.exitCode = await main(hb, process.argv.slice(2));
