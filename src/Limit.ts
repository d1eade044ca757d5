/**
 * A limit: one named token bucket (`Limit.perSecond("rps", 10, { burst: 20 })`, `Limit.perDay`,
 * `Limit.custom`), rolling or in fixed windows aligned to a time zone's wall clock. The value every
 * limiter takes (`RateLimiter.layerMemory`, `RedisLimiter.layer`), the limits store holds and a config
 * decodes, so it is a module of its own, like `Duration`.
 *
 * @since 0.1.0
 */
export * from "./limiter/Limit.js"
