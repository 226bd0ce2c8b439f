// When a request to the store is tried again, and after how long (docs/s3.md "Retries"): exponential backoff
// with full jitter, a bounded number of attempts and a bounded total time.
import { HbError } from "../errors";
import { log } from "../log";

export interface RetryPolicy {
  /** Tries per request, the first included. */
  attempts: number;
  /** No new try starts this long after the first one. */
  totalMs: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, totalMs: 300_000, baseMs: 200, capMs: 20_000 };

/** A failure worth another try: the store or the network may recover from it. */
export class TransientError extends Error {}

/** Full jitter: anywhere from 0 to the exponential ceiling, so that many clients do not retry in step. */
const backoffMs = (policy: RetryPolicy, attempt: number) => Math.random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt);

/** Runs `once` until it succeeds, throws a non-transient error, or the policy runs out (then exit class io). */
export async function withRetries<T>(policy: RetryPolicy, once: () => Promise<T>): Promise<T> {
  const start = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await once();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      const wait = backoffMs(policy, attempt);
      if (attempt >= policy.attempts || Date.now() + wait - start > policy.totalMs) {
        throw new HbError("io", `${error.message} (gave up after ${attempt} tries in ${Math.round((Date.now() - start) / 1000)} s)`);
      }
      log.warn(`${error.message}; try ${attempt + 1} of ${policy.attempts} in ${Math.round(wait)} ms`);
      await Bun.sleep(wait);
    }
  }
}
