/**
 * An OpenAI-like API: requests-per-minute AND tokens-per-minute limits at once, with the token cost of
 * each call corrected to the tokens it actually used.
 *
 * - The config has two limits, `rpm` and `tpm`. The client charges every attempt `{ rpm: 1 }` (its
 *   `cost` option), so retries count as requests, as they do upstream.
 * - The tokens of a call are unknown until the answer arrives, so each call first takes a `lease` of
 *   its *estimate* (prompt tokens + `max_tokens`, the worst case) from the `tpm` limit and, once the
 *   response says how many were used, `adjust`s the lease down to the actual figure: the difference
 *   goes back to the bucket at once and the next calls start sooner. A failed call is refunded
 *   (`refundOnFailure`).
 * - The token leases use a key of their own (`openai-like/tokens`). Waiters are served first come,
 *   first served per key, so on the client's key a lease waiting for tokens would hold up the
 *   `{ rpm: 1 }` admission of a call that already has its tokens, until that lease is granted.
 *
 *   npx tsx examples/openai-like.ts
 *   BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-… OPENAI_MODEL=gpt-4o-mini npx tsx examples/openai-like.ts
 *
 * Against the simulated API (default) the call is `POST /items`, which only echoes the body back; a
 * real chat completion returns `usage.total_tokens`, so for the simulation the "actual" usage is a
 * deterministic stand-in computed from the echoed prompt (see `usageOf`). Against the real API the
 * limits below are placeholders: set your account's figures. `EXAMPLE_FAST=1` sends fewer prompts.
 */
import { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Ref, Schema } from "effect"
import { ApiConfig, ResilientClient } from "../src/index.js"
import { exampleLogger, fastMode, resolveTarget, since } from "./sdk/target.js"

const MAX_TOKENS = 800

const ChatRequest = Schema.Struct({
  model: Schema.String,
  messages: Schema.Array(Schema.Struct({ role: Schema.String, content: Schema.String })),
  max_tokens: Schema.Number
})

/** A real chat completion (only the fields used here). */
const ChatCompletion = Schema.Struct({
  id: Schema.String,
  usage: Schema.Struct({ total_tokens: Schema.Number })
})

/** The simulated API's `POST /items` answer: our request echoed back. */
const SimulatedEcho = Schema.Struct({ id: Schema.String, received: ChatRequest })

const Completion = Schema.Union(ChatCompletion, SimulatedEcho)

/** Rough token estimate of a text: ~4 characters per token for English. */
const tokensOf = (text: string): number => Math.ceil(text.length / 4)

/**
 * Tokens used: what the API reports, or for the simulated echo a deterministic stand-in (prompt tokens
 * plus a "completion" between 20 and 219 tokens derived from the prompt text).
 */
const usageOf = (completion: typeof Completion.Type): number => {
  if ("usage" in completion) return completion.usage.total_tokens
  const prompt = completion.received.messages.map((m) => m.content).join("\n")
  let h = 0
  for (const ch of prompt) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return tokensOf(prompt) + 20 + (h % 200)
}

const topics = [
  "token buckets",
  "the GCRA",
  "AIMD congestion control",
  "Retry-After headers",
  "circuit breakers",
  "idempotency keys",
  "ETags and conditional requests",
  "exponential backoff with jitter",
  "leaky buckets",
  "head-of-line blocking",
  "the thundering herd problem",
  "fixed versus rolling windows"
]

