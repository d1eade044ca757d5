import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Layer, Logger, LogLevel, ManagedRuntime, Option, Redacted, Tracer } from "effect"
import type { Exit } from "effect"
import fc from "fast-check"
import { type MaskStyle, maskStyles } from "../../src/logging/redact.js"
import * as RedactingLogger from "../../src/logging/RedactingLogger.js"
import * as Redaction from "../../src/logging/Redaction.js"
import * as RequestLog from "../../src/logging/RequestLog.js"

const formats: ReadonlyArray<RedactingLogger.LogFormat> = ["logfmt", "json", "pretty"]

/** Runs `program` under the redacting logger and returns every formatted line. */
const capture = (
  program: Effect.Effect<void>,
  options: RedactingLogger.RedactingLoggerOptions = {}
): Array<string> => {
  const lines: Array<string> = []
  Effect.runSync(program.pipe(
    Effect.provide(RedactingLogger.layer({ minLevel: "Debug", ...options, sink: (line) => lines.push(line) }))
  ))
  return lines
}

// ---------------------------------------------------------------------------------------------
// Secrets of varied shapes
// ---------------------------------------------------------------------------------------------

const alnum = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
  minLength: 16,
  maxLength: 48
})
const withSymbols = fc.string({
  unit: fc.constantFrom(..."abcdefXYZ0123456789!@#$%^&*()_+-=[]{};:'\",.<>/?\\|`~ é€"),
  minLength: 16,
  maxLength: 40
}).filter((s) => s.trim() === s)
const bearer = alnum.map((s) => `Bearer ${s}`)
/** Degenerate strings ("aaaa…") could appear in any output by chance; real secrets do not look like that. */
const secretArb = fc.oneof(alnum, withSymbols, bearer).filter((s) => new Set(s).size >= 8)

const credentialOf = (secret: string) => secret.startsWith("Bearer ") ? secret.slice(7) : secret

/** Fails if the output holds the secret, an encoded form of it, or any 10-character run of it. */
const expectNoLeak = (output: string, secret: string) => {
  const forms = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]
  for (const form of forms) expect(output).not.toContain(form)
  const cred = credentialOf(secret)
  for (let i = 0; i + 10 <= cred.length; i++) {
    const run = cred.slice(i, i + 10)
    expect(output).not.toContain(run)
    expect(output).not.toContain(JSON.stringify(run).slice(1, -1))
  }
}

/** Places found by the rules alone (no explicit secret configured). */
const structuralPlacements: ReadonlyArray<(secret: string) => Effect.Effect<void>> = [
  (s) =>
    RequestLog.logRequest({
      api: "demo",
      method: "GET",
      url: "https://api.example.com/v1/items?page=2",
      attempt: 1,
      headers: { Authorization: s.startsWith("Bearer ") ? s : `Bearer ${s}`, Accept: "application/json" }
    }),
  (s) =>
    RequestLog.logRequest({
      api: "demo",
      method: "GET",
      url: "https://api.example.com/",
      attempt: 2,
      headers: { "X-API-Key": s, "x-upstream-token": s, Cookie: `session=${encodeURIComponent(s)}; theme=dark` }
    }),
  (s) =>
    RequestLog.logResponse({
      api: "demo",
      method: "GET",
      url: `https://api.example.com/v1/items?page=2&api_key=${encodeURIComponent(s)}#access_token=${
        encodeURIComponent(s)
      }`,
      attempt: 1,
      status: 200,
      duration: "12 millis",
      headers: { "set-cookie": `sid=${encodeURIComponent(s)}; Path=/` }
    }),
  (s) => Effect.log("calling", `https://bot:${encodeURIComponent(s)}@api.example.com/x?token=${encodeURIComponent(s)}`),
  (s) =>
    RequestLog.logResponse({
      api: "demo",
      method: "POST",
      url: "https://api.example.com/login",
      attempt: 1,
      status: 500,
      duration: 40,
      body: JSON.stringify({ user: "bob", password: s, nested: [{ client_secret: s }] })
    }),
  (s) =>
    Effect.log("nested").pipe(
      Effect.annotateLogs({ request: { auth: { token: s, list: [{ apiKey: s }] } }, headers: { "x-my-secret": s } })
    ),
  (s) =>
    Effect.log("with a redacted value", { creds: Redacted.make(s) }, `and the value in text: ${s}`).pipe(
      Effect.annotateLogs("cfg", new Map<string, unknown>([["password", s], ["note", `copy ${s}`]]))
    ),
  (s) => Effect.logError("failed").pipe(Effect.annotateLogs("error", { _tag: "AuthError", password: s })),
  (s) =>
    Effect.logError("request failed", Cause.fail(Object.assign(new Error("denied"), { token: Redacted.make(s) }))).pipe(
      Effect.annotateLogs("hint", `the token ${s} was rejected`)
    )
]

