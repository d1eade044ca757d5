/**
 * The composed client's retries in the simulation (`simulation.ts`, `Cell.composed`): `ResilientClient`'s
 * default `RetryPolicy` sends a retried status again, through the limiter, after its Retry-After, or else
 * after the policy's backoff; its fiber waits meanwhile.
 */
import { Duration, Option } from "effect"
import { backoffDelay } from "../../src/retry/backoff.js"
import { parseRetryAfter } from "../../src/retry/retryAfter.js"
import { defaults } from "../../src/retry/RetryPolicy.js"

const backoff = {
  initial: Duration.toMillis(defaults.initialDelay),
  max: Duration.toMillis(defaults.maxDelay),
  multiplier: defaults.multiplier,
  jitter: defaults.jitter,
  jitterFraction: defaults.jitterFraction
}

/** How long a fiber waits before the next attempt of a request answered so (`attempt`: 1 the first), or `undefined` (none). */
export const retryDelay = (
  response: { readonly status: number; readonly headers: Record<string, string>; readonly attempt: number },
  now: number,
  rnd: () => number
): number | undefined => {
  if (!defaults.retryOnStatus.has(response.status) || response.attempt > defaults.maxRetries) return undefined
  const raw = response.headers["retry-after"]
  const ra = raw === undefined ? undefined : Option.getOrUndefined(parseRetryAfter(raw, now))
  return ra ?? backoffDelay(backoff, response.attempt, rnd())
}
