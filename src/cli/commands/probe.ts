/**
 * `effect-governor probe URL`: measure an API's real limit, carefully. The plan (ramp by doubling
 * until the first 429, then measure the admitted rate between 429s) is the pure `probePlan` module;
 * this is the shell that paces the requests, honours Retry-After and stops at the first sign of
 * trouble.
 *
 * Safety rules:
 * - never more than `--max-requests` requests (counted when sent, in-flight included);
 * - GET only; at most 16 requests in flight;
 * - after a 429, nothing is sent before its Retry-After (1 s when absent); a Retry-After longer than
 *   `--max-wait` stops the probe instead;
 * - any status other than 2xx, 3xx and 429, a transport error or a timeout stops the probe;
 * - `--header` values (tokens) are never printed: they are masked with the redactor, which also
 *   scrubs them from every line of output.
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Console, Duration, Effect } from "effect"
import { formatDuration } from "../../internal/duration.js"
import { isHeaderName } from "../../internal/headerSyntax.js"
import { makeRedactor, type Redactor } from "../../logging/redact.js"
import { CliFailure, failure, usage } from "../errors.js"
import * as Format from "../format.js"
import * as Plan from "../probePlan.js"
import * as Steps from "../probeSteps.js"

/**
 * Parse `--header "Name: value"` arguments. Errors name the argument's position and the header name,
 * never the value.
 *
 * @since 0.1.0
 * @category options
 */
export const parseHeaders = (
  args: ReadonlyArray<string>
): { readonly headers: ReadonlyArray<readonly [string, string]> } | { readonly error: string } => {
  const headers: Array<readonly [string, string]> = []
  for (const [i, arg] of args.entries()) {
    const colon = arg.indexOf(":")
    if (colon <= 0) return { error: `--header #${i + 1} must look like "Name: value"` }
    const name = arg.slice(0, colon).trim()
    const value = arg.slice(colon + 1).trim()
    if (!isHeaderName(name)) return { error: `--header #${i + 1}: the name must be an HTTP header name (letters, digits, "-")` }
    if (/[\r\n\0]/.test(value)) return { error: `--header ${name}: the value must not contain CR, LF or NUL` }
    headers.push([name, value])
  }
  return { headers }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProbeSettings {
  readonly url: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly plan: Plan.PlanOptions
  readonly maxWait: Duration.Duration
  readonly timeout: Duration.Duration
  readonly maxInFlight: number
}

/**
 * What the probe found, as printed with `--json`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProbeReport {
  readonly url: string
  readonly stopped: Plan.StopReason
  readonly detail: string
  readonly estimatedRate: number | null
  readonly estimateKind: "measured" | "lower-bound" | "headers" | null
  readonly limitedAt: number | null
  readonly highestPassed: number | null
  readonly headerRate: number | null
  readonly maxRequests: number
  readonly sent: number
  readonly admitted: number
  readonly rateLimited: number
  readonly other: number
  readonly steps: ReadonlyArray<Plan.StepRecord>
  readonly rateLimitHeaders: Readonly<Record<string, string>>
}

/**
 * Run the probe. Progress lines go to `Console.log` unless `quiet`; the report is returned.
 *
 * @since 0.1.0
 * @category probing
 */
export const probe = (
  settings: ProbeSettings,
  redactor: Redactor,
  quiet: boolean
): Effect.Effect<ProbeReport, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const say = (line: string) => (quiet ? Effect.void : Console.log(redactor.redactText(line)))
    const request = HttpClientRequest.get(settings.url).pipe(
      HttpClientRequest.setHeaders(Object.fromEntries(settings.headers)),
      HttpClientRequest.setHeader("user-agent", "effect-governor-probe/0.1")
    )
    const exchange = Steps.exchangeWith(client, request, settings.timeout)
    const tally = Steps.newTally()
    let state = Plan.initial(settings.plan)
    for (;;) {
      const step = Plan.next(state, settings.plan)
      if (step._tag === "Done") break
      const { exchanges, limited } = yield* Steps.runStep(exchange, tally, settings.maxInFlight, step.rate, step.requests)
      const samples = exchanges.map((x) => ({ sentAt: x.sentAt, limited: x.status === 429 }))
      const phase = state.phase
      state = Plan.record(state, { sent: exchanges.length, limited, samples }, settings.plan)
      const ok = exchanges.filter((x) => x.status !== undefined && x.status < 400).length
      yield* say(
        `  ${phase.padEnd(7)} ${Format.rate(step.rate).padStart(8)}  ${String(exchanges.length).padStart(4)} sent  ` +
          `${String(ok).padStart(4)} ok  ${limited ? "429" : ""}`
      )
      if (tally.trouble !== undefined) {
        state = Plan.stop(state, "trouble")
        break
      }
      if (tally.headerRate !== undefined) {
        state = Plan.stop(state, "headers")
        break
      }
      if (limited && Plan.next(state, settings.plan)._tag === "Step") {
        // Honour the longest Retry-After of the step (1 s when a 429 carried none).
        const pause = Steps.pauseAfter(exchanges, yield* Clock.currentTimeMillis)
        if (pause > Duration.toMillis(settings.maxWait)) {
          tally.trouble = `Retry-After of ${Math.ceil(pause / 1000)} s is longer than --max-wait ${
            formatDuration(settings.maxWait)
          }; stopped instead of waiting`
          state = Plan.stop(state, "trouble")
          break
        }
        yield* Effect.sleep(Duration.millis(pause))
      }
    }
    return reportOf(settings, redactor, state, tally)
  })

