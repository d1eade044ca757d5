/**
 * The breaker's default trip rules, shared by `CircuitBreaker.make` and the config's `breaker` section.
 *
 * A breaker must tell an outage from noise. A short run of consecutive failures does not: at 20%
 * random 5xx, 5 in a row happen about once per 4,000 calls, and each trip stops all traffic for the
 * recovery timeout. So the defaults judge a failure *rate* over a window large enough that noise
 * cannot reach it, and keep a consecutive rule only long enough to be reached by an outage alone:
 *
 * - 20 consecutive failures: a total outage opens the circuit within 20 calls, whatever came before;
 *   at 20% noise a run that long has odds of 0.2^20 ≈ 1e-14 per call.
 * - half of the last 100 calls failing, judged from 50 calls on: a partial outage (most calls
 *   failing, with successes in between) opens it within about 100 calls; at 20% noise 50 of 100
 *   has odds of about 2e-11, and 25 of the first 50 about 2e-6. At 30% noise it still trips
 *   rarely (about once per 400,000 calls, against once per 600 with 5 consecutive).
 *
 * A window of 50 judged from 20 calls is not enough: at 20% noise it trips in about 1 run of
 * 100,000 calls out of 25 (10 failures among the first 20 alone: 0.26%).
 *
 * @since 0.1.0
 */

/**
 * Consecutive failures that open the circuit.
 *
 * @since 0.1.0
 */
export const FAILURE_THRESHOLD = 20

/**
 * Fraction of the window's calls that, failed, opens the circuit.
 *
 * @since 0.1.0
 */
export const FAILURE_RATE = 0.5

/**
 * Calls in the sliding window.
 *
 * @since 0.1.0
 */
export const WINDOW_SIZE = 100

/**
 * Calls the window must hold before the rate is judged.
 *
 * @since 0.1.0
 */
export const MINIMUM_CALLS = 50
