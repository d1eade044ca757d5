/**
 * `effect-governor limits plan|diff|apply FILE`, `limits get ENTITY`, `limits audit`: limits stored
 * in Redis, managed from a declarative file. `plan`/`diff` exit 3 when the store differs from the
 * file (0 when not); `apply` writes each entry atomically and conditionally (a concurrent change
 * fails it with exit 1 instead of being overwritten), and writes nothing the second time.
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import type { FileSystem } from "@effect/platform"
import { Config, Console, Duration, Effect, Layer, Option, Redacted, Schema, Stream } from "effect"
import * as os from "node:os"
import type { InvalidConfig } from "../../config/errors.js"
import { applyChanges } from "../../limits/apply.js"
import * as LimitsFile from "../../limits/LimitsFile.js"
import * as LimitsResolver from "../../limits/LimitsResolver.js"
import { LimitsStore } from "../../limits/LimitsStore.js"
import { ANY_RESOURCE, entity as entityTarget, EntityId, parseKey, resource as resourceTarget } from "../../limits/model.js"
import { type Change, plan } from "../../limits/plan.js"
import { decodeDuration } from "../../internal/duration.js"
import { layerLimitsStore } from "../../redis/limitsStore.js"
import { layerTenantLimiter } from "../../redis/tenantLimiter.js"
import { TenantLimiter } from "../../tenants/TenantLimiter.js"
import * as Redis from "../../redis/Redis.js"
import { CliFailure, failure, pending, usage } from "../errors.js"
import { eventJson, renderChanges, renderEntity, renderEvent, summary } from "../limitsFormat.js"
import { renderCapacity, renderUsage } from "../usageFormat.js"
import { formatConfigError } from "./inspect.js"

const redisUrl = Options.redacted("redis").pipe(
  Options.withDescription(
    "URL of a standalone Redis (redis://user:pass@host:port/db, rediss:// for TLS). Default: the library's Redis configuration " +
      "(Redis.layerConfig): $REDIS_CLUSTER_NODES (a cluster), $REDIS_SENTINELS + $REDIS_SENTINEL_NAME (Sentinel), or $REDIS_URL " +
      "(default redis://127.0.0.1:6379), with $REDIS_USERNAME / $REDIS_PASSWORD. Never printed."
  ),
  Options.optional
)
const prefix = Options.text("prefix").pipe(
  Options.withDescription("Key namespace of the stores (as `Redis.layer({ prefix })`); default $REDIS_PREFIX, else governor."),
  Options.optional
)
const connection = { redis: redisUrl, prefix }
type Connection = { readonly redis: Option.Option<Redacted.Redacted<string>>; readonly prefix: Option.Option<string> }

/**
 * The Redis to use, as the library reads it (`Redis.topologyConfig`), with `--redis` standing for a
 * standalone URL and `--prefix` for the namespace. Bad settings are bad input (exit 2), named by variable.
 */
const topologyOf = (o: Connection): Effect.Effect<Redis.RedisTopology, CliFailure> => {
  const configured: Config.Config<Redis.RedisTopology> = Option.match(o.redis, {
    onNone: () => Redis.topologyConfig(),
    onSome: (url) =>
      Config.map(Config.option(Config.string(Redis.defaultNames.prefix)), (p) => ({
        _tag: "standalone" as const,
        options: { url, prefix: Option.getOrUndefined(p) }
      }))
  })
  return Effect.mapError(configured, (e) => usage(`Redis configuration: ${String(e)}`)).pipe(
    Effect.map((t) => Option.isNone(o.prefix) ? t : { ...t, options: { ...t.options, prefix: o.prefix.value } } as Redis.RedisTopology)
  )
}
const file = Args.file({ name: "file", exists: "either" }).pipe(Args.withDescription("Limits file: JSON, or YAML when it ends in .yaml/.yml."))
const prune = Options.boolean("prune").pipe(
  Options.withDescription("Also delete stored entries the file does not declare (by default they are left alone).")
)

/**
 * Check the input (`input`: a file, an entity, flags; then the Redis settings), and only then
 * connect and run `program` on the Redis limits store: bad input exits 2 whether Redis is reachable
 * or not. Store failures exit 1 with their message (never the URL or a password).
 */
