/** The Redis entry point, once its optional peer `ioredis` is installed: it loads and type-checks. */
import * as GovernorRedis from "effect-governor/redis"

const names = Object.keys(GovernorRedis)
console.log(`${names.length > 0 ? "ok    " : "FAILED"} effect-governor/redis exports ${names.join(", ")}`)
if (names.length === 0) process.exit(1)
