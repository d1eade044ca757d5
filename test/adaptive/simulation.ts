/**
 * A discrete-event simulation (pure, no real time) of N fibers sharing one paced limiter against a
 * hidden server limiter, with network delay each way. Each fiber loops acquire -> send -> response;
 * the limiter is what the memory limiter does for an adaptive key: a pace bucket of `rate` with a
 * burst of `1 + 0.1 × rate` (refilling during a cooldown too) and a cooldown shared by all fibers,
 * FIFO; past it the adaptive client's in-flight cap, as the controller's `inFlight` (`inFlight.ts`). The
 * server decides when a request reaches it, and the client learns it a delay later.
 *
 * The client is either the adaptive controller (the pure `observe` the service runs) or the *oracle*:
 * a fixed limiter (a late wake-up keeps its slot, as the bench's pacer) at the true hidden rate,
 * switching at a limit change, ignoring every answer (as the bench's oracle).
 */
import { burstFor, DEFAULT_CATCH_UP_MS } from "../../src/adaptive/AdaptiveController.js"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as InFlight from "../../src/adaptive/inFlight.js"
import { parseRateLimitHeaders } from "../../src/adaptive/headers.js"
import { observe } from "../../src/adaptive/observe.js"
import { paced, sane } from "../../src/adaptive/windowGate.js"
import { parseRetryAfter } from "../../src/retry/retryAfter.js"
import { Option } from "effect"
import { prng } from "../../src/testing/prng.js"
import { rateLimitHeaders } from "../../src/testing/rateLimitHeaders.js"
import { retryAfterHeader, type RetryAfterStyle } from "../../src/testing/retryAfterValue.js"
import * as ServerLimiter from "../../src/testing/ServerLimiter.js"
import { type Blocks, schedule } from "./loopBlocks.js"
import { retryDelay } from "./retries.js"

/** A server family of the matrix, mapped onto the pure models of `src/testing/`. */
export type Family =
  | { readonly _tag: "bucket"; readonly burstS: number }
  | { readonly _tag: "fixed"; readonly windowMs: number }
  | { readonly _tag: "sliding"; readonly windowMs: number }
  /** nginx limit_req: leaky bucket with a `nodelay` burst of `burst` requests in excess. */
  | { readonly _tag: "gcra"; readonly burst: number }

/** `x-ratelimit-epoch`: the reset as an epoch second (GitHub, express-rate-limit's legacy headers). */
/** `draft6-epoch`: express-rate-limit v6's `standardHeaders` (IETF draft-6 fields) with its legacy `X-RateLimit-*` (epoch reset). */
export type HeaderStyle = "none" | "x-ratelimit" | "x-ratelimit-epoch" | "ietf" | "draft6-epoch"

const algorithmOf = (f: Family): ServerLimiter.Algorithm =>
  f._tag === "bucket"
    ? { type: "token-bucket" }
    : f._tag === "gcra"
    ? { type: "gcra" }
    : f._tag === "fixed"
    ? { type: "fixed-window", windowMs: f.windowMs, anchor: "first-request" }
    : { type: "sliding-log", windowMs: f.windowMs }

const burstOf = (f: Family, rate: number): number =>
  f._tag === "bucket" ? Math.max(1, rate * f.burstS) : f._tag === "gcra" ? 1 + f.burst : 1

const headerStyle = (h: HeaderStyle) =>
  h === "x-ratelimit"
    ? { xRateLimit: "delta" as const }
    : h === "x-ratelimit-epoch"
    ? { xRateLimit: "epoch" as const }
    : h === "ietf"
    ? { ietf: true }
    : h === "draft6-epoch"
    ? { ietf: { draft: "draft-6" as const }, xRateLimit: "epoch" as const }
    : {}

