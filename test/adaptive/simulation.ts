/**
 * A discrete-event simulation (pure, no real time) of a paced client against a hidden token bucket.
 * The client sends evenly at the controller's rate (the limiter with burst 1), honours cooldowns, and
 * feeds each response back after `latencyMs`.
 */
import { Option } from "effect"
import * as Aimd from "../../src/adaptive/aimd.js"
import { parseRateLimitHeaders } from "../../src/adaptive/headers.js"
import * as Bucket from "../../src/testing/hiddenBucket.js"
import { rateLimitHeaders, type HeaderStyle } from "../../src/testing/rateLimitHeaders.js"

export interface Scenario {
  readonly durationMs: number
  /** Hidden limit as a function of time (ms since start). */
  readonly limitAt: (t: number) => { readonly rate: number; readonly burst: number }
  readonly config: Aimd.AimdConfig
  readonly controller: "adaptive" | "seed"
  readonly latencyMs?: number
  readonly headers?: HeaderStyle
  /** Send Retry-After (whole seconds until a token is free) on 429. */
  readonly retryAfter?: boolean
  readonly warmupMs?: number
}

export interface Result {
  readonly sent: number
  readonly accepted: number
  readonly rejected: number
  /** After warm-up: accepted / integral of the hidden rate, in %. */
  readonly goodputPct: number
  /** After warm-up: 429s / sent, in %. */
  readonly r429Pct: number
  readonly rejectedAfterWarmup: number
  readonly finalRate: number
  readonly maxRate: number
  readonly trace: ReadonlyArray<{ readonly t: number; readonly rate: number }>
}

export const simulate = (sc: Scenario): Result => {
  const latency = sc.latencyMs ?? 3
  const warmup = sc.warmupMs ?? 5000
  const t0 = 1_700_000_000_000
  let hidden = sc.limitAt(0)
  let bucket = Bucket.make(hidden.rate, hidden.burst, t0)
  let state = Aimd.initial(sc.config)
  let seedRate = sc.config.initialRate
  const rate = () => (sc.controller === "adaptive" ? state.rate : seedRate)
  const pending: Array<{ at: number; sentAt: number; ok: boolean; headers: Record<string, string>; retryAfterMs?: number }> = []
  let nextSend = t0
  let sent = 0, accepted = 0, rejected = 0, sentW = 0, acceptedW = 0, rejectedW = 0, maxSeen = 0
  let integral = 0
  const trace: Array<{ t: number; rate: number }> = []
  const end = t0 + sc.durationMs
  let lastTrace = -Infinity
  for (;;) {
    const nextResp = pending.length > 0 ? pending[0]!.at : Infinity
    const cooldown = sc.controller === "adaptive" ? state.cooldownUntil : 0
    const sendAt = Math.max(nextSend, cooldown)
    const now = Math.min(nextResp, sendAt)
    if (now >= end) break
    const h = sc.limitAt(now - t0)
    if (h.rate !== hidden.rate || h.burst !== hidden.burst) {
      bucket = Bucket.setLimit(bucket, h.rate, h.burst, now)
      hidden = h
    }
    if (nextResp <= sendAt) {
      const r = pending.shift()!
      if (sc.controller === "seed") {
        seedRate = Aimd.seedAimd(sc.config, seedRate, r.ok ? "success" : "backoff")
      } else {
        const info = parseRateLimitHeaders(r.headers, r.at).info
        if (r.ok) state = Aimd.onSuccess(sc.config, state, r.at, { sentAt: r.sentAt })
        else state = Aimd.onBackoff(sc.config, state, r.at, { retryAfterMs: r.retryAfterMs, sentAt: r.sentAt })
        if (Option.isSome(info)) state = Aimd.onHeaders(sc.config, state, info.value, r.at)
      }
      continue
    }
    const [b, ok] = Bucket.take(bucket, now)
    bucket = b
    sent++
    if (ok) accepted++
    else rejected++
    if (now - t0 >= warmup) {
      sentW++
      if (ok) acceptedW++
      else rejectedW++
    }
    const headers = sc.headers ? rateLimitHeaders(Bucket.view(bucket, now), now, sc.headers) : {}
    const ra = !ok && sc.retryAfter ? Math.ceil(Bucket.msUntilToken(bucket, now) / 1000) * 1000 : undefined
    pending.push(ra === undefined ? { at: now + latency, sentAt: now, ok, headers } : { at: now + latency, sentAt: now, ok, headers, retryAfterMs: ra })
    nextSend = Math.max(now, nextSend) + 1000 / rate()
    maxSeen = Math.max(maxSeen, rate())
    if (now - lastTrace >= 250) {
      trace.push({ t: now - t0, rate: rate() })
      lastTrace = now
    }
  }
  for (let t = warmup; t < sc.durationMs; t += 10) integral += sc.limitAt(t).rate * 0.01
  return {
    sent,
    accepted,
    rejected,
    goodputPct: (acceptedW / integral) * 100,
    r429Pct: sentW === 0 ? 0 : (rejectedW / sentW) * 100,
    rejectedAfterWarmup: rejectedW,
    finalRate: rate(),
    maxRate: maxSeen,
    trace
  }
}
