/**
 * The composed client's retries in the simulation (`simulation.ts`, `Cell.composed`): `ResilientClient`'s
 * default `RetryPolicy` sends a 429 or 5xx again, through the limiter, after its Retry-After, or else
 * after a full-jitter backoff of 250 ms doubling, at most 3 times; its fiber waits meanwhile.
 */
import { Option } from "effect"
import { parseRetryAfter } from "../../src/retry/retryAfter.js"

const RETRY = { statuses: new Set([429, 500, 502, 503, 504]), maxAttempts: 4, initialMs: 250 } as const

/** How long a fiber waits before the next attempt of a request answered so (`attempt`: 1 the first), or `undefined` (none). */
export const retryDelay = (
  response: { readonly status: number; readonly headers: Record<string, string>; readonly attempt: number },
  now: number,
  rnd: () => number
): number | undefined => {
  if (!RETRY.statuses.has(response.status) || response.attempt >= RETRY.maxAttempts) return undefined
  const raw = response.headers["retry-after"]
  const ra = raw === undefined ? undefined : Option.getOrUndefined(parseRetryAfter(raw, now))
  return ra ?? rnd() * RETRY.initialMs * 2 ** (response.attempt - 1)
}