/** The report of a finished probe, redacted. */
const reportOf = (settings: ProbeSettings, redactor: Redactor, state: Plan.PlanState, tally: Steps.Tally): ProbeReport => {
  const stopped = Plan.next(state, settings.plan)
  const reason: Plan.StopReason = stopped._tag === "Done" ? stopped.reason : "budget"
  const headerRate = tally.headerRate
  return {
    url: redactor.redactUrl(settings.url),
    stopped: reason,
    detail: redactor.redactText(Steps.stopDetail(reason, tally.trouble, settings.plan)),
    estimatedRate: headerRate ?? Plan.estimate(state) ?? null,
    estimateKind: headerRate !== undefined ? "headers" : Plan.estimateKind(state) ?? null,
    limitedAt: state.limitedAt ?? null,
    highestPassed: Plan.highestPassed(state) ?? null,
    headerRate: headerRate ?? null,
    maxRequests: settings.plan.maxRequests,
    sent: state.sent,
    admitted: tally.admitted,
    rateLimited: tally.rateLimited,
    other: tally.other,
    steps: state.steps,
    rateLimitHeaders: Object.fromEntries(
      [...tally.seenHeaders].map(([name, value]) => [name, redactor.redactText(value)])
    )
  }
}

/**
 * The report as text.
 *
 * @since 0.1.0
 * @category formatting
 */
export const renderReport = (r: ProbeReport): string => {
  const lines = [
    "Result",
    `  stopped: ${r.stopped} (${r.detail})`,
    r.estimatedRate === null
      ? "  estimated sustainable rate: unknown (no limit was measured)"
      : `  estimated sustainable rate: ${Format.rate(r.estimatedRate)} (${
        r.estimateKind === "headers"
          ? "stated by the rate-limit headers"
          : r.estimateKind === "measured"
          ? "admitted rate between 429s"
          : "lower bound: admitted rate after the first 429"
      })`
  ]
  if (r.limitedAt !== null) lines.push(`  first 429 at: ${Format.rate(r.limitedAt)} (the sustainable rate is below this)`)
  if (r.highestPassed !== null) lines.push(`  highest rate passed while ramping: ${Format.rate(r.highestPassed)}`)
  lines.push(
    `  requests: ${r.sent} sent (cap ${r.maxRequests}): ${r.admitted} admitted, ${r.rateLimited} × 429, ${r.other} other`
  )
  const headers = Object.entries(r.rateLimitHeaders)
  lines.push(
    headers.length === 0
      ? "  rate-limit headers seen: none"
      : `  rate-limit headers seen (last values):\n${headers.map(([n, v]) => `    ${n}: ${v}`).join("\n")}`
  )
  return lines.join("\n")
}

