/** The registry of bench groups, in the order `npm run bench` runs them. */
import type { BenchGroup } from "./harness.js"
import { group as adaptive } from "./adaptive.js"
import { group as cache } from "./cache.js"
import { group as client } from "./client.js"
import { group as limiter } from "./limiter.js"
import { group as redis } from "./redis.js"
import { group as resilience } from "./resilience.js"

export const groups: ReadonlyArray<BenchGroup> = [limiter, client, cache, redis, adaptive, resilience]
