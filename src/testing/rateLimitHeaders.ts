/**
 * The rate-limit headers the simulated API sends, computed from its hidden bucket (pure).
 *
 * A token bucket is reported as a quota of `burst` requests that is fully restored after
 * `msUntilFull`: `X-RateLimit-Limit: burst`, `X-RateLimit-Remaining: floor(tokens)`,
 * `X-RateLimit-Reset: seconds until full` (or the epoch second of that instant), and IETF
 * `RateLimit-Policy: "default";q=burst;w=round(burst/rate)` / `RateLimit: "default";r=…;t=…`.
 * Pacing at `remaining / reset` against these values converges on the bucket's refill rate with
 * half the bucket in reserve, so a header-aware client meets no 429. IETF fields are integers;
 * choose `burst` a whole multiple of `rate` for an exact `q / w`.
 *
 * @since 0.1.0
 */
import { type HiddenBucket, msUntilFull, refill } from "./hiddenBucket.js"

/**
 * Which header families to send. `xRateLimit: "delta"` sends the reset as seconds from now,
 * `"epoch"` as epoch seconds (GitHub style, with `X-RateLimit-Used` and `X-RateLimit-Resource`).
 *
 * @since 0.1.0
 * @category models
 */
export interface HeaderStyle {
  readonly xRateLimit?: false | "delta" | "epoch" | undefined
  readonly ietf?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category formatting
 */
export const rateLimitHeaders = (bucket: HiddenBucket, now: number, style: HeaderStyle): Record<string, string> => {
  const b = refill(bucket, now)
  const out: Record<string, string> = {}
  const remaining = Math.max(0, Math.floor(b.tokens + 1e-9))
  const resetS = Math.ceil(msUntilFull(b, now) / 1000 - 1e-9)
  if (style.xRateLimit === "delta" || style.xRateLimit === "epoch") {
    out["x-ratelimit-limit"] = String(Math.floor(b.burst))
    out["x-ratelimit-remaining"] = String(remaining)
    if (style.xRateLimit === "epoch") {
      out["x-ratelimit-reset"] = String(Math.ceil((now + msUntilFull(b, now)) / 1000))
      out["x-ratelimit-used"] = String(Math.max(0, Math.floor(b.burst) - remaining))
      out["x-ratelimit-resource"] = "core"
    } else {
      out["x-ratelimit-reset"] = String(resetS)
    }
  }
  if (style.ietf === true) {
    const w = Math.max(1, Math.round(b.burst / b.rate))
    out["ratelimit-policy"] = `"default";q=${Math.floor(b.burst)};w=${w}`
    out["ratelimit"] = `"default";r=${remaining};t=${resetS}`
  }
  return out
}