const url = Args.text({ name: "url" }).pipe(
  Args.withDescription("The endpoint to probe with GET requests (http or https).")
)
const maxRequests = Options.integer("max-requests").pipe(
  Options.withDescription("Hard cap on the number of requests sent, in-flight ones included."),
  Options.withDefault(200)
)
const startRate = Options.float("start-rate").pipe(
  Options.withDescription("First rate tried, requests per second; doubled after each step without a 429."),
  Options.withDefault(1)
)
const maxRate = Options.float("max-rate").pipe(
  Options.withDescription("Highest rate tried, requests per second; a step passing there ends the probe."),
  Options.withDefault(100)
)
const header = Options.text("header").pipe(
  Options.withDescription(
    "A request header \"Name: value\" (repeatable), e.g. an Authorization token. Values are never printed."
  ),
  Options.repeated,
  // Without a default, the usage line shows `--header text...` as if it were required.
  Options.withDefault<ReadonlyArray<string>>([])
)
const stepSeconds = Options.float("step-seconds").pipe(
  Options.withDescription("Length of one ramp step in seconds (at least 5 requests)."),
  Options.withDefault(1)
)
const measureSeconds = Options.float("measure-seconds").pipe(
  Options.withDescription("After the first 429, measure until two 429s are this many seconds apart."),
  Options.withDefault(3)
)
const maxWait = Options.float("max-wait").pipe(
  Options.withDescription("Longest Retry-After (seconds) the probe waits out; a longer one stops it."),
  Options.withDefault(60)
)
const timeout = Options.float("timeout").pipe(
  Options.withDescription("Seconds to wait for each response; a timeout stops the probe."),
  Options.withDefault(10)
)
const json = Options.boolean("json").pipe(Options.withDescription("Print the report as JSON (no progress lines)."))

const checkUrl = (text: string, redactor: Redactor): Effect.Effect<string, CliFailure> => {
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    return Effect.fail(usage(`not an absolute URL: ${redactor.redactUrl(text)}`))
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return Effect.fail(usage(`only http and https URLs can be probed, got ${parsed.protocol}`))
  }
  return Effect.succeed(parsed.toString())
}

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(
  "probe",
  { url, maxRequests, startRate, maxRate, header, stepSeconds, measureSeconds, maxWait, timeout, json },
  (o) =>
    Effect.gen(function*() {
      const parsed = parseHeaders(o.header)
      if ("error" in parsed) return yield* usage(parsed.error)
      // Every header value is treated as a secret, whatever its name.
      const redactor = makeRedactor().withSecrets(parsed.headers.map(([, value]) => value).filter((v) => v !== ""))
      const target = yield* checkUrl(o.url, redactor)
      const plan: Plan.PlanOptions = {
        ...Plan.defaults,
        startRate: o.startRate,
        maxRate: o.maxRate,
        maxRequests: o.maxRequests,
        stepSeconds: o.stepSeconds,
        measureSeconds: o.measureSeconds
      }
      const issues = Plan.validate(plan)
      if (issues.length > 0) {
        const flag = (option: string) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
        return yield* usage(issues.map((i) => `${flag(i.option)}: ${i.reason}`).join("\n"))
      }
      for (const [flag, value] of [["--max-wait", o.maxWait], ["--timeout", o.timeout]] as const) {
        if (!(Number.isFinite(value) && value > 0)) return yield* usage(`${flag}: expected a finite number > 0, got ${value}`)
      }
      if (!o.json) {
        yield* Console.log(`Probing GET ${redactor.redactUrl(target)} (at most ${plan.maxRequests} requests)`)
        if (parsed.headers.length > 0) {
          yield* Console.log(
            `  with headers: ${parsed.headers.map(([name, value]) => `${name}: ${redactor.maskValue(value)}`).join(", ")}`
          )
        }
      }
      const report = yield* probe(
        {
          url: target,
          headers: parsed.headers,
          plan,
          maxWait: Duration.seconds(o.maxWait),
          timeout: Duration.seconds(o.timeout),
          maxInFlight: 16
        },
        redactor,
        o.json
      ).pipe(Effect.provide(NodeHttpClient.layerUndici))
      yield* Console.log(o.json ? JSON.stringify(report, null, 2) : renderReport(report))
      if (report.stopped === "trouble") return yield* failure(`probe stopped: ${report.detail}`)
    })
).pipe(
  Command.withDescription(
    "Measure an API's real rate limit with GET requests: ramp up (doubling from --start-rate) until the first 429 or until rate-limit headers state the limit, then measure the rate admitted between 429s. Careful: never more than --max-requests requests, honours Retry-After, stops at any 5xx/4xx other than 429 or network error (exit code 1). Prints the estimated sustainable rate and the rate-limit headers seen; --header values are never printed."
  )
)
