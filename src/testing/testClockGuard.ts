/**
 * Why the simulated API refuses `TestClock` unless told: a client's waits (Retry-After, limiter, retry
 * backoff) would only pass with `TestClock.adjust`, so a test that does not move the clock hangs at the
 * first 429 (vitest's "Test timed out in 5000ms", nothing more).
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category errors
 */
export const UNDER_TEST_CLOCK = "it runs under TestClock (it.effect), where a client's Retry-After, limiter and " +
  "retry waits only pass with TestClock.adjust: the test would hang at the first 429. Run the test with " +
  "it.live (real time), or pass `virtualTime: true` if the test moves the clock itself."

/**
 * `TestClock`'s implementation class is not exported: know it by the methods only it has.
 *
 * @since 0.1.0
 * @category guards
 */
export const isTestClock = (clock: object): boolean =>
  "adjust" in clock && "sleeps" in clock && typeof clock.adjust === "function"
