// A fault-injecting HTTP proxy in front of a store (test/helpers/swift.ts): it passes requests through, or
// answers them with a fault — a reset connection, a 500 or 503, a slow answer, or a connection that stalls
// (takes the request and never answers). Faults are queued with how many requests they hit and which.
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault = "reset" | "500" | "503" | "stall" | { slowMs: number };

export interface FaultRule {
  fault: Fault;
  /** Requests this rule hits before it is used up (default 1; Infinity until cleared). */
  times?: number;
  /** Only requests this matches ("PUT /bucket/key?partNumber=…"); default every request. */
  match?: RegExp;
}

export interface FaultProxy extends AsyncDisposable {
  endpoint: string;
  /** Adds a rule; the first unused rule that matches a request decides its fate. */
  inject(rule: FaultRule): void;
  /** Drops every rule left: requests pass again. */
  clear(): void;
  /** Requests seen, as "METHOD /path?query", and how many of them got a fault. */
  seen: string[];
  faulted: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const rules: (FaultRule & { left: number })[] = [];
  const stalled = new Set<ServerResponse>();
  const proxy = {
    seen: [] as string[],
    faulted: 0,
  };

  const pass = async (req: IncomingMessage, res: ServerResponse, body: Buffer, slowMs = 0) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== "connection" && k !== "transfer-encoding")) as Record<string, string>;
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      // biome-ignore lint: Bun's fetch option
      decompress: false,
    } as RequestInit);
    const out = Buffer.from(await answer.arrayBuffer());
    if (slowMs) await Bun.sleep(slowMs);
    const copied: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (k !== "content-encoding" && k !== "transfer-encoding" && k !== "connection") copied[k] = v;
    });
    res.writeHead(answer.status, { ...copied, "content-length": String(out.length) });
    res.end(out);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const line = `${req.method} ${req.url}`;
      proxy.seen.push(line);
      const rule = rules.find((r) => r.left > 0 && (!r.match || r.match.test(line)));
      try {
        if (!rule) return await pass(req, res, Buffer.concat(chunks));
        rule.left--;
        proxy.faulted++;
        const fault = rule.fault;
        if (fault === "reset") req.socket.resetAndDestroy();
        else if (fault === "500" || fault === "503") {
          const xml = `<?xml version="1.0"?><Error><Code>${fault === "500" ? "InternalError" : "ServiceUnavailable"}</Code><Message>injected by the fault proxy</Message></Error>`;
          res.writeHead(Number(fault), { "content-type": "application/xml", "content-length": String(xml.length) });
          res.end(xml);
        } else if (fault === "stall") stalled.add(res);
        else await pass(req, res, Buffer.concat(chunks), fault.slowMs);
      } catch (error) {
        res.destroy(error as Error);
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    for (const res of stalled) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    inject: (rule: FaultRule) => void rules.push({ ...rule, left: rule.times ?? 1 }),
    clear: () => void rules.splice(0),
    close,
    [Symbol.asyncDispose]: close,
  });
}