export interface Server {
  readonly family: Family
  /** Status of a rejection. Default 429. 403 is GitHub's (not a backoff status: its headers say it). */
  readonly status?: 429 | 503 | 403
  readonly retryAfter: RetryAfterStyle
  readonly headers: HeaderStyle
  /** Probability of a random 5xx without Retry-After, drawn after admission. */
  readonly noise?: number
}

export interface Cell {
  readonly server: Server
  readonly documented: number
  /** Hidden rate at `t` ms since the start. */
  readonly hiddenAt: (t: number) => number
  readonly fibers: number
  /** Network delay each way, uniform in [lo, hi] ms. */
  readonly delayMs: readonly [number, number]
  /** A heavy tail: with probability `p` a way's delay is `factor` times its draw (a retransmit, a slow path). None by default. */
  readonly tail?: { readonly p: number; readonly factor: number } | undefined
  /**
   * Event-loop lag: a limiter wait ends late, by up to 1 ms, and with probability `p` by up to
   * `maxMs` (a stall: GC, a busy loop); meanwhile the pace bucket fills, and what it holds goes out
   * back to back. None by default.
   */
  readonly lag?: { readonly p: number; readonly maxMs: number } | undefined
  /**
   * The server stalls (GC, a busy event loop): after deciding a request, with probability `p` it
   * decides nothing for up to `maxMs`; what reaches it meanwhile is decided, in order, when it resumes.
   * Arrivals sent apart reach its limiter together: a wall a fixed pace below the limit meets. None
   * by default.
   */
  readonly stall?: { readonly p: number; readonly maxMs: number } | undefined
  /**
   * The client's event loop, with the server on it (one process, as in the real-time bench), busy in
   * blocks (`loopBlocks.ts`): a send, an answer's processing or a decision due meanwhile happens when
   * the block ends; the sends' pace bucket fills meanwhile (its catch-up goes out then), the answers
   * come in together, late. None by default.
   */
  readonly blocks?: Blocks | undefined
  /**
   * The client's cold start (the bench's first connections and first-run code): no answer reaches the
   * client before this many ms since the start. None by default.
   */
  readonly coldStartMs?: number | undefined
  /** The client as the bench composes it (`ResilientClient`): a 429 or 5xx waits for its retry (`retries.ts`). None by default. */
  readonly composed?: boolean | undefined
  readonly durationMs: number
  readonly warmupMs: number
  /**
   * A finite workload (the demo's items): this many requests must succeed, a failed one is sent again,
   * and the run ends when the last succeeds (or at `durationMs`). Unbounded by default.
   */
  readonly work?: number | undefined
  /** The first `serial` requests of the work go one at a time (the demo's pages: each names the next). */
  readonly serial?: number | undefined
  readonly client: "adaptive" | "oracle"
  readonly seed?: number
  readonly config?: Partial<Aimd.AimdConfig>
  /** The controller's `catchUp` option (ms). */
  readonly catchUpMs?: number
  /** Called after every response the adaptive client observes (debugging). */
  readonly trace?: (t: number, status: number, before: Aimd.AimdState, after: Aimd.AimdState, sentAt: number, limited: boolean) => void
  /** Called at every decision of the server's limiter (debugging). */
  readonly onArrive?: (t: number, admitted: boolean, sentAt: number) => void
}

export interface Result {
  readonly sent: number
  /** Admitted by the server's limiter (random 5xx included) after the warm-up. */
  readonly admitted: number
  readonly rejected: number
  /** Requests sent (reaching the server) after the warm-up. */
  readonly sentW: number
  /** Admitted after the warm-up ÷ the integral of the hidden rate, in %. */
  readonly goodputPct: number
  /** Rejections by the server's limiter ÷ requests sent after the warm-up, in %. */
  readonly r429Pct: number
  /** Rejections after the warm-up. */
  readonly rejectedW: number
  /** Admitted per second after the warm-up. */
  readonly admittedPerS: number
  readonly finalRate: number
  readonly maxRate: number
  /** With `work`: when its last request succeeded (ms since the start), and when the server admitted each. */
  readonly finishedMs?: number | undefined
  readonly admittedAtMs?: ReadonlyArray<number>
}

