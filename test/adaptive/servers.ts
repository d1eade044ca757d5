/**
 * Minimal server families for the simulation matrix (temporary: replaced by the pure models of
 * `src/testing/` once they land). Each is a mutable wrapper around a pure decision: `take` at the
 * instant the request reaches the server, `view` for the headers, `setRate` for a limit change.
 */
export interface Decision {
  readonly admitted: boolean
  /** Milliseconds until a request would be admitted (0 when this one was). */
  readonly retryAfterMs: number
}

export interface QuotaView {
  readonly limit: number
  readonly remaining: number
  readonly resetMs: number
  readonly windowS: number
}

export type Family =
  | { readonly _tag: "bucket"; readonly burstS: number }
  | { readonly _tag: "fixed"; readonly windowMs: number }
  | { readonly _tag: "sliding"; readonly windowMs: number }
  /** nginx limit_req: leaky bucket with a `nodelay` burst of `burst` requests. */
  | { readonly _tag: "gcra"; readonly burst: number }

export interface ServerLimiter {
  readonly take: (now: number) => Decision
  readonly view: (now: number) => QuotaView
  readonly setRate: (rate: number, now: number) => void
}

const bucket = (rate0: number, burstOf: (rate: number) => number, t0: number): ServerLimiter => {
  let rate = rate0, cap = burstOf(rate0), tokens = cap, at = t0
  const refill = (now: number) => {
    if (now > at) tokens = Math.min(cap, tokens + (rate * (now - at)) / 1000), at = now
  }
  return {
    take: (now) => {
      refill(now)
      if (tokens >= 1 - 1e-9) return (tokens -= 1), { admitted: true, retryAfterMs: 0 }
      return { admitted: false, retryAfterMs: ((1 - tokens) / rate) * 1000 }
    },
    view: (now) => {
      refill(now)
      const windowS = Math.max(1, Math.round(cap / rate))
      return { limit: Math.floor(cap), remaining: Math.floor(tokens + 1e-9), resetMs: ((cap - tokens) / rate) * 1000, windowS }
    },
    setRate: (r, now) => {
      refill(now)
      rate = r, cap = burstOf(r), tokens = Math.min(tokens, cap)
    }
  }
}

const fixed = (rate: number, windowMs: number, t0: number): ServerLimiter => {
  let quota = Math.round((rate * windowMs) / 1000), start = t0, count = 0
  const roll = (now: number) => {
    if (now >= start + windowMs) start += Math.floor((now - start) / windowMs) * windowMs, count = 0
  }
  return {
    take: (now) => {
      roll(now)
      if (count < quota) return count++, { admitted: true, retryAfterMs: 0 }
      return { admitted: false, retryAfterMs: start + windowMs - now }
    },
    view: (now) => (roll(now), {
      limit: quota,
      remaining: Math.max(0, quota - count),
      resetMs: start + windowMs - now,
      windowS: Math.ceil(windowMs / 1000)
    }),
    setRate: (r) => void (quota = Math.round((r * windowMs) / 1000))
  }
}

const sliding = (rate: number, windowMs: number): ServerLimiter => {
  let quota = Math.round((rate * windowMs) / 1000)
  let log: Array<number> = []
  const prune = (now: number) => {
    let i = 0
    while (i < log.length && log[i]! <= now - windowMs) i++
    if (i > 0) log = log.slice(i)
  }
  return {
    take: (now) => {
      prune(now)
      if (log.length < quota) return log.push(now), { admitted: true, retryAfterMs: 0 }
      return { admitted: false, retryAfterMs: log[log.length - quota]! + windowMs - now }
    },
    view: (now) => (prune(now), {
      limit: quota,
      remaining: Math.max(0, quota - log.length),
      resetMs: log.length === 0 ? 0 : log[log.length - 1]! + windowMs - now,
      windowS: Math.ceil(windowMs / 1000)
    }),
    setRate: (r) => void (quota = Math.round((r * windowMs) / 1000))
  }
}

export const makeServerLimiter = (f: Family, rate: number, t0: number): ServerLimiter => {
  switch (f._tag) {
    case "bucket":
      return bucket(rate, (r) => Math.max(1, r * f.burstS), t0)
    case "gcra":
      return bucket(rate, () => 1 + f.burst, t0)
    case "fixed":
      return fixed(rate, f.windowMs, t0)
    case "sliding":
      return sliding(rate, f.windowMs)
  }
}

export type RetryAfterStyle = "seconds" | "precise" | "http-date" | "none"

export const retryAfterHeader = (style: RetryAfterStyle, waitMs: number, now: number): Record<string, string> => {
  switch (style) {
    case "seconds":
      return { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000 - 1e-9))) }
    case "precise":
      return { "retry-after": (Math.max(1, Math.ceil(waitMs - 1e-9)) / 1000).toFixed(3) }
    case "http-date":
      return { "retry-after": new Date(Math.ceil((now + waitMs) / 1000) * 1000).toUTCString() }
    case "none":
      return {}
  }
}

export type HeaderStyle = "none" | "x-ratelimit" | "ietf"

export const rateLimitHeaders = (v: QuotaView, style: HeaderStyle): Record<string, string> => {
  const resetS = Math.max(0, Math.ceil(v.resetMs / 1000 - 1e-9))
  if (style === "x-ratelimit") {
    return { "x-ratelimit-limit": String(v.limit), "x-ratelimit-remaining": String(v.remaining), "x-ratelimit-reset": String(resetS) }
  }
  if (style === "ietf") {
    return { "ratelimit-policy": `"default";q=${v.limit};w=${v.windowS}`, "ratelimit": `"default";r=${v.remaining};t=${resetS}` }
  }
  return {}
}

/** mulberry32: a small seeded PRNG, so every cell is reproducible. */
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
