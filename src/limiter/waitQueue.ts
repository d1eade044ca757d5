/**
 * FIFO waiting of the memory limiter: the waiters of one key are served strictly in arrival order.
 * The waiter at the head blocks everyone behind it, even a cheap request that would fit right now:
 * a costly request (say 5,000 LLM tokens) is never starved by a stream of cheap ones, at the price of
 * head-of-line blocking (use separate keys, or `maxWait`, where that matters).
 *
 * Only the head waiter sleeps on the clock (until its wait is over); the others sleep until they are
 * kicked (the head left, or a refund or a new pace changed what it waits for) or until their own
 * deadline. A line exists only while someone waits (the fast path checks `waiting === 0`).
 *
 * @since 0.1.0
 * @internal
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import type { Clock } from "effect"
import { commit, type Pacer, type Policy, type Queued, waitFor } from "./admission.js"

/**
 * One fiber waiting in line.
 *
 * @since 0.1.0
 * @category models
 */
export interface Waiter extends Queued {
  readonly since: number
  readonly deadline: number
  done: boolean
  signal: Deferred.Deferred<void> | null
}

/**
 * The line of one key (the memory store's key state holds these fields).
 *
 * @since 0.1.0
 * @category models
 */
export interface Line extends Pacer {
  queue: Array<Waiter> | null
  qHead: number
  waiting: number
}

/**
 * Put `w` at the end of the line.
 *
 * @since 0.1.0
 * @category queue
 */
export const join = (line: Line, w: Waiter): void => {
  if (line.queue === null) line.queue = []
  line.queue.push(w)
  line.waiting++
}

/**
 * The first waiter still in line.
 *
 * @since 0.1.0
 * @category queue
 */
export const head = (line: Line): Waiter | undefined => {
  const q = line.queue
  if (q === null) return undefined
  while (line.qHead < q.length && q[line.qHead]!.done) line.qHead++
  return q[line.qHead]
}

/**
 * Wake the head waiter so it looks again (something it waits for may have changed).
 *
 * @since 0.1.0
 * @category queue
 */
export const kick = (line: Line): void => {
  const h = head(line)
  if (h !== undefined && h.signal !== null) {
    const signal = h.signal
    h.signal = null
    Deferred.unsafeDone(signal, Exit.void)
  }
}

/**
 * Take `w` out of the line (admitted, refused or interrupted); the next head is woken.
 *
 * @since 0.1.0
 * @category queue
 */
export const leave = (line: Line, w: Waiter): void => {
  if (w.done) return
  const wasHead = head(line) === w
  w.done = true
  line.waiting--
  if (line.waiting === 0) {
    line.queue = null
    line.qHead = 0
    return
  }
  const q = line.queue!
  if (line.qHead > 64 && line.qHead * 2 > q.length) {
    line.queue = q.slice(line.qHead)
    line.qHead = 0
  }
  if (wasHead) kick(line)
}

/**
 * The waiters in line before `upTo` (all of them without it), in order.
 *
 * @since 0.1.0
 * @category queue
 */
export const ahead = (line: Line, upTo?: Waiter): Array<Queued> => {
  const out: Array<Queued> = []
  const q = line.queue
  if (q === null) return out
  for (let i = line.qHead; i < q.length; i++) {
    const w = q[i]!
    if (w === upTo) break
    if (!w.done) out.push(w)
  }
  return out
}

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * The waiting loop of one waiter, to run uninterruptibly (`restore` makes only the sleeps
 * interruptible): admitted when at the head with nothing in the way (succeeds with the time of
 * admission), refused through `refuse(now, waitMs)` once the deadline cannot be met (`waitMs`
 * undefined: still behind others, the caller estimates). Leaves the line
 * in every case, interruption included.
 *
 * @since 0.1.0
 * @category queue
 */
export const waitTurn = <E>(
  line: Line,
  w: Waiter,
  policy: Policy,
  clock: Clock.Clock,
  restore: Restore,
  refuse: (now: number, waitMs: number | undefined) => E
): Effect.Effect<number, E> => {
  const step: Effect.Effect<number, E> = Effect.suspend(() => {
    const now = clock.unsafeCurrentTimeMillis()
    if (head(line) === w) {
      const wait = waitFor(line, w.view, w.req, now)
      if (wait <= 0) {
        commit(policy, line, w.view, w.req, now)
        leave(line, w)
        kick(line)
        return Effect.succeed(now)
      }
      if (now + wait > w.deadline) {
        const error = refuse(now, wait)
        leave(line, w)
        return Effect.fail(error)
      }
      const signal = (w.signal = Deferred.unsafeMake<void>(FiberId.none))
      return Effect.zipRight(restore(Effect.raceFirst(Effect.sleep(wait), Deferred.await(signal))), step)
    }
    if (now >= w.deadline) {
      const error = refuse(now, undefined)
      leave(line, w)
      return Effect.fail(error)
    }
    const signal = (w.signal = Deferred.unsafeMake<void>(FiberId.none))
    const turn = Deferred.await(signal)
    return Effect.zipRight(
      restore(w.deadline === Infinity ? turn : Effect.raceFirst(turn, Effect.sleep(w.deadline - now))),
      step
    )
  })
  return Effect.onInterrupt(step, () => Effect.sync(() => leave(line, w)))
}
