// One bucket of an S3-compatible store, reached with signed HTTP requests (docs/s3.md). Every request has an
// idle timeout and goes through the retry policy; 4xx answers other than 408/429 fail at once with the store's
// own message.
import { HbError } from "../errors";
import { type RetryPolicy, TransientError, withRetries } from "./retry";
import { type Credentials, EMPTY_SHA256, canonicalQuery, sha256Hex, signRequest, uriEncode } from "./sigv4";
import { elements, text } from "./xml";

export interface StoreConfig {
  endpoint: string;
  bucket: string;
  credentials: Credentials;
  /** A request is cut when nothing has moved for this long (plus a second per MiB it sends). */
  idleTimeoutMs: number;
  retry: RetryPolicy;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ListedUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

interface Request {
  method: "GET" | "PUT" | "POST" | "HEAD" | "DELETE";
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** The body's SHA-256 in hex, when the caller has it already. */
  sha256?: string;
  /** Answers other than 2xx that are results, not errors (404 for a HEAD). */
  accept?: number[];
}

interface Response {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** A request the store refused for good (4xx): retrying would not change its mind. */
export class StoreError extends HbError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(status === 403 || status === 401 ? "privileges" : "destination", message);
  }
}

const RETRIED_STATUS = (status: number) => status >= 500 || status === 429 || status === 408;

export class Store {
  constructor(readonly config: StoreConfig) {}

