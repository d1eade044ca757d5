/**
 * Resilience bench: what the circuit breaker, the bulkhead and the retry loop add to one call
 * that succeeds at once, measured against the same call without them on the same Effect loop.
 * Reported as throughput and as overhead per call in microseconds (a loopback HTTP round trip
 * costs on the order of 100 µs, so a few µs is the budget).
 */
import { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Effect, Either } from "effect"
import * as CircuitBreaker from "../src/breaker/CircuitBreaker.js"
import * as Bulkhead from "../src/bulkhead/Bulkhead.js"
import { retryRequest } from "../src/retry/retryRequest.js"
import * as RetryPolicy from "../src/retry/RetryPolicy.js"
import type { BenchGroup, BenchRow } from "./harness.js"
import { bestOf, opsPerSecond } from "./harness.js"

const N = 200_000

const loop = <E>(n: number, op: Effect.Effect<unknown, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    let i = 0
    return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
  })

const measure = (op: Effect.Effect<unknown, unknown>) =>
  bestOf(5, () => opsPerSecond(N, (n) => Effect.runPromise(loop(n, op))))

const overheadUs = (ops: number, bare: number): number => (1 / ops - 1 / bare) * 1e6

export const group: BenchGroup = {
  name: "resilience",
  description: "breaker / bulkhead / retry loop around a call that succeeds at once",
  run: async () => {
    const request = HttpClientRequest.get("http://127.0.0.1/bench")
    const response = HttpClientResponse.fromWeb(request, new Response(null, { status: 200 }))
    const call = Effect.succeed(response)
    const breaker = await Effect.runPromise(CircuitBreaker.make({ name: "bench" }))
    const bulkhead = await Effect.runPromise(Bulkhead.make({ maxConcurrent: 64, maxQueue: 1_000 }))
    const policy = Either.getOrThrow(RetryPolicy.make())

    const bare = await measure(call)
    const withBreaker = await measure(breaker.withBreaker(call))
    const withBulkhead = await measure(bulkhead.run(call))
    const withRetry = await measure(retryRequest(policy, request, () => call))
    const all = await measure(
      retryRequest(policy, request, () => breaker.withBreaker(bulkhead.run(call)))
    )

    const rows: Array<BenchRow> = [
      { name: "bare call", value: bare, unit: "ops/s" },
      { name: "breaker.withBreaker", value: withBreaker, unit: "ops/s", note: `+${overheadUs(withBreaker, bare).toFixed(2)} µs/call` },
      { name: "bulkhead.run", value: withBulkhead, unit: "ops/s", note: `+${overheadUs(withBulkhead, bare).toFixed(2)} µs/call` },
      { name: "retryRequest", value: withRetry, unit: "ops/s", note: `+${overheadUs(withRetry, bare).toFixed(2)} µs/call` },
      { name: "all three", value: all, unit: "ops/s", note: `+${overheadUs(all, bare).toFixed(2)} µs/call` }
    ]
    return {
      rows,
      figures: {
        "resilience.bare_ops_per_s": bare,
        "resilience.breaker_ops_per_s": withBreaker,
        "resilience.bulkhead_ops_per_s": withBulkhead,
        "resilience.retry_ops_per_s": withRetry,
        "resilience.all_ops_per_s": all,
        "resilience.breaker_overhead_us": overheadUs(withBreaker, bare),
        "resilience.bulkhead_overhead_us": overheadUs(withBulkhead, bare),
        "resilience.retry_overhead_us": overheadUs(withRetry, bare),
        "resilience.all_overhead_us": overheadUs(all, bare)
      }
    }
  }
}