const withStore = <I, A, E extends { readonly message: string }, R>(
  options: Connection,
  input: Effect.Effect<I, CliFailure, FileSystem.FileSystem>,
  program: (input: I) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const checked = yield* input
    const topology = yield* topologyOf(options)
    const store = layerLimitsStore().pipe(Layer.provideMerge(Redis.layerConfig(Config.succeed(topology), { requireConnection: true })))
    return yield* Effect.provide(program(checked), store)
  }).pipe(Effect.mapError((e) => (e instanceof CliFailure ? e : failure(e.message))))

const loadFile = (path: string): Effect.Effect<LimitsFile.LimitsFile, CliFailure, FileSystem.FileSystem> =>
  LimitsFile.load(path).pipe(Effect.mapError((e: InvalidConfig) => usage(formatConfigError(e))))

const planFile = (file: LimitsFile.LimitsFile, withPrune: boolean) =>
  Effect.map(Effect.flatMap(LimitsStore, (s) => s.texts), (current) => plan(LimitsFile.entries(file), current, { prune: withPrune }))

const report = (fields: boolean) => (changes: ReadonlyArray<Change>) =>
  changes.length === 0
    ? Console.log("no changes: the store matches the file")
    : Effect.zipRight(Console.log(renderChanges(changes, { fields })), Effect.fail(pending(summary(changes, "pending"))))

const planCommand = Command.make("plan", { ...connection, file, prune }, (o) =>
  withStore(o, loadFile(o.file), (f) => Effect.flatMap(planFile(f, o.prune), report(false)))).pipe(
    Command.withDescription("List what `apply` would create (+), update (~) or delete (-). Exit 0: nothing would change; 3: changes pending.")
  )

const diffCommand = Command.make("diff", { ...connection, file, prune }, (o) =>
  withStore(o, loadFile(o.file), (f) => Effect.flatMap(planFile(f, o.prune), report(true)))).pipe(
    Command.withDescription("Like plan, with every differing field (limits by name) before -> after. Exit 0: no difference; 3: changes pending.")
  )

const source = Options.text("source").pipe(
  Options.withDescription("Who makes the change, kept in each audit event; default cli:<os user>."),
  Options.optional
)

const applyCommand = Command.make("apply", { ...connection, file, prune, source }, (o) =>
  withStore(o, loadFile(o.file), (f) =>
    Effect.gen(function*() {
      const changes = yield* planFile(f, o.prune)
      if (changes.length === 0) return yield* Console.log("no changes: the store matches the file")
      const who = Option.getOrElse(o.source, () => `cli:${os.userInfo().username}`)
      const events = yield* applyChanges(changes, who)
      yield* Console.log(renderChanges(changes, { fields: false }))
      yield* Console.log(summary(changes, `applied, ${events.length} audit event${events.length === 1 ? "" : "s"}`))
    })
  )).pipe(
    Command.withDescription(
      "Write the file's limits to the store: each entry atomically and only if unchanged since it was read (else exit 1, plan again). Running it twice writes nothing."
    )
  )

const resources = Options.text("resource").pipe(
  Options.withDescription("Resolve for this resource (repeatable); default: every stored resource and the entity's own overrides."),
  Options.repeated
)

const getCommand = Command.make("get", { ...connection, entity: Args.text({ name: "entity" }), resources }, (o) =>
  withStore(o, Schema.validate(EntityId)(o.entity).pipe(Effect.mapError((e) => usage(`ENTITY: ${e.message}`))), () =>
    Effect.gen(function*() {
      const store = yield* LimitsStore
      const stored = Option.getOrUndefined(yield* store.get(entityTarget(o.entity)))
      const known = [...(yield* store.texts).keys()].flatMap((k) => {
        const t = parseKey(k)
        return t?.kind === "resource" ? [t.name] : []
      })
      const own = stored?.kind === "entity" ? Object.keys(stored.settings.limits).filter((r) => r !== ANY_RESOURCE) : []
      const names = o.resources.length > 0 ? o.resources : [...new Set([...known, ...own])].sort()
      const resolver = yield* LimitsResolver.make()
      const chains = yield* Effect.forEach(names, (r) => resolver.resolveChain(o.entity, r))
      yield* Console.log(renderEntity(o.entity, stored, chains))
    })
  )).pipe(Command.withDescription("Show an entity's stored parent and overrides, and which limits apply per resource for it and each ancestor (and from which level)."))

