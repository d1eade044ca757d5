/**
 * Built-in configs for APIs whose limits are documented (or known to be undocumented), with the source
 * of each figure in `documentedLimit`. Base URLs are the vendors' real ones; they are only data here.
 *
 * Conventions shared by the presets: `limits` carry the documented figure; `adaptive.initialRate` starts at
 * the documented sustained rate, `maxRate` allows probing to about twice it (vendors understate limits too),
 * `minRate` is about a tenth of it. Bursts are kept small where the vendor's window is unknown, so a rolling
 * bucket can never send much more than the documented amount inside the vendor's window.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { type ApiConfig, type ApiConfigEncoded, decode } from "./ApiConfig.js"

/**
 * Names of the built-in presets.
 *
 * @since 0.1.0
 * @category models
 */
export type PresetName = "notion" | "vanta" | "fieldguide" | "github" | "stripe" | "stripe-test" | "openai"

/**
 * The presets in their JSON-friendly form (what a config file with the same content would hold).
 *
 * @since 0.1.0
 * @category presets
 */
export const presetInputs: { readonly [K in PresetName]: ApiConfigEncoded } = {
  notion: {
    name: "notion",
    baseUrl: "https://api.notion.com/v1",
    documentedLimit:
      "Notion: an average of 3 requests per second per integration; some bursts beyond the average are allowed (burst size not published). Excess requests get HTTP 429 (code \"rate_limited\") with a Retry-After header in seconds. Source: https://developers.notion.com/reference/request-limits",
    limits: [{ name: "requests", limit: 3, per: "second", burst: 5 }],
    adaptive: { enabled: true, initialRate: 3, minRate: 0.3, maxRate: 6 },
    retry: { maxRetries: 5, respectRetryAfter: true },
    headers: { "Notion-Version": "2022-06-28" },
    auth: { scheme: "bearer", env: "NOTION_TOKEN" }
  },
  vanta: {
    name: "vanta",
    baseUrl: "https://api.vanta.com/v1",
    documentedLimit:
      "Vanta: limits differ per endpoint group and are listed in the API overview (https://developer.vanta.com/reference/overview); the OAuth token endpoint (/oauth/token) allows 5 requests/minute shared across all APIs; the REST introduction stated 100 requests/minute per OAuth application. Excess requests get HTTP 429; Vanta recommends exponential backoff. This preset uses 50 requests/minute as a conservative figure for the Manage Vanta endpoints.",
    // 50/minute refilled as 5 every 6 s, so at most 5 go out at once.
    limits: [{ name: "requests", capacity: 5, refillAmount: 5, refillPeriod: "6 seconds" }],
    adaptive: { enabled: true, initialRate: 0.83, minRate: 0.08, maxRate: 1.66 },
    retry: { maxRetries: 5, initialDelay: "1 second" },
    auth: { scheme: "bearer", env: "VANTA_TOKEN" }
  },
  fieldguide: {
    name: "fieldguide",
    baseUrl: "https://api.fieldguide.io",
    documentedLimit:
      "Fieldguide: no rate limit is published (Fieldguide API documentation, https://fieldguide.notion.site/Fieldguide-API-Documentation-650f03765dc0402c96ccb750ecd70eda). Undocumented, so this preset is conservative: 1 request/second, 2 in flight, and the adaptive controller probes up to 5/s while backing off on 429/503.",
    limits: [{ name: "requests", limit: 1, per: "second", burst: 2 }],
    adaptive: { enabled: true, initialRate: 1, minRate: 0.1, maxRate: 5 },
    bulkhead: { maxConcurrent: 2, maxQueue: 100 },
    retry: { maxRetries: 4, initialDelay: "1 second" },
    auth: { scheme: "bearer", env: "FIELDGUIDE_TOKEN" }
  },
  github: {
    name: "github",
    baseUrl: "https://api.github.com",
    documentedLimit:
      "GitHub REST: primary limit 5,000 requests/hour for an authenticated user (15,000 for GitHub App installations on Enterprise Cloud); secondary limits: no more than 100 concurrent requests, no more than 900 points/minute for REST (GET/HEAD/OPTIONS 1 point, POST/PATCH/PUT/DELETE 5 points), no more than 80 content-creating requests/minute and 500/hour. Headers: X-RateLimit-Limit/Remaining/Used/Reset (epoch seconds); 403 or 429 with Retry-After on secondary limits. Source: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api. Here the hourly budget refills evenly (25 every 18 s = 5,000/hour) from a bucket of 100, and points at 15/s from a bucket of 60, so no rolling window can run far ahead of GitHub's; charge writes 5 points with a cost map { \"secondary-points\": 5 }.",
    limits: [
      { name: "primary", capacity: 100, refillAmount: 25, refillPeriod: "18 seconds" },
      { name: "secondary-points", capacity: 60, refillAmount: 15, refillPeriod: "1 second" }
    ],
    adaptive: { enabled: true, initialRate: 1.39, minRate: 0.14, maxRate: 2.78 },
    bulkhead: { maxConcurrent: 50, maxQueue: 500 },
    retry: { maxRetries: 5, respectRetryAfter: true, retryOnStatus: [408, 425, 429, 500, 502, 503, 504] },
    headers: { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" },
    auth: { scheme: "bearer", env: "GITHUB_TOKEN" }
  },
  stripe: {
    name: "stripe",
    baseUrl: "https://api.stripe.com",
    documentedLimit:
      "Stripe live mode: 100 read operations and 100 write operations per second; test mode (sandboxes): 25 each; some endpoints (Search, Files, …) have lower limits, and a concurrency limiter applies. Excess requests get HTTP 429; Stripe sends Stripe-Should-Retry and honours Idempotency-Key on POST. Source: https://docs.stripe.com/rate-limits. Charge { read: 1 } or { write: 1 } per request for the separate budgets; a plain cost of 1 charges both (100/s overall).",
    limits: [
      { name: "read", limit: 100, per: "second" },
      { name: "write", limit: 100, per: "second" }
    ],
    adaptive: { enabled: true, initialRate: 100, minRate: 10, maxRate: 200 },
    bulkhead: { maxConcurrent: 25, maxQueue: 1000 },
    retry: { maxRetries: 3, idempotencyKey: "generate" },
    auth: { scheme: "bearer", env: "STRIPE_API_KEY" }
  },
  "stripe-test": {
    name: "stripe-test",
    baseUrl: "https://api.stripe.com",
    documentedLimit:
      "Stripe test mode (sandboxes): 25 read operations and 25 write operations per second. Source: https://docs.stripe.com/rate-limits",
    limits: [
      { name: "read", limit: 25, per: "second" },
      { name: "write", limit: 25, per: "second" }
    ],
    adaptive: { enabled: true, initialRate: 25, minRate: 2.5, maxRate: 50 },
    bulkhead: { maxConcurrent: 10, maxQueue: 1000 },
    retry: { maxRetries: 3, idempotencyKey: "generate" },
    auth: { scheme: "bearer", env: "STRIPE_API_KEY" }
  },
  openai: {
    name: "openai",
    baseUrl: "https://api.openai.com/v1",
    documentedLimit:
      "OpenAI: requests per minute (RPM) and tokens per minute (TPM), plus per-day limits on some models; the figures depend on the model and the usage tier. This preset assumes tier-1 defaults of the gpt-4o class: 500 RPM and 30,000 TPM; set your own from the account's limits page. Headers: x-ratelimit-limit/remaining/reset-requests and -tokens; 429 on excess. Source: https://platform.openai.com/docs/guides/rate-limits. Charge { rpm: 1, tpm: <estimated tokens> } per request. POST is retried (as the official SDKs do: 429 and 5xx mean the request was not processed).",
    limits: [
      // 500/minute refilled as 25 every 3 s from a bucket of 50.
      { name: "rpm", capacity: 50, refillAmount: 25, refillPeriod: "3 seconds" },
      { name: "tpm", limit: 30000, per: "minute" }
    ],
    adaptive: { enabled: true, initialRate: 8.33, minRate: 0.83, maxRate: 16.66 },
    retry: {
      maxRetries: 2,
      retryOnStatus: [408, 409, 429, 500, 502, 503, 504],
      retryNonIdempotent: true,
      totalBudget: "5 minutes"
    },
    timeouts: { attempt: "10 minutes", overall: "15 minutes" },
    auth: { scheme: "bearer", env: "OPENAI_API_KEY" }
  }
}

/**
 * Names of the built-in presets, in a stable order.
 *
 * @since 0.1.0
 * @category presets
 */
export const presetNames: ReadonlyArray<PresetName> = Object.keys(presetInputs) as Array<PresetName>

// Presets are static data checked by the test suite; decoding them at load time makes a broken preset
// fail loudly at import rather than at first use.
const decoded = Object.fromEntries(
  presetNames.map((name) => [name, Effect.runSync(decode(presetInputs[name], `preset "${name}"`))])
) as { readonly [K in PresetName]: ApiConfig }

/**
 * The presets, decoded.
 *
 * @since 0.1.0
 * @category presets
 */
export const presets: { readonly [K in PresetName]: ApiConfig } = decoded

/**
 * Is `name` a built-in preset?
 *
 * @since 0.1.0
 * @category presets
 */
export const isPresetName = (name: string): name is PresetName => Object.prototype.hasOwnProperty.call(presets, name)

/**
 * A built-in preset by name, or `undefined`. For Effect code with user-registered configs too, use
 * `ConfigRegistry`.
 *
 * @example
 * ```ts
 * import { Presets } from "effect-governor"
 * Presets.getPreset("notion")?.limits[0]?.ratePerSecond // 3
 * ```
 * @since 0.1.0
 * @category presets
 */
export const getPreset = (name: string): ApiConfig | undefined => (isPresetName(name) ? presets[name] : undefined)