const T0 = 1_700_000_000_000

/** The pace bucket and cooldown of one limiter key, as the memory limiter keeps them. */
class Pace {
  rate = 1
  cap = 1
  tokens = 1
  at = T0
  cooldownUntil = 0
  /** As the memory limiter's `setAdaptive`: during a cooldown the hold is restated at the new rate. */
  set(rate: number, cap: number, now: number) {
    this.refill(now)
    this.rate = rate
    this.cap = cap
    this.tokens = Math.min(this.tokens, cap)
    if (this.cooldownUntil > now) this.tokens = Math.min(cap, 1 - ((this.cooldownUntil - now) * rate) / 1000)
  }
  refill(now: number) {
    if (now > this.at) this.tokens = Math.min(this.cap, this.tokens + (this.rate * (now - this.at)) / 1000), this.at = now
  }
  /** The memory limiter's cooldown: the pace resumes at its rate when it ends, without a burst. */
  cooldown(until: number, now: number) {
    this.cooldownUntil = Math.max(this.cooldownUntil, until)
    this.refill(now)
    this.tokens = Math.min(this.tokens, 1 - ((this.cooldownUntil - now) * this.rate) / 1000)
  }
  /** When the head of the queue may go, at or after `now`. */
  nextAt(now: number): number {
    this.refill(now)
    const tokenAt = this.tokens >= 1 - 1e-9 ? now : now + ((1 - this.tokens) / this.rate) * 1000
    return Math.max(tokenAt, this.cooldownUntil)
  }
}

interface Response {
  readonly status: number
  readonly headers: Record<string, string>
  readonly sentAt: number
  readonly attempt: number // of its request, 1 the first (`retries.ts`)
  /** The server's limiter rejected it (not noise): for `trace`. */
  readonly limited?: boolean
}

interface Client {
  readonly pace: Pace
  readonly observe: (r: Response, now: number) => void
}

const adaptiveClient = (cell: Cell): Client & { readonly state: () => Aimd.AimdState; readonly maxPauseMs: number; readonly burst: (rate: number) => number } => {
  const c = { ...Aimd.defaultConfig(cell.documented), ...cell.config }
  let s = Aimd.initial(c)
  const pace = new Pace()
  let applied = s.rate
  const burst = (rate: number) => burstFor({ burst: null, catchUpMs: cell.catchUpMs ?? DEFAULT_CATCH_UP_MS }, rate)
  pace.set(s.rate, burst(s.rate), T0)
  // One token: `AdaptiveController.prime` paces the key without a burst until its first answer (`PRIME_BURST`).
  const backoff = new Set([429, 503])
  return {
    pace,
    state: () => s,
    maxPauseMs: c.maxRetryAfterMs,
    burst,
    observe: (r, now) => {
      const isBackoff = backoff.has(r.status)
      const raw = isBackoff ? r.headers["retry-after"] : undefined
      const retryAfterMs = raw === undefined ? undefined : Option.getOrUndefined(parseRetryAfter(raw, now))
      const prev = s
      const before = s.cooldownUntil
      const gateBefore = s.gateUntil ?? 0
      const info = Option.getOrUndefined(parseRateLimitHeaders(r.headers, now).info)
      s = observe(c, s, { status: r.status, backoff: isBackoff, retryAfterMs, sentAt: r.sentAt, info }, now)
      cell.trace?.(now - T0, r.status, prev, s, r.sentAt - T0, r.limited === true)
      const rate = paced(s.rate, sane(s.windowGate, now))
      if (Math.abs(rate - applied) / applied >= 0.01) pace.set(rate, burst(rate), now), applied = rate
      if (s.cooldownUntil > now && s.cooldownUntil > before) pace.cooldown(s.cooldownUntil, now)
      const gate = s.gateUntil ?? 0
      if (gate > now && gate > gateBefore) pace.cooldown(gate, now)
    }
  }
}