const auditCommand = Command.make("audit", {
  ...connection,
  entity: Options.text("entity").pipe(Options.withDescription("Only this entity's events."), Options.optional),
  resource: Options.text("resource").pipe(Options.withDescription("Only this resource default's events."), Options.optional),
  limit: Options.integer("limit").pipe(Options.withDescription("The newest N events (default 20)."), Options.withDefault(20)),
  json: Options.boolean("json").pipe(Options.withDescription("One JSON object per line."))
}, (o) => {
  const target = Effect.suspend(() => {
    if (Option.isSome(o.entity) && Option.isSome(o.resource)) return Effect.fail(usage("audit takes --entity or --resource, not both"))
    if (o.limit < 1) return Effect.fail(usage("--limit must be at least 1"))
    return Effect.succeed(
      Option.isSome(o.entity) ? entityTarget(o.entity.value) : Option.isSome(o.resource) ? resourceTarget(o.resource.value) : undefined
    )
  })
  return withStore(o, target, (t) =>
    Effect.flatMap(LimitsStore, (store) =>
      Stream.runForEach(store.audit({ target: t, limit: o.limit }), (e) => Console.log(o.json ? eventJson(e) : renderEvent(e)))))
}).pipe(Command.withDescription("Print the kept audit events (oldest first): when, what, who, and each changed field."))

/** Run `program` with the Redis tenant limiter (and the limits store it resolves hierarchies from), once `input` is checked. */
const withTenants = <I, A, E extends { readonly message: string }>(
  options: Connection,
  input: Effect.Effect<I, CliFailure>,
  program: (input: I) => Effect.Effect<A, E, TenantLimiter>
) =>
  withStore(options, input, (i) =>
    program(i).pipe(Effect.provide(layerTenantLimiter().pipe(Layer.provide(LimitsResolver.layer({ ttl: "1 minute" }))))))

const entityArg = Args.text({ name: "entity" }).pipe(Args.withDescription("The entity (a customer, a user)."))
const validEntity = (entity: string) => Schema.validate(EntityId)(entity).pipe(Effect.mapError((e) => usage(`ENTITY: ${e.message}`)))

const usageCommand = Command.make("usage", {
  ...connection,
  entity: entityArg,
  window: Options.text("window").pipe(
    Options.withDescription("How far back: \"1 hour\" (default), \"30 minutes\", \"1 day\" (at most the ring's length)."),
    Options.withDefault("1 hour")
  ),
  json: Options.boolean("json").pipe(Options.withDescription("The usage as one JSON object."))
}, (o) =>
  withTenants(
    o,
    Effect.gen(function*() {
      yield* validEntity(o.entity)
      const window = decodeDuration(o.window)
      if (Option.isNone(window) || Duration.toMillis(window.value) <= 0) return yield* usage(`--window: expected a duration such as "1 hour", got ${JSON.stringify(o.window)}`)
      return window.value
    }),
    (window) =>
      Effect.gen(function*() {
        const found = yield* Effect.flatMap(TenantLimiter, (t) => t.usage(o.entity, window))
        yield* Console.log(o.json ? JSON.stringify(found) : renderUsage(found))
      })
  )).pipe(Command.withDescription("What an entity consumed per interval (every level counts: a customer's usage includes its users'), as a table and a chart per resource and limit."))

const capacityCommand = Command.make("capacity", {
  ...connection,
  entity: entityArg,
  resource: Options.text("resource").pipe(Options.withDescription("The resource called (an API, an endpoint)."))
}, (o) =>
  withTenants(o, validEntity(o.entity), () =>
    Effect.flatMap(
      Effect.flatMap(TenantLimiter, (t) => t.capacity(o.entity, o.resource)),
      (found) => Console.log(renderCapacity(found))
    ))).pipe(Command.withDescription("Tokens available now per limit at the entity and every ancestor, and when each bucket is full."))

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("limits").pipe(
  Command.withDescription(
    "Limits stored in Redis: plan/diff/apply a limits file, get an entity, read the audit events, an entity's usage and capacity. Exit codes: 0 ok (plan/diff: nothing would change), 1 runtime failure, 2 bad input, 3 changes pending."
  ),
  Command.withSubcommands([planCommand, diffCommand, applyCommand, getCommand, auditCommand, usageCommand, capacityCommand])
)
