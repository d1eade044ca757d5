/**
 * The state of one redaction call: the compiled rules, the mask, and the secrets known so far
 * (configured ones plus those learned from a sensitive name during the call).
 *
 * @since 0.1.0
 * @internal
 */
import { addSecretForms, type Compiled } from "./compile.js"
import { isMask, type MaskStyle, maskWith, REDACTED } from "./mask.js"

/**
 * Values found through a rule are masked everywhere else in the same call only when they have at
 * least this many characters (masking every `"1"` after a one-character password would destroy
 * the log line and reveal the password by its absence).
 *
 * @since 0.1.0
 */
export const LEARN_MIN_LENGTH = 6

export interface Ctx {
  readonly compiled: Compiled
  readonly mask: MaskStyle
  /** Known secrets of this call (compiled ones plus learned ones). */
  readonly forms: Map<string, string>
  /** Newly learned during this pass. */
  learned: boolean
}

export const newCtx = (compiled: Compiled, mask: MaskStyle): Ctx => ({
  compiled,
  mask,
  forms: new Map(compiled.secretForms),
  learned: false
})

export const learn = (ctx: Ctx, value: string): void => {
  if (value.length < LEARN_MIN_LENGTH || ctx.forms.has(value) || isMask(value)) return
  addSecretForms(ctx.forms, value)
  ctx.learned = true
}

export const containsKnown = (ctx: Ctx, text: string): boolean => {
  for (const form of ctx.forms.keys()) {
    if (text.includes(form)) return true
  }
  return false
}

/** Masks a value found by a rule: a known secret gets its own mask; a value containing one is never partially shown. */
export const maskWhole = (ctx: Ctx, value: string): string => {
  if (isMask(value)) return value
  const original = ctx.forms.get(value)
  if (original !== undefined) return maskWith(original, ctx.mask, ctx.compiled.salt)
  if (ctx.mask === "partial" && containsKnown(ctx, value)) return REDACTED
  return maskWith(value, ctx.mask, ctx.compiled.salt)
}

/**
 * Runs `f` once; if it learned new secrets (a value under a sensitive name that may appear
 * elsewhere in the same input), runs it again so every occurrence is masked.
 */
export const twoPass = <A>(compiled: Compiled, mask: MaskStyle, f: (ctx: Ctx) => A): A => {
  const ctx = newCtx(compiled, mask)
  const first = f(ctx)
  if (!ctx.learned) return first
  ctx.learned = false
  return f(ctx)
}