/** Free-text places (messages, error messages, text bodies, span labels): need the secret to be known. */
const knownPlacements: ReadonlyArray<(secret: string) => Effect.Effect<void>> = [
  (s) => Effect.log(`user said ${s} twice: ${s}`),
  (s) => Effect.logError("boom", Cause.die(new Error(`upstream rejected ${s}`, { cause: new Error(`inner ${s}`) }))),
  (s) => Effect.logWarning(Cause.fail(new Error(`bad credential ${JSON.stringify(s)}`))),
  (s) =>
    RequestLog.logResponse({
      api: "demo",
      method: "POST",
      url: `https://api.example.com/echo/${encodeURIComponent(s)}`,
      attempt: 3,
      status: 401,
      duration: 5,
      body: `plain text body mentioning ${s}`,
      error: new Error(`rejected ${s}`)
    }),
  (s) => Effect.log("in a span").pipe(Effect.withLogSpan(`span-${s}`)),
  (s) => Effect.log({ deep: [[{ x: `pre${s}post` }]] })
]

describe("RedactingLogger: no secret ever reaches the output", () => {
  it("structural placements, every mask style and format", () => {
    // one runtime per (mask, format): building a layer per run would dominate the test time
    let sink: Array<string> = []
    const runtimes = new Map<string, ManagedRuntime.ManagedRuntime<Redaction.Redaction, never>>()
    for (const mask of maskStyles) {
      for (const format of formats) {
        runtimes.set(
          `${mask}/${format}`,
          ManagedRuntime.make(RedactingLogger.layer({
            mask,
            format,
            minLevel: "Debug",
            requestLog: { bodies: true },
            sink: (line) => sink.push(line)
          }))
        )
      }
    }
    try {
      fc.assert(
        fc.property(
          secretArb,
          fc.constantFrom(...maskStyles),
          fc.constantFrom(...formats),
          fc.nat({ max: structuralPlacements.length - 1 }),
          (secret, mask, format, i) => {
            sink = []
            runtimes.get(`${mask}/${format}`)!.runSync(structuralPlacements[i]!(secret))
            expect(sink.length).toBeGreaterThan(0)
            expectNoLeak(sink.join("\n"), secret)
          }
        ),
        { numRuns: 400 }
      )
    } finally {
      for (const rt of runtimes.values()) Effect.runSync(rt.disposeEffect)
    }
  })

  it("free-text placements with the secret known (configured as Redacted), every mask style and format", () => {
    fc.assert(
      fc.property(
        secretArb,
        fc.constantFrom(...maskStyles),
        fc.constantFrom(...formats),
        fc.nat({ max: knownPlacements.length - 1 }),
        (secret, mask, format, i) => {
          const lines = capture(knownPlacements[i]!(secret), {
            mask,
            format,
            requestLog: { bodies: true },
            rules: { secrets: [Redacted.make(secret)] }
          })
          expect(lines.length).toBeGreaterThan(0)
          expectNoLeak(lines.join("\n"), secret)
        }
      ),
      { numRuns: 100 }
    )
  })

  it("every placement really logs the secret when nothing redacts (the property is not vacuous)", () => {
    const secret = "Zq9xLm2Pw8Rt4Vn6Yb1C"
    const off = { headers: [], headerSubstrings: [], queryParams: [], jsonKeys: [], patterns: [] }
    for (const place of [...structuralPlacements, ...knownPlacements]) {
      const lines: Array<string> = []
      Effect.runSync(place(secret).pipe(
        Effect.provide(Layer.mergeAll(
          Logger.replace(Logger.defaultLogger, Logger.map(Logger.jsonLogger, (l) => lines.push(l))),
          Logger.minimumLogLevel(LogLevel.Debug),
          Redaction.layer({ replaceDefaults: true, rules: off, requestLog: { bodies: true } })
        ))
      ))
      const plain = lines.join("\n")
      expect(plain.includes(secret) || plain.includes(encodeURIComponent(secret))).toBe(true)
    }
  })
})

