// Diagnostic: a filled benchmark server that stays up (prints its socket) until killed, for manual runs.
import { filledServer } from "./lib/server";
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 250_000) };
const server = await filledServer(size);
console.log(`socket ${server.socket} pid ${server.pid} datadir ${server.datadir}`);
process.on("SIGTERM", async () => {
  await server[Symbol.asyncDispose]();
  process.exit(0);
});
await new Promise(() => {});