const oracleClient = (cell: Cell): Client => {
  const pace = new Pace()
  // The bench's pacer: a fiber woken late keeps its slot, so the next may follow at once.
  pace.set(cell.hiddenAt(0), 2, T0)
  return { pace, observe: () => {} }
}

type Event =
  | { readonly t: number; readonly kind: "arrive"; readonly sentAt: number; readonly attempt: number }
  /** A request the limiter let through that found the in-flight cap full looks again (`inFlight.ts`). */
  | { readonly t: number; readonly kind: "gate"; readonly since: number; readonly attempt: number }
  | { readonly t: number; readonly kind: "respond"; readonly response: Response }
  | { readonly t: number; readonly kind: "retry"; readonly attempt: number } // back from its retry's wait

const push = (q: Array<Event>, e: Event) => {
  let lo = 0, hi = q.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (q[mid]!.t <= e.t) lo = mid + 1
    else hi = mid
  }
  q.splice(lo, 0, e)
}

const NOISE_STATUSES = [500, 502, 503, 504]

/** One run of a cell: the network's draws, the server, the client, the events due, and the counts. */
interface Run {
  readonly cell: Cell
  readonly rnd: () => number
  /** Noise draws its own stream: a noisy run and its clean twin see the same delays and lags. */
  readonly noiseRnd: () => number
  readonly stallRnd: () => number; readonly retryRnd: () => number
  readonly delay: () => number
  readonly freeAt: (t: number) => number
  hidden: number; server: ServerLimiter.ServerLimiter
  readonly adaptive: ReturnType<typeof adaptiveClient> | undefined
  readonly client: Client
  readonly q: Array<Event>
  /** Fibers waiting to send (their attempts, in line), and the simulated clock. */
  waiting: number; readonly attempts: Array<number>; now: number
  /** The server decides nothing before this instant (a stall). */
  serverFreeAt: number
  /** When the head of the queue wakes up, once it had to wait (0: not waiting), and how late it will be. */
  wakeAt: number; late: number
  /** The counts of the result (`…W`: after the warm-up). */
  sent: number; sentW: number; admittedW: number; rejectedW: number; maxRate: number
  /** Requests of the workload not sent yet or to be sent again, and those that succeeded. */
  pending: number; succeeded: number; finishedMs: number | undefined
  readonly admittedAtMs: Array<number>
  /** When each request on its way or at the server, unanswered, was sent (the controller's in-flight count). */
  readonly unanswered: Array<number>
}

/** How late a limiter wait ends: up to 1 ms, or with the lag's probability up to its stall. */
const lateness = (cell: Cell, rnd: () => number) => rnd() * (cell.lag !== undefined && rnd() < cell.lag.p ? cell.lag.maxMs : 1)

const start = (cell: Cell): Run => {
  const rnd = prng(cell.seed ?? 1)
  const noiseRnd = prng((cell.seed ?? 1) + 7919)
  const tail = cell.tail
  const uniform = () => cell.delayMs[0] + (cell.delayMs[1] - cell.delayMs[0]) * rnd()
  // Without a tail no draw more: the cells without one see the same stream as before it existed.
  const delay = tail === undefined ? uniform : () => uniform() * (rnd() < tail.p ? tail.factor : 1)
  const hidden = cell.hiddenAt(0)
  const family = cell.server.family
  const server = ServerLimiter.make(algorithmOf(family), hidden, burstOf(family, hidden), T0)
  const adaptive = cell.client === "adaptive" ? adaptiveClient(cell) : undefined
  return {
    cell, rnd, noiseRnd, stallRnd: prng((cell.seed ?? 1) + 104_729), retryRnd: prng((cell.seed ?? 1) + 15_485_863), delay,
    freeAt: cell.blocks === undefined ? (t: number) => t : schedule(cell.blocks, cell.seed ?? 1, T0),
    hidden, server, adaptive, client: adaptive ?? oracleClient(cell), q: [],
    waiting: cell.fibers, now: T0, attempts: Array.from({ length: cell.fibers }, () => 1), serverFreeAt: 0,
    wakeAt: 0, late: cell.lag === undefined ? 0 : lateness(cell, rnd),
    sent: 0, sentW: 0, admittedW: 0, rejectedW: 0, maxRate: 0,
    pending: cell.work ?? Infinity, succeeded: 0, finishedMs: undefined, admittedAtMs: [], unanswered: []
  }
}

