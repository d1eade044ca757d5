import { Effect, Exit } from "effect"
import * as CircuitBreaker from "../src/breaker/CircuitBreaker.js"
import { bestOf, opsPerSecond } from "./harness.js"
const N = 100_000
const loop = <E>(n: number, op: Effect.Effect<unknown, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => { let i = 0; return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} }) })
const m = (name: string, op: Effect.Effect<unknown, unknown>) => bestOf(3, () => opsPerSecond(N, (n) => Effect.runPromise(loop(n, op)))).then((v) => console.log(name.padEnd(30), Math.round(v)))
const b = await Effect.runPromise(CircuitBreaker.make({}))
await m("bare", Effect.void)
await m("admit", b.admit)
await m("recordSuccess", b.recordSuccess)
await m("admit+record", Effect.flatMap(b.admit, (p) => p.record("success")))
await m("admit+recordExit", Effect.flatMap(b.admit, (p) => p.recordExit(Exit.void)))
await m("withBreaker", b.withBreaker(Effect.void))
