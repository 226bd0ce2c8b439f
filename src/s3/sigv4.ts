// AWS Signature Version 4 for one request (docs/s3.md "Why hb signs its own requests"): the canonical
// request, the string to sign and the derived key, as the S3 API reference spells them.
import { createHash, createHmac } from "node:crypto";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
}

const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
export const sha256Hex = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
export const EMPTY_SHA256 = sha256Hex("");

/** RFC 3986 encoding, as SigV4 wants it (slashes kept in paths). */
export function uriEncode(text: string, keepSlash = false): string {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, "/") : encoded;
}

/** The query string in SigV4's canonical order; the same string is sent. */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((k) => `${uriEncode(k)}=${uriEncode(query[k]!)}`)
    .join("&");
}

/**
 * The headers to add to a request so that the store accepts it: host, x-amz-date, x-amz-content-sha256,
 * the session token if any, and Authorization. `path` is already URI-encoded.
 */
export function signRequest(
  creds: Credentials,
  req: { method: string; host: string; path: string; query: string; headers: Record<string, string>; payloadSha256: string },
  now = new Date(),
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v.trim()])),
    host: req.host,
    "x-amz-date": amzDate,
    "x-amz-content-sha256": req.payloadSha256,
  };
  if (creds.sessionToken) headers["x-amz-security-token"] = creds.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = [req.method, req.path, req.query, ...names.map((n) => `${n}:${headers[n]}`), "", names.join(";"), req.payloadSha256].join("\n");
  const scope = `${day}/${creds.region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), creds.region), "s3"), "aws4_request");
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return headers;
}
