/**
 * The age a response already has when it arrives (RFC 9111 §4.2.3), pure: the larger of the
 * apparent age (how far the server's `Date` lies behind the response time) and the `Age` header
 * plus the response delay (the time the request was in flight, during which the response may
 * have aged in caches on the way).
 *
 * @since 0.1.0
 * @internal
 */
import { header, type Headers } from "./directives.js"

const AGE = /^\s*\d+\s*$/

/**
 * The corrected initial age in milliseconds of a response sent at `requestTime` and received at
 * `responseTime` (epoch ms), whose `Date` parsed to `date`. A missing or invalid `Date` / `Age`
 * contributes nothing.
 *
 * @internal
 */
export const initialAge = (headers: Headers, date: number | undefined, requestTime: number, responseTime: number): number => {
  const apparentAge = date === undefined ? 0 : Math.max(0, responseTime - date)
  const ageRaw = header(headers, "age")
  // Values above 2^31 seconds are treated as 2^31 (RFC 9111 §1.2.2).
  const ageValue = ageRaw !== undefined && AGE.test(ageRaw) ? Math.min(Number(ageRaw), 2 ** 31) * 1000 : 0
  const responseDelay = Math.max(0, responseTime - requestTime)
  return Math.max(apparentAge, ageValue + responseDelay)
}