/** Runs to the next instant something happens; false once the run ends (its duration, or its work done). */
const step = (r: Run): boolean => {
  const cell = r.cell
  const free = r.pending > 0 && (r.waiting === cell.fibers || r.succeeded >= (cell.serial ?? 0))
  let admitAt = r.waiting > 0 && free ? r.client.pace.nextAt(r.now) : Infinity
  if (admitAt > r.now && admitAt < Infinity && r.wakeAt === 0) r.wakeAt = admitAt + r.late
  if (r.wakeAt > 0) admitAt = Math.max(admitAt, r.wakeAt)
  const evAt = r.q.length > 0 ? r.q[0]!.t : Infinity
  r.now = Math.min(admitAt, evAt)
  if (r.now >= T0 + cell.durationMs) return false
  const loopFree = r.freeAt(r.now)
  if (loopFree > r.now) {
    // Blocked: what was due happens when the block ends, in the order it was due.
    if (evAt <= admitAt) push(r.q, { ...r.q.shift()!, t: loopFree })
    else r.wakeAt = loopFree
    return true
  }
  followHidden(r)
  if (evAt > admitAt) {
    admit(r)
    return true
  }
  const e = r.q.shift()!
  if (e.kind === "gate") send(r, e.since, e.attempt)
  else if (e.kind === "respond") return answered(r, e.response)
  else if (e.kind === "retry") r.waiting++, r.attempts.push(e.attempt)
  else arrive(r, e)
  return true
}

/** A change of the hidden limit reaches the server (and the oracle, which knows it). */
const followHidden = (r: Run) => {
  const h = r.cell.hiddenAt(r.now - T0)
  if (h === r.hidden) return
  r.hidden = h
  r.server = ServerLimiter.setLimit(r.server, h, burstOf(r.cell.server.family, h), r.now)
  if (r.cell.client === "oracle") r.client.pace.set(h, 2, r.now)
}

/** The client's limiter lets the head of the queue go: it takes its token and sends. */
const admit = (r: Run) => {
  const pace = r.client.pace
  pace.refill(r.now)
  pace.tokens -= 1
  if (r.cell.lag !== undefined) r.wakeAt = 0, r.late = lateness(r.cell, r.rnd)
  r.waiting--
  r.pending--
  r.sent++
  r.maxRate = Math.max(r.maxRate, pace.rate)
  send(r, r.now, r.attempts.shift() ?? 1)
}

/** As the controller's gate: a request that finds the cap full pauses the pace a slot and looks again. */
const send = (r: Run, since: number, attempt: number) => {
  const { adaptive, now } = r
  const s = adaptive?.state()
  const cap = s === undefined ? null : InFlight.cap(s, adaptive!.burst(s.rate))
  const bound = adaptive?.maxPauseMs ?? 0
  if (s !== undefined && cap !== null && r.unanswered.length >= cap && now - since < bound) {
    const slot = InFlight.slotMs(s.rate, bound)
    if (InFlight.stalled(r.unanswered[0]!, now, s.rttMs)) r.client.pace.cooldown(now + slot, now)
    push(r.q, { t: Math.min(now + slot, since + bound), kind: "gate", since, attempt })
    return
  }
  r.unanswered.push(now)
  push(r.q, { t: now + r.delay(), kind: "arrive", sentAt: now, attempt })
}

