/**
 * One timer for many deadlines. `Effect.timeout` forks a sleeping fiber and races two fibers per
 * call, which costs more than the rest of a request's bookkeeping; a client instead registers each
 * attempt's deadline here (a map entry) and one sleeping fiber per client wakes for the earliest
 * deadline still live. The sleeper runs on the `Clock` of the scope that made the timer, so
 * `TestClock` drives it in tests like any `Effect.sleep`.
 *
 * @since 0.1.0
 */
import {
  Clock,
  Context,
  DefaultServices,
  Duration,
  Effect,
  type Exit,
  type Fiber,
  FiberId,
  FiberRef,
  FiberRefs,
  Layer,
  Option,
  Runtime,
  RuntimeFlags,
  type Scope
} from "effect"

/**
 * A registered deadline; pass it to `cancel` when the guarded work ends first.
 *
 * @since 0.1.0
 */
export interface DeadlineEntry {
  readonly at: number
}

interface Entry extends DeadlineEntry {
  fire: (() => void) | undefined
}

/**
 * @since 0.1.0
 */
export interface DeadlineTimerShape {
  /** Calls `fire` once the timer's clock reaches `at` (epoch ms), unless `cancel`led first. */
  readonly schedule: (at: number, fire: () => void) => DeadlineEntry
  readonly cancel: (entry: DeadlineEntry) => void
  /** Deadlines registered and not yet fired or cancelled. */
  readonly pending: () => number
}

/** Binary min-heap of numbers (the distinct deadline instants). */
class MinHeap {
  private readonly items: Array<number> = []
  get size(): number {
    return this.items.length
  }
  peek(): number {
    return this.items[0]!
  }
  push(value: number): void {
    const a = this.items
    a.push(value)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (a[parent]! <= value) break
      a[i] = a[parent]!
      i = parent
    }
    a[i] = value
  }
  pop(): number {
    const a = this.items
    const top = a[0]!
    const last = a.pop()!
    if (a.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= a.length) break
        const r = l + 1
        const c = r < a.length && a[r]! < a[l]! ? r : l
        if (a[c]! >= last) break
        a[i] = a[c]!
        i = c
      }
      a[i] = last
    }
    return top
  }
}

/** The default clock: with it, the sleeper is a plain timer that does not keep the process alive. */
const liveClock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** Node's largest timer delay; a later deadline is re-armed when this one fires. */
const MAX_TIMER_MS = 2_147_483_647

/**
 * The live deadlines, by instant (ms): the heap holds each instant once per bucket creation; an
 * instant whose entries were all cancelled stays in the heap until `takeDue` passes it (most
 * deadlines end early, and a wake-up for nothing is cheaper than one per cancel).
 */
class Deadlines {
  private readonly buckets = new Map<number, Set<Entry>>()
  private readonly instants = new MinHeap()
  live = 0

  add(at: number, fire: () => void): Entry {
    const instant = Math.ceil(at)
    const entry: Entry = { at: instant, fire }
    let bucket = this.buckets.get(instant)
    if (bucket === undefined) {
      this.buckets.set(instant, bucket = new Set())
      this.instants.push(instant)
    }
    bucket.add(entry)
    this.live++
    return entry
  }

  cancel(entry: Entry): void {
    if (entry.fire === undefined) return
    entry.fire = undefined
    this.live--
    const bucket = this.buckets.get(entry.at)
    if (bucket === undefined) return
    bucket.delete(entry)
    if (bucket.size === 0) this.buckets.delete(entry.at)
  }

  /**
   * Removes the entries of the earliest instant due at `now`, if any. Each still fires only if live
   * when its turn comes (`fire`): an earlier one's callback may cancel it.
   */
  takeDue(now: number): Array<Entry> | undefined {
    while (this.instants.size > 0 && this.instants.peek() <= now) {
      const instant = this.instants.pop()
      const bucket = this.buckets.get(instant)
      if (bucket === undefined) continue
      this.buckets.delete(instant)
      return [...bucket]
    }
    return undefined
  }

  fire(entry: Entry): void {
    const fire = entry.fire
    if (fire === undefined) return
    entry.fire = undefined
    this.live--
    fire()
  }

  /** The earliest instant with a live entry, if any. */
  next(): number | undefined {
    while (this.instants.size > 0 && !this.buckets.has(this.instants.peek())) this.instants.pop()
    return this.instants.size > 0 ? this.instants.peek() : undefined
  }
}

