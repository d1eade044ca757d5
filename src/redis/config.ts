/**
 * Which Redis to use, read through Effect `Config` (environment variables by default): a cluster
 * when `REDIS_CLUSTER_NODES` is set, Sentinel when `REDIS_SENTINELS` is, else a standalone server
 * at `REDIS_URL`. Passwords are read as `Redacted`.
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Either, Option, type Redacted } from "effect"
import { parseNode, type RedisNode, type RedisTopology } from "./topology.js"

/**
 * The variables read, by default: `REDIS_URL` (redacted; default `redis://127.0.0.1:6379`),
 * `REDIS_CLUSTER_NODES` and `REDIS_SENTINELS` (comma-separated `host:port`), `REDIS_SENTINEL_NAME`
 * (the master's name, required with sentinels), `REDIS_USERNAME`, `REDIS_PASSWORD` (redacted),
 * `REDIS_SENTINEL_PASSWORD` (redacted), `REDIS_PREFIX` (default `"governor"`).
 *
 * @since 0.1.0
 * @category config
 */
export const defaultNames = {
  url: "REDIS_URL",
  clusterNodes: "REDIS_CLUSTER_NODES",
  sentinels: "REDIS_SENTINELS",
  sentinelName: "REDIS_SENTINEL_NAME",
  username: "REDIS_USERNAME",
  password: "REDIS_PASSWORD",
  sentinelPassword: "REDIS_SENTINEL_PASSWORD",
  prefix: "REDIS_PREFIX"
} as const

const DEFAULT_URL = "redis://127.0.0.1:6379"

/** A comma/space separated `host:port` list; InvalidData naming the variable and the bad entry. */
const nodeList = (name: string): Config.Config<Option.Option<ReadonlyArray<RedisNode>>> =>
  Config.option(Config.string(name)).pipe(
    Config.mapOrFail((value) => {
      if (Option.isNone(value)) return Either.right(Option.none())
      const entries = value.value.split(/[\s,]+/).filter((e) => e !== "")
      const nodes: Array<RedisNode> = []
      for (const entry of entries) {
        const node = parseNode(entry)
        if (node === undefined) return Either.left(ConfigError.InvalidData([name], `"${entry.slice(0, 100)}" is not host:port`))
        nodes.push(node)
      }
      if (nodes.length === 0) return Either.left(ConfigError.InvalidData([name], "no host:port given"))
      return Either.right(Option.some(nodes))
    })
  )

const some = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)

/**
 * The topology described by the variables `names` (see {@link defaultNames}). Setting both
 * cluster nodes and sentinels, or sentinels without a master name, is a `ConfigError`.
 *
 * @since 0.1.0
 * @category config
 */
export const topologyConfig = (names: Partial<typeof defaultNames> = {}): Config.Config<RedisTopology> => {
  const n = { ...defaultNames, ...names }
  return Config.all({
    url: Config.option(Config.redacted(n.url)),
    cluster: nodeList(n.clusterNodes),
    sentinels: nodeList(n.sentinels),
    name: Config.option(Config.string(n.sentinelName)),
    username: Config.option(Config.string(n.username)),
    password: Config.option(Config.redacted(n.password)),
    sentinelPassword: Config.option(Config.redacted(n.sentinelPassword)),
    prefix: Config.option(Config.string(n.prefix))
  }).pipe(Config.mapOrFail((c): Either.Either<RedisTopology, ConfigError.ConfigError> => {
    const common = {
      username: some(c.username),
      password: some(c.password),
      prefix: some(c.prefix)
    }
    const chosen: Array<string> = []
    if (Option.isSome(c.cluster)) chosen.push(n.clusterNodes)
    if (Option.isSome(c.sentinels)) chosen.push(n.sentinels)
    if (Option.isSome(c.url)) chosen.push(n.url)
    if (chosen.length > 1) {
      return Either.left(ConfigError.InvalidData([chosen[0]!], `set only one of ${chosen.join(", ")} (one Redis deployment)`))
    }
    if (Option.isSome(c.cluster)) return Either.right({ _tag: "cluster", options: { ...common, nodes: c.cluster.value } })
    if (Option.isSome(c.sentinels)) {
      if (Option.isNone(c.name)) {
        return Either.left(ConfigError.MissingData([n.sentinelName], `${n.sentinels} is set: the name of the master the sentinels monitor is required`))
      }
      return Either.right({
        _tag: "sentinel",
        options: { ...common, sentinels: c.sentinels.value, name: c.name.value, sentinelPassword: some(c.sentinelPassword) }
      })
    }
    const url: Redacted.Redacted<string> | string = Option.getOrElse(c.url, (): Redacted.Redacted<string> | string => DEFAULT_URL)
    return Either.right({ _tag: "standalone", options: { ...common, url } })
  }))
}