  private async once(req: Request, what: string): Promise<Response> {
    const base = new URL(this.config.endpoint);
    const path = `${base.pathname.replace(/\/$/, "")}/${uriEncode(this.config.bucket)}${req.key === undefined ? "" : `/${uriEncode(req.key, true)}`}`;
    const query = canonicalQuery(req.query ?? {});
    const body = req.body ?? new Uint8Array(0);
    const headers = signRequest(this.config.credentials, {
      method: req.method,
      host: base.host,
      path,
      query,
      headers: req.headers ?? {},
      payloadSha256: req.sha256 ?? (body.byteLength ? sha256Hex(body) : EMPTY_SHA256),
    });
    const abort = new AbortController();
    let timer: Timer | undefined;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), ms);
    };
    arm(this.config.idleTimeoutMs + (body.byteLength / 1048576) * 1000);
    try {
      const res = await fetch(`${base.origin}${path}${query ? `?${query}` : ""}`, {
        method: req.method,
        headers,
        body: req.method === "PUT" || req.method === "POST" ? body : undefined,
        signal: abort.signal,
        // biome-ignore lint: Bun's fetch option
        decompress: false,
      } as RequestInit);
      arm(this.config.idleTimeoutMs);
      const answer = { status: res.status, headers: res.headers, body: await this.readBody(res, () => arm(this.config.idleTimeoutMs)) };
      if (res.ok || req.accept?.includes(res.status)) return answer;
      const xml = answer.body.toString();
      const code = text(xml, "Code") ?? `HTTP ${res.status}`;
      const message = `${what}: ${code}${text(xml, "Message") ? `: ${text(xml, "Message")}` : ""} (HTTP ${res.status})`;
      if (RETRIED_STATUS(res.status)) throw new TransientError(message);
      throw new StoreError(res.status, code, message);
    } catch (error) {
      if (error instanceof TransientError || error instanceof StoreError) throw error;
      if (abort.signal.aborted) throw new TransientError(`${what}: no progress for ${this.config.idleTimeoutMs / 1000} s`);
      throw new TransientError(`${what}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The whole body; into one buffer of the announced length when there is one (a part's range: no copies). */
  private async readBody(res: globalThis.Response, progress: () => void): Promise<Buffer> {
    const length = Number(res.headers.get("content-length") ?? Number.NaN);
    if (!res.body) return Buffer.alloc(0);
    if (!Number.isSafeInteger(length)) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of res.body) {
        progress();
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    }
    const into = Buffer.allocUnsafe(length);
    let at = 0;
    for await (const chunk of res.body) {
      progress();
      if (at + chunk.length > length) throw new TransientError(`the answer is longer than its Content-Length (${length})`);
      into.set(chunk, at);
      at += chunk.length;
    }
    if (at !== length) throw new TransientError(`the answer was cut short (${at} of ${length} bytes)`);
    return into;
  }

  private request(req: Request, what: string): Promise<Response> {
    return withRetries(this.config.retry, () => this.once(req, what));
  }

  private name = (key: string) => `s3://${this.config.bucket}/${key}`;

  async putObject(key: string, body: Uint8Array, sha256?: string): Promise<void> {
    await this.request({ method: "PUT", key, body, sha256 }, `PUT ${this.name(key)}`);
  }

  /** The object's bytes, or a range of them [start, end). */
  async getObject(key: string, range?: [number, number]): Promise<Uint8Array> {
    const headers = range ? { range: `bytes=${range[0]}-${range[1] - 1}` } : undefined;
    return (await this.request({ method: "GET", key, headers }, `GET ${this.name(key)}`)).body;
  }

  /** The object's bytes, or undefined when there is no such object. */
  async getIfExists(key: string): Promise<Uint8Array | undefined> {
    const res = await this.request({ method: "GET", key, accept: [404] }, `GET ${this.name(key)}`);
    return res.status === 404 ? undefined : res.body;
  }

  async deleteObject(key: string): Promise<void> {
    await this.request({ method: "DELETE", key, accept: [404] }, `DELETE ${this.name(key)}`);
  }

  /** Every object under `prefix`, page by page; with a delimiter, the common prefixes too. */
  async list(prefix: string, delimiter?: string): Promise<{ objects: ListedObject[]; prefixes: string[] }> {
    const objects: ListedObject[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { "list-type": "2", prefix, ...(delimiter ? { delimiter } : {}), ...(token ? { "continuation-token": token } : {}) };
      const xml = (await this.request({ method: "GET", query }, `LIST ${this.name(prefix)}`)).body.toString();
      for (const c of elements(xml, "Contents"))
        objects.push({ key: text(c, "Key")!, size: Number(text(c, "Size")), lastModified: new Date(text(c, "LastModified")!) });
      for (const p of elements(xml, "CommonPrefixes")) prefixes.push(text(p, "Prefix")!);
      token = text(xml, "IsTruncated") === "true" ? text(xml, "NextContinuationToken") : undefined;
    } while (token);
    return { objects, prefixes };
  }

  async createMultipart(key: string): Promise<string> {
    const res = await this.request({ method: "POST", key, query: { uploads: "" } }, `start multipart ${this.name(key)}`);
    const id = text(res.body.toString(), "UploadId");
    if (!id) throw new TransientError(`start multipart ${this.name(key)}: no UploadId in the answer`);
    return id;
  }

  /** Uploads one part; returns its ETag. */
  async uploadPart(key: string, uploadId: string, part: number, body: Uint8Array, sha256?: string): Promise<string> {
    const res = await this.request({ method: "PUT", key, query: { partNumber: String(part), uploadId }, body, sha256 }, `PUT part ${part} of ${this.name(key)}`);
    const etag = res.headers.get("etag");
    if (!etag) throw new TransientError(`PUT part ${part} of ${this.name(key)}: no ETag in the answer`);
    return etag;
  }

  async completeMultipart(key: string, uploadId: string, etags: string[]): Promise<void> {
    const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</ETag></Part>`);
    const body = new TextEncoder().encode(`<CompleteMultipartUpload>${parts.join("")}</CompleteMultipartUpload>`);
    const res = await this.request({ method: "POST", key, query: { uploadId }, body }, `complete multipart ${this.name(key)}`);
    // S3 may answer 200 with an error in the body when completing fails late.
    const xml = res.body.toString();
    if (/<Error>/.test(xml)) throw new TransientError(`complete multipart ${this.name(key)}: ${text(xml, "Code")}: ${text(xml, "Message")}`);
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.request({ method: "DELETE", key, query: { uploadId }, accept: [404] }, `abort multipart ${this.name(key)}`);
  }

  /** Multipart uploads started under `prefix` and neither completed nor aborted. */
  async listMultipart(prefix: string): Promise<ListedUpload[]> {
    const uploads: ListedUpload[] = [];
    let markers: Record<string, string> = {};
    for (;;) {
      const xml = (await this.request({ method: "GET", query: { uploads: "", prefix, ...markers } }, `LIST uploads ${this.name(prefix)}`)).body.toString();
      for (const u of elements(xml, "Upload"))
        uploads.push({ key: text(u, "Key")!, uploadId: text(u, "UploadId")!, initiated: new Date(text(u, "Initiated")!) });
      if (text(xml, "IsTruncated") !== "true") return uploads;
      markers = { "key-marker": text(xml, "NextKeyMarker") ?? "", "upload-id-marker": text(xml, "NextUploadIdMarker") ?? "" };
    }
  }
}