/**
 * A timer bound to the current scope: its sleeper stops when the scope closes.
 *
 * With the default clock the sleeper is one unref'd `setTimeout`: a deadline alone never keeps the
 * process alive (a request in flight does, through its socket), so a program that never closes the
 * client's scope still exits when its work is done. With any other clock (`TestClock`) it is a fiber
 * sleeping on that clock.
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<DeadlineTimerShape, never, Scope.Scope> = Effect.gen(function*() {
  const runtime = yield* Effect.runtime<never>()
  const clock = yield* Effect.clock
  const native = clock === liveClock
  const run = Runtime.runFork(runtime)
  const deadlines = new Deadlines()
  let armedAt = Infinity
  let sleeper: Fiber.RuntimeFiber<void> | undefined
  let nativeTimer: ReturnType<typeof setTimeout> | undefined
  // A replaced sleeper may already be past its sleep: only the current generation may fire.
  let generation = 0
  let closed = false

  const disarm = (): void => {
    sleeper?.unsafeInterruptAsFork(FiberId.none)
    sleeper = undefined
    if (nativeTimer !== undefined) clearTimeout(nativeTimer)
    nativeTimer = undefined
  }

  const fireDue = (gen: number): void => {
    if (gen !== generation) return
    sleeper = undefined
    nativeTimer = undefined
    armedAt = Infinity
    const now = clock.unsafeCurrentTimeMillis()
    // One instant at a time: a deadline a callback schedules already due fires in this pass.
    for (let due = deadlines.takeDue(now); due !== undefined; due = deadlines.takeDue(now)) {
      for (const entry of due) deadlines.fire(entry)
    }
    const next = deadlines.next()
    if (next !== undefined) arm(next)
  }

  const arm = (at: number): void => {
    if (closed) return
    disarm()
    armedAt = at
    const gen = ++generation
    const delay = Math.max(0, at - clock.unsafeCurrentTimeMillis())
    if (native) {
      nativeTimer = setTimeout(fireDue, Math.min(delay, MAX_TIMER_MS), gen)
      nativeTimer.unref()
    } else {
      // Started on the scheduler, not inline: `fire` never runs inside `schedule`, even when due.
      sleeper = run(Effect.zipRight(Effect.sleep(Duration.millis(delay)), Effect.sync(() => fireDue(gen))), { immediate: false })
    }
  }

  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      generation++
      disarm()
    })
  )

  const schedule = (at: number, fire: () => void): DeadlineEntry => {
    const entry = deadlines.add(at, fire)
    if (entry.at < armedAt) arm(entry.at)
    return entry
  }

  return { schedule, cancel: (e) => deadlines.cancel(e as Entry), pending: () => deadlines.live }
})

/**
 * Runs `self` and fails with `onTimeout()` if it has not finished when `timer`'s clock reaches
 * `at`; `self` is then interrupted in the background (for an HTTP call the transport aborts its
 * request). One fiber is started for `self`, synchronously, with the caller's context and fiber
 * refs; it is always interruptible, and interrupted when the caller is.
 *
 * @since 0.1.0
 */
export const raceDeadline = <A, E, E2, R = never>(
  timer: DeadlineTimerShape,
  self: Effect.Effect<A, E, R>,
  at: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> =>
  Effect.withFiberRuntime<A, E | E2, R>((parent, status) => {
    // The child runs with the parent's context, so it has whatever `self` requires.
    const child = Runtime.runFork(Runtime.make({
      context: parent.currentContext as Context.Context<R>,
      runtimeFlags: RuntimeFlags.enable(status.runtimeFlags, RuntimeFlags.Interruption),
      // The child's failure is the parent's result, not an unhandled error: without this its runtime
      // logs it ("Fiber terminated with an unhandled error"), cause, URLs and all, a second time.
      fiberRefs: FiberRefs.updateAs(parent.getFiberRefs(), {
        fiberId: parent.id(),
        fiberRef: FiberRef.unhandledErrorLogLevel,
        value: Option.none()
      })
    }))(self)
    const finished = child.unsafePoll()
    if (finished !== null) return finished
    return Effect.async<A, E | E2>((resume) => {
      let settled = false
      const onExit = (exit: Exit.Exit<A, E>) => {
        if (settled) return
        settled = true
        timer.cancel(entry)
        resume(exit)
      }
      const entry = timer.schedule(at, () => {
        if (settled) return
        settled = true
        child.removeObserver(onExit)
        child.unsafeInterruptAsFork(parent.id())
        resume(Effect.fail(onTimeout()))
      })
      child.addObserver(onExit)
      return Effect.sync(() => {
        if (settled) return
        settled = true
        timer.cancel(entry)
        child.removeObserver(onExit)
        child.unsafeInterruptAsFork(parent.id())
      })
    })
  })

/**
 * The timer the client's deadline steps (`withAttemptTimeout`) read from context: one per client by
 * default; provide one to share it between clients.
 *
 * @since 0.1.0
 * @category tags
 */
export class DeadlineTimer extends Context.Tag("effect-governor/DeadlineTimer")<DeadlineTimer, DeadlineTimerShape>() {}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<DeadlineTimer> = Layer.scoped(DeadlineTimer, make)
