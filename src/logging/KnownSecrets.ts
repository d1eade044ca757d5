/**
 * The process-wide set of known secrets: values every redacting logger masks in every line, whoever
 * wrote it (the program's own `Effect.logWarning(`… ${token}`)` included). A client registers its
 * token for the lifetime of its scope; registrations are counted, so two clients sharing a token keep
 * it known until both are closed.
 *
 * Loggers are built once, secrets come and go: {@link follow} gives a logger the redactor extended with
 * the current set, rebuilt only when the set changes.
 *
 * @since 0.1.0
 */
import { Effect, Redacted, type Scope } from "effect"
import { globalValue } from "effect/GlobalValue"
import { LEARN_MIN_LENGTH, type Redactor } from "./redact.js"

interface State {
  readonly counts: Map<string, number>
  version: number
  secrets: ReadonlyArray<string>
}

const state = globalValue<State>("effect-governor/KnownSecrets", () => ({ counts: new Map(), version: 0, secrets: [] }))

const changed = (): void => {
  state.version++
  state.secrets = Array.from(state.counts.keys())
}

const add = (secret: string): void => {
  const n = state.counts.get(secret) ?? 0
  state.counts.set(secret, n + 1)
  if (n === 0) changed()
}

const remove = (secret: string): void => {
  const n = state.counts.get(secret) ?? 0
  if (n > 1) state.counts.set(secret, n - 1)
  else if (n === 1) {
    state.counts.delete(secret)
    changed()
  }
}

/**
 * Makes `secret` known to every redacting logger until the scope closes. Values shorter than
 * {@link LEARN_MIN_LENGTH} are not registered: masking every occurrence of a 3-character string in
 * every line would garble the logs (and no real credential is that short).
 *
 * @since 0.1.0
 */
export const register = (secret: string | Redacted.Redacted<string>): Effect.Effect<void, never, Scope.Scope> => {
  const value = Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
  return value.length < LEARN_MIN_LENGTH
    ? Effect.void
    : Effect.acquireRelease(Effect.sync(() => add(value)), () => Effect.sync(() => remove(value)))
}

/**
 * The secrets known right now.
 *
 * @since 0.1.0
 */
export const current = (): ReadonlyArray<string> => state.secrets

/**
 * `redactor` plus the known secrets, as of each call (rebuilt only after a change of the set).
 *
 * @since 0.1.0
 */
export const follow = (redactor: Redactor): () => Redactor => {
  let seen = -1
  let extended = redactor
  return () => {
    if (seen !== state.version) {
      seen = state.version
      extended = state.secrets.length === 0 ? redactor : redactor.withSecrets(state.secrets)
    }
    return extended
  }
}