describe("RedactingLogger formats and levels", () => {
  const run = (format: RedactingLogger.LogFormat, mask: MaskStyle = "full") =>
    capture(
      Effect.log("hello", { password: "pw-123456" }).pipe(Effect.annotateLogs({ api: "github", token: "t-999999" })),
      { format, mask }
    )

  it("logfmt", () => {
    const [line] = run("logfmt")
    expect(line).toMatch(/level=INFO/)
    expect(line).toContain("message=hello")
    expect(line).toContain("api=github")
    expect(line).toContain("token=[REDACTED]")
    expect(line).not.toContain("pw-123456")
  })

  it("json is valid JSON with redacted fields", () => {
    const [line] = run("json")
    const parsed = JSON.parse(line!)
    expect(parsed.message).toEqual(["hello", { password: "[REDACTED]" }])
    expect(parsed.annotations).toEqual({ api: "github", token: "[REDACTED]" })
    expect(parsed.logLevel).toBe("INFO")
  })

  it("pretty", () => {
    const [line] = run("pretty")
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(#\d+\): hello/)
    expect(line).toContain("token: [REDACTED]")
  })

  it("minLevel drops lower records", () => {
    const lines = capture(Effect.all([Effect.logDebug("d"), Effect.logInfo("i"), Effect.logWarning("w")]).pipe(
      Effect.asVoid
    ), { minLevel: "Warning" })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain("message=w")
  })

  it("make returns the formatted line and undefined below minLevel", () => {
    const logger = RedactingLogger.make({ format: "logfmt", minLevel: LogLevel.Info })
    const lines: Array<string | undefined> = []
    Effect.runSync(Effect.all([Effect.logDebug("x"), Effect.log("token=abcdef")]).pipe(
      Effect.provide(Layer.mergeAll(
        Logger_replaceWith((o) => lines.push(logger.log(o))),
        Logger_min(LogLevel.Debug)
      ))
    ))
    expect(lines[0]).toBeUndefined()
    expect(lines[1]).toContain('message="token=[REDACTED]"')
  })

  it("the Redaction service carries the same rules", () => {
    const out = Effect.runSync(
      Redaction.redactUrl("https://h.test/?sessionKey=abc").pipe(
        Effect.provide(RedactingLogger.layer({ rules: { queryParams: ["sessionKey"] }, sink: () => {} }))
      )
    )
    expect(out).toBe("https://h.test/?sessionKey=[REDACTED]")
    // default (no layer): default rules
    expect(Effect.runSync(Redaction.redactUrl("https://h.test/?sessionKey=abc"))).toBe("https://h.test/?sessionKey=abc")
  })
})

const Logger_replaceWith = (f: (o: Logger.Logger.Options<unknown>) => void) =>
  Logger.replace(Logger.defaultLogger, Logger.make(f))
const Logger_min = (l: LogLevel.LogLevel) => Logger.minimumLogLevel(l)

describe("RequestLog", () => {
  const base = { api: "gh", method: "GET", url: "https://api.test/x?token=tk-123456", attempt: 1 } as const

  it("request line at Debug with all fields; headers only when Debug is enabled", () => {
    const debug = capture(
      RequestLog.logRequest({
        ...base,
        cache: "miss",
        limiterWait: "250 millis",
        breaker: "closed",
        headers: { authorization: "Bearer abcdefgh" }
      }),
      { format: "json" }
    ).map((l) => JSON.parse(l))
    expect(debug).toHaveLength(1)
    expect(debug[0].logLevel).toBe("DEBUG")
    expect(debug[0].message).toBe("GET https://api.test/x?token=[REDACTED]")
    expect(debug[0].annotations).toEqual({
      api: "gh",
      "http.method": "GET",
      url: "https://api.test/x?token=[REDACTED]",
      attempt: 1,
      cache: "miss",
      limiter_wait_ms: 250,
      breaker: "closed",
      "request.headers": { authorization: "Bearer [REDACTED]" }
    })
    const info = capture(
      RequestLog.logResponse({ ...base, status: 200, duration: 12, headers: { authorization: "x" } }),
      { format: "json", minLevel: "Info" }
    ).map((l) => JSON.parse(l))
    expect(info[0].annotations["response.headers"]).toBeUndefined()
    expect(info[0].annotations["http.status"]).toBe(200)
    expect(info[0].annotations["duration_ms"]).toBe(12)
  })

  it("response levels, retry delay, error label; bodies off by default and truncated after redaction", () => {
    const lines = capture(
      Effect.all([
        RequestLog.logResponse({ ...base, status: 503, duration: 5, retryIn: "2 seconds", body: "secret body" }),
        RequestLog.logResponse({ ...base, duration: 5, error: { _tag: "RequestError", message: "ECONNRESET" } })
      ]).pipe(Effect.asVoid),
      { format: "json" }
    ).map((l) => JSON.parse(l))
    expect(lines.map((l) => l.logLevel)).toEqual(["WARN", "WARN"])
    expect(lines[0].annotations["retry_in_ms"]).toBe(2000)
    expect(lines[0].annotations["body"]).toBeUndefined()
    expect(lines[1].annotations["error"]).toBe("RequestError: ECONNRESET")
    expect(lines[1].message).toContain(" error ")

    const secret = "s".repeat(3) + "-abcdefghijkl"
    const withBody = capture(
      RequestLog.logResponse({ ...base, status: 200, duration: 1, body: `password=${secret}&x=${"y".repeat(100)}` }),
      { format: "json", requestLog: { bodies: true, maxBodyChars: 30 } }
    ).map((l) => JSON.parse(l))
    expect(withBody[0].annotations["body"]).toBe("password=[REDACTED]&x=yyyyyyyy…(92 more chars)")
  })
})

describe("tracer logger (span events) is redacted too", () => {
  it("log events recorded on spans hold no secret", () => {
    const events: Array<[string, Record<string, unknown>]> = []
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind) => {
        const span: Tracer.Span = {
          _tag: "Span",
          name,
          spanId: "s",
          traceId: "t",
          parent,
          context,
          status: { _tag: "Started", startTime },
          attributes: new Map(),
          links,
          sampled: true,
          kind,
          end: (_end: bigint, _exit: Exit.Exit<unknown, unknown>) => {},
          attribute: () => {},
          event: (n, _t, attrs) => {
            events.push([n, attrs ?? {}])
          },
          addLinks: () => {}
        }
        return span
      },
      context: (f) => f()
    })
    const secret = "Zq9xLm2Pw8Rt4Vn6Yb1C"
    capture(
      Effect.log(`token=${secret}`).pipe(
        Effect.annotateLogs("password", secret),
        Effect.withSpan("op"),
        Effect.withTracer(tracer)
      )
    )
    expect(events.length).toBe(1)
    const dump = JSON.stringify(events)
    expect(dump).toContain("[REDACTED]")
    expect(dump).not.toContain(secret)
    expect(Option.isOption(Option.none())).toBe(true)
  })
})