const program = Effect.gen(function*() {
  const fast = yield* fastMode
  const target = yield* resolveTarget({ simulated: { rate: 50, burst: 50, items: 1 }, tokenEnv: "OPENAI_API_KEY" })
  const model = yield* Config.string("OPENAI_MODEL").pipe(Config.withDefault("gpt-4o-mini"))
  const config = yield* ApiConfig.decode({
    name: "openai-like",
    baseUrl: target.baseUrl,
    limits: [
      // 300 requests/minute and 30,000 tokens/minute, refilled continuously (5 requests and 500
      // tokens a second) from small buckets, so no rolling minute can go far over either figure.
      { name: "rpm", capacity: 10, refillAmount: 5, refillPeriod: "1 second" },
      { name: "tpm", capacity: 2_000, refillAmount: 500, refillPeriod: "1 second" }
    ],
    // 429 and 5xx mean the completion was not produced: retrying the POST is safe (as the official SDKs do).
    retry: { maxRetries: 2, retryNonIdempotent: true, initialDelay: "200 millis", maxDelay: "2 seconds" },
    throttle: false,
    auth: { scheme: "bearer", env: "OPENAI_API_KEY" }
  }, "openai-like example")
  const openai = yield* ResilientClient.make(config, { token: target.token, cost: () => ({ rpm: 1 }) })
  const path = target.simulated === null ? "/chat/completions" : "/items"
  // The `tpm` limit of the config, charged by the token leases on their own key (on the client's key
  // only `rpm` is ever charged).
  const tpm = yield* Effect.fromNullable(config.limits.find((l) => l.name === "tpm"))
  const tokensKey = `${config.name}/tokens`

  const saved = yield* Ref.make(0)
  const estimated = yield* Ref.make(0)
  const start = Date.now()
  const complete = (topic: string, i: number) =>
    Effect.gen(function*() {
      const body: typeof ChatRequest.Type = {
        model,
        messages: [{ role: "user", content: `In two sentences, explain ${topic} to a backend engineer.` }],
        max_tokens: MAX_TOKENS
      }
      const estimate = tokensOf(body.messages[0]!.content) + MAX_TOKENS
      const lease = yield* openai.limiter.lease({ key: tokensKey, limits: [tpm], cost: { tpm: estimate }, refundOnFailure: true })
      const waited = Date.now() - start
      const completion = yield* HttpClientRequest.post(path).pipe(
        HttpClientRequest.bodyUnsafeJson(body),
        openai.client.execute,
        Effect.flatMap(HttpClientResponse.filterStatusOk),
        Effect.flatMap(HttpClientResponse.schemaBodyJson(Completion))
      )
      const used = usageOf(completion)
      yield* lease.adjust({ tpm: used })
      yield* Ref.update(saved, (n) => n + (estimate - used))
      yield* Ref.update(estimated, (n) => n + estimate)
      console.log(
        `${since(start)}  #${String(i + 1).padStart(2)} tokens leased at ${String(waited).padStart(5)} ms  ` +
          `estimate ${estimate} tokens, used ${String(used).padStart(3)}, ${estimate - used} given back`
      )
    }).pipe(Effect.scoped)

  const prompts = fast ? topics : [...topics, ...topics]
  yield* Effect.forEach(prompts, complete, { concurrency: 4, discard: true })

  const snap = yield* openai.snapshot()
  const tokens = yield* openai.limiter.snapshot(tokensKey)
  const seconds = (Date.now() - start) / 1000
  const totalGivenBack = yield* Ref.get(saved)
  console.log(`${prompts.length} completions in ${seconds.toFixed(2)} s; ${totalGivenBack} estimated tokens given back to "tpm"`)
  // Charging the estimates and never adjusting would have had to wait for this much refill.
  const unadjusted = Math.max(0, (yield* Ref.get(estimated)) - tpm.capacity) / tpm.ratePerSecond
  console.log(`  without adjust, the estimates alone would have needed >= ${unadjusted.toFixed(2)} s of "tpm" refill`)
  const rpm = snap.limiter.limits.find((l) => l.name === "rpm")
  const tpmNow = tokens.limits.find((l) => l.name === "tpm")
  for (const limit of [rpm, tpmNow]) {
    if (limit === undefined) continue
    console.log(`  ${limit.name.padEnd(4)} ${limit.tokens.toFixed(0).padStart(6)} / ${limit.capacity} available, refills ${limit.ratePerSecond.toFixed(1)}/s`)
  }
  console.log(`  requests ${snap.stats.totalRequests}, retries ${snap.stats.totalRetries}`)
})

program.pipe(
  Effect.scoped,
  Effect.provide(Layer.merge(NodeHttpClient.layerUndici, exampleLogger)),
  NodeRuntime.runMain
)
