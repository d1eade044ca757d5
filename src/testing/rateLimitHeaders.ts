/**
 * The rate-limit headers the simulated API sends, computed from its limiter's quota view (pure).
 *
 * Every time-to-reset is rounded UP to whole seconds, as express-rate-limit and @fastify/rate-limit
 * do (`Math.ceil`), and never below 0.
 *
 * - `xRateLimit: "delta"`: `X-RateLimit-Limit`, `-Remaining`, `-Reset` in seconds from now
 *   (@fastify/rate-limit).
 * - `xRateLimit: "epoch"`: the reset as the epoch second it happens at (express-rate-limit's legacy
 *   headers, GitHub), with GitHub's `X-RateLimit-Used` and `X-RateLimit-Resource`.
 * - `ietf`: the IETF draft fields, in the form of a given draft:
 *   - `"structured"` (default; draft 8 and later): `RateLimit-Policy: "<name>";q=<limit>;w=<window>`
 *     and `RateLimit: "<name>";r=<remaining>;t=<reset>`, optionally with `qu="<unit>"` (policy) and
 *     the partition key `pk=:<base64>:` (a structured-field byte sequence, on both fields);
 *   - `"draft-7"`: `RateLimit-Policy: <limit>;w=<window>` and `RateLimit: limit=…, remaining=…, reset=…`;
 *   - `"draft-6"`: `RateLimit-Policy: <limit>;w=<window>` and `RateLimit-Limit`, `-Remaining`, `-Reset`.
 *
 * A token bucket reports a quota of `burst` restored when full again, its window the time the rate takes
 * to fill it: pacing at `remaining / reset` converges on the refill rate. IETF fields are integers;
 * choose `burst` a whole multiple of `rate` for an exact `q / w`.
 *
 * @since 0.1.0
 */
import type { QuotaView } from "./quota.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface IetfStyle {
  /** Which draft's field layout. Default `"structured"`. */
  readonly draft?: "structured" | "draft-7" | "draft-6" | undefined
  /** Policy name of the structured form. Default `"default"`. */
  readonly name?: string | undefined
  /** Partition key, sent as `pk=:<base64 of its UTF-8 bytes>:` (structured form only). */
  readonly partitionKey?: string | undefined
  /** Quota unit, sent as `qu="<unit>"` (structured form only); the server still counts requests. */
  readonly quotaUnit?: string | undefined
}

/**
 * Which header families to send; `ietf: true` is the default structured form.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeaderStyle {
  readonly xRateLimit?: false | "delta" | "epoch" | undefined
  readonly ietf?: boolean | IetfStyle | undefined
}

const ietfHeaders = (v: QuotaView, resetS: number, style: IetfStyle): Record<string, string> => {
  const draft = style.draft ?? "structured"
  if (draft === "draft-6") {
    return {
      "ratelimit-policy": `${v.limit};w=${v.windowS}`,
      "ratelimit-limit": String(v.limit),
      "ratelimit-remaining": String(v.remaining),
      "ratelimit-reset": String(resetS)
    }
  }
  if (draft === "draft-7") {
    return {
      "ratelimit-policy": `${v.limit};w=${v.windowS}`,
      "ratelimit": `limit=${v.limit}, remaining=${v.remaining}, reset=${resetS}`
    }
  }
  const name = JSON.stringify(style.name ?? "default")
  const pk = style.partitionKey === undefined ? "" : `;pk=:${Buffer.from(style.partitionKey, "utf8").toString("base64")}:`
  const qu = style.quotaUnit === undefined ? "" : `;qu=${JSON.stringify(style.quotaUnit)}`
  return {
    "ratelimit-policy": `${name};q=${v.limit};w=${v.windowS}${qu}${pk}`,
    "ratelimit": `${name};r=${v.remaining};t=${resetS}${pk}`
  }
}

/**
 * @since 0.1.0
 * @category formatting
 */
export const rateLimitHeaders = (view: QuotaView, now: number, style: HeaderStyle): Record<string, string> => {
  const out: Record<string, string> = {}
  const resetS = Math.max(0, Math.ceil(view.resetMs / 1000 - 1e-9))
  if (style.xRateLimit === "delta" || style.xRateLimit === "epoch") {
    out["x-ratelimit-limit"] = String(view.limit)
    out["x-ratelimit-remaining"] = String(view.remaining)
    if (style.xRateLimit === "epoch") {
      out["x-ratelimit-reset"] = String(Math.ceil((now + view.resetMs) / 1000))
      out["x-ratelimit-used"] = String(Math.max(0, view.limit - view.remaining))
      out["x-ratelimit-resource"] = "core"
    } else {
      out["x-ratelimit-reset"] = String(resetS)
    }
  }
  if (style.ietf !== undefined && style.ietf !== false) {
    Object.assign(out, ietfHeaders(view, resetS, style.ietf === true ? {} : style.ietf))
  }
  return out
}
