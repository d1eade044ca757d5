/**
 * Deep redaction of any value: strings, arrays, plain objects (sensitive keys masked whole,
 * `headers` objects by header rules), Maps, Sets, Errors, `toJSON` objects and `Redacted`.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Redacted } from "effect"
import type { HeadersInput } from "../redact.js"
import { type Ctx, learn, maskWhole } from "./context.js"
import { headerValueRegions } from "./headerRegions.js"
import { REDACTED } from "./mask.js"
import { applyRegions } from "./regions.js"
import { URL_LIKE, urlRegions } from "./urlRegions.js"

const MAX_DEPTH = 64

const isPlainish = (u: object): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === null || proto === Object.prototype
}

const hasToJSON = (u: object): u is { toJSON: () => unknown } =>
  "toJSON" in u && typeof (u as { toJSON?: unknown }).toJSON === "function" &&
  (u as { toJSON: (...args: Array<unknown>) => unknown }).toJSON.length === 0

const stringOf = (ctx: Ctx, s: string): string =>
  applyRegions(ctx, s, URL_LIKE.test(s) ? urlRegions(ctx, s) : [])

/** Masks the value of a sensitive key wholesale. */
const maskAny = (ctx: Ctx, value: unknown): unknown => {
  if (value === undefined || value === null) return value
  if (Redacted.isRedacted(value)) return maskRedacted(ctx, value)
  if (typeof value === "string") {
    if (value.length === 0) return value
    learn(ctx, value)
    return maskWhole(ctx, value)
  }
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return maskWhole(ctx, String(value))
  }
  return ctx.mask === "hash" ? maskWhole(ctx, safeStringify(value)) : REDACTED
}

const safeStringify = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

const maskRedacted = (ctx: Ctx, r: Redacted.Redacted<unknown>): string => {
  const inner = Redacted.value(r)
  if (typeof inner === "string") {
    learn(ctx, inner)
    return inner.length === 0 ? REDACTED : maskWhole(ctx, inner)
  }
  return ctx.mask === "hash" ? maskWhole(ctx, safeStringify(inner)) : REDACTED
}

const isSensitiveKey = (ctx: Ctx, key: string): boolean => {
  const k = key.toLowerCase()
  return ctx.compiled.jsonKeys.has(k) || ctx.compiled.headers.has(k)
}

const isHeadersKey = (key: string): boolean => /^(?:request|response)?[_-]?headers$/i.test(key)

/**
 * An Error rebuilt with redacted message, stack, cause and own fields. Its `name` and `_tag`
 * (when a string) are kept so formatters render it the same way.
 */
const redactError = (ctx: Ctx, e: Error, seen: WeakMap<object, unknown>, depth: number): Error => {
  const out = new Error(stringOf(ctx, safeMessage(e)))
  seen.set(e, out)
  out.name = typeof e.name === "string" ? stringOf(ctx, e.name) : "Error"
  out.stack = typeof e.stack === "string" ? stringOf(ctx, e.stack) : `${out.name}: ${out.message}`
  for (const key of Object.keys(e)) {
    if (key === "message" || key === "stack" || key === "name") continue
    const v = (e as unknown as Record<string, unknown>)[key]
    ;(out as unknown as Record<string, unknown>)[key] = isSensitiveKey(ctx, key)
      ? maskAny(ctx, v)
      : go(ctx, v, seen, depth + 1)
  }
  if ("cause" in e && e.cause !== undefined) {
    Object.defineProperty(out, "cause", {
      value: go(ctx, e.cause, seen, depth + 1),
      enumerable: false,
      writable: true,
      configurable: true
    })
  }
  return out
}

const safeMessage = (e: Error): string => {
  try {
    return typeof e.message === "string" ? e.message : String(e.message)
  } catch {
    return "[message threw]"
  }
}

export const go = (ctx: Ctx, value: unknown, seen: WeakMap<object, unknown>, depth: number): unknown => {
  switch (typeof value) {
    case "string":
      return stringOf(ctx, value)
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
    case "symbol":
      return value
    case "function":
      return value
  }
  if (value === null) return value
  const obj = value as object
  if (Redacted.isRedacted(obj)) return maskRedacted(ctx, obj)
  const prior = seen.get(obj)
  if (prior !== undefined) return prior === IN_PROGRESS ? "[Circular]" : prior
  if (depth > MAX_DEPTH) return "[MaxDepth]"
  if (obj instanceof Date || Duration.isDuration(obj)) return obj
  if (obj instanceof Error) return redactError(ctx, obj, seen, depth)
  seen.set(obj, IN_PROGRESS)
  let out: unknown
  if (Array.isArray(obj)) {
    out = obj.map((x) => go(ctx, x, seen, depth + 1))
  } else if (obj instanceof Map) {
    const m = new Map<unknown, unknown>()
    for (const [k, v] of obj) {
      m.set(
        go(ctx, k, seen, depth + 1),
        typeof k === "string" && isSensitiveKey(ctx, k) ? maskAny(ctx, v) : go(ctx, v, seen, depth + 1)
      )
    }
    out = m
  } else if (obj instanceof Set) {
    out = new Set(Array.from(obj, (x) => go(ctx, x, seen, depth + 1)))
  } else if (!isPlainish(obj) && hasToJSON(obj)) {
    let json: unknown
    try {
      json = obj.toJSON()
    } catch {
      json = "[toJSON threw]"
    }
    out = json === obj ? "[Unserializable]" : go(ctx, json, seen, depth + 1)
  } else {
    const rec: Record<string, unknown> = {}
    for (const key of Object.keys(obj)) {
      const v = (obj as Record<string, unknown>)[key]
      if (typeof v === "string" && ctx.compiled.headers.has(key.toLowerCase())) {
        // a header-named field (`authorization: "Bearer …"`) keeps its scheme / cookie names
        rec[key] = applyRegions(ctx, v, headerValueRegions(ctx, key, v))
      } else if (isSensitiveKey(ctx, key)) rec[key] = maskAny(ctx, v)
      else if (isHeadersKey(key) && v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Map)) {
        rec[key] = headersOf(ctx, v as HeadersInput)
      } else rec[key] = go(ctx, v, seen, depth + 1)
    }
    out = rec
  }
  seen.set(obj, out)
  return out
}

const IN_PROGRESS = Symbol("in-progress")

export const headersOf = (ctx: Ctx, headers: HeadersInput): Record<string, string | ReadonlyArray<string> | undefined> => {
  const out: Record<string, string | ReadonlyArray<string> | undefined> = {}
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (v === undefined) out[name] = v
    else if (typeof v === "string") out[name] = applyRegions(ctx, v, headerValueRegions(ctx, name, v))
    else if (Array.isArray(v)) {
      out[name] = (v as ReadonlyArray<unknown>).map((x) =>
        typeof x === "string" ? applyRegions(ctx, x, headerValueRegions(ctx, name, x)) : maskAny(ctx, x) as string
      )
    } else out[name] = maskAny(ctx, v) as string
  }
  return out
}
