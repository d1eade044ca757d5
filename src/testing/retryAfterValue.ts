/**
 * The `Retry-After` a rejection carries, in the forms servers send (pure).
 *
 * - `"seconds"`: whole seconds rounded up, at least 1 (RFC 9110 `delay-seconds`; what most servers send).
 * - `"precise"`: fractional seconds to the millisecond (`"0.250"`), as some APIs do.
 * - `"http-date"`: an IMF-fixdate, the instant rounded up to the whole second (its resolution): a
 *   client on the server's clock never comes back early, and waits at most a second more than needed,
 *   as with `"seconds"`. It was a second later still: each wall then paused 1-2 s where whole seconds
 *   paused 1 (8 fibers, a 0.2 s bucket, docs understated: the same walls, 1.65 s of pause each, 85.5%
 *   of the limit for 89.6%), a server padding for clients whose clocks run ahead, not a reading of the
 *   time until a request is admitted.
 * - `"none"`: no header (nginx `limit_req`, GitHub's primary limit).
 *
 * @since 0.1.0
 */
import { formatHttpDate } from "../retry/retryAfter.js"

/**
 * @since 0.1.0
 * @category models
 */
export type RetryAfterStyle = "seconds" | "precise" | "http-date" | "none"

/**
 * Headers to add to a rejection that can be retried in `waitMs`, at `now` (epoch ms).
 *
 * @since 0.1.0
 * @category formatting
 */
export const retryAfterHeader = (style: RetryAfterStyle, waitMs: number, now: number): Record<string, string> => {
  switch (style) {
    case "seconds":
      return { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000 - 1e-9))) }
    case "precise":
      return { "retry-after": (Math.max(1, Math.ceil(waitMs - 1e-9)) / 1000).toFixed(3) }
    case "http-date":
      return { "retry-after": formatHttpDate(Math.ceil((now + waitMs) / 1000) * 1000) }
    case "none":
      return {}
  }
}