/** The client reads an answer; false when it was the workload's last success. */
const answered = (r: Run, response: Response): boolean => {
  const { q, now } = r
  r.unanswered.splice(r.unanswered.indexOf(response.sentAt), 1)
  r.client.observe(response, now)
  // A request that leaves wakes the requests waiting at the cap: they look again at once.
  for (const g of q.filter((x) => x.kind === "gate")) q.splice(q.indexOf(g), 1), push(q, { ...g, t: now })
  const wait = r.adaptive === undefined || r.cell.composed !== true ? undefined : retryDelay(response, now, r.retryRnd)
  if (wait === undefined) r.waiting++, r.attempts.push(1)
  else push(q, { t: now + wait, kind: "retry", attempt: response.attempt + 1 })
  if (response.status !== 200) r.pending++
  else if (++r.succeeded === r.cell.work) {
    r.finishedMs = now - T0
    return false
  }
  return true
}

/** A request reaches the server: unless it stalls, its limiter decides, and the answer leaves. */
const arrive = (r: Run, e: Extract<Event, { readonly kind: "arrive" }>) => {
  const { cell, now } = r
  if (now < r.serverFreeAt) {
    push(r.q, { ...e, t: r.serverFreeAt })
    return
  }
  if (cell.stall !== undefined && r.stallRnd() < cell.stall.p) r.serverFreeAt = now + r.stallRnd() * cell.stall.maxMs
  const [next, d] = ServerLimiter.take(r.server, now)
  r.server = next
  cell.onArrive?.(now - T0, d.admitted, e.sentAt - T0)
  const counted = now >= T0 + cell.warmupMs
  if (counted) r.sentW++
  let status = 200
  let headers: Record<string, string> = rateLimitHeaders(ServerLimiter.view(r.server, now), now, headerStyle(cell.server.headers))
  if (!d.admitted) {
    status = cell.server.status ?? 429
    const ra = cell.server.family._tag === "gcra" ? {} : retryAfterHeader(cell.server.retryAfter, d.retryAfterMs, now)
    headers = { ...headers, ...ra }
    if (counted) r.rejectedW++
  } else {
    if (counted) r.admittedW++
    if (cell.work !== undefined) r.admittedAtMs.push(now - T0)
    if (cell.server.noise !== undefined && r.noiseRnd() < cell.server.noise) {
      status = NOISE_STATUSES[Math.floor(r.noiseRnd() * NOISE_STATUSES.length)]!
      headers = {}
    }
  }
  const t = Math.max(now + r.delay(), T0 + (cell.coldStartMs ?? 0))
  push(r.q, { t, kind: "respond", response: { status, headers, sentAt: e.sentAt, attempt: e.attempt, ...(d.admitted ? {} : { limited: true }) } })
}

/** The counts after the warm-up, against the integral of the hidden rate. */
const result = (r: Run): Result => {
  const cell = r.cell
  let integral = 0
  for (let t = cell.warmupMs; t < cell.durationMs; t += 10) integral += cell.hiddenAt(t) * 0.01
  return {
    sent: r.sent,
    admitted: r.admittedW,
    rejected: r.rejectedW,
    sentW: r.sentW,
    goodputPct: (r.admittedW / integral) * 100,
    r429Pct: r.sentW === 0 ? 0 : (r.rejectedW / r.sentW) * 100,
    rejectedW: r.rejectedW,
    admittedPerS: r.admittedW / ((cell.durationMs - cell.warmupMs) / 1000),
    finalRate: r.client.pace.rate,
    maxRate: r.maxRate,
    ...(cell.work === undefined ? {} : { finishedMs: r.finishedMs, admittedAtMs: r.admittedAtMs })
  }
}

export const simulate = (cell: Cell): Result => {
  const r = start(cell)
  while (step(r)) continue
  return result(r)
}
