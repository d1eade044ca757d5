/**
 * Adaptive rate: the `AdaptiveController` service learns the real limit of an API from its answers
 * (429s, Retry-After, backoff statuses, RateLimit headers) and paces the `RateLimiter` just below it.
 * `parseRateLimitHeaders` reads the `X-RateLimit-*`, GitHub and IETF `RateLimit` header forms it paces
 * by. The state machine itself (`src/adaptive/aimd.ts`) is internal; its state type is here for
 * custom stores. So are the options' resolution and the reading of an outcome (machinery).
 *
 * @since 0.1.0
 */
export {
  AdaptiveController,
  type AdaptiveControllerShape,
  type ControllerStore,
  InvalidAdaptiveOptions,
  layer,
  layerWithStore,
  make,
  makeMemoryStore,
  makeWithStore,
  type Options,
  type Outcome,
  type Snapshot
} from "./adaptive/AdaptiveController.js"
export type { AimdState, Phase, RateSource } from "./adaptive/aimd.js"
export {
  headerPace,
  type HeaderInput,
  type HeaderIssue,
  parseRateLimitHeaders,
  type ParsedRateLimitHeaders,
  type RateLimitInfo,
  type RateLimitSource
} from "./adaptive/headers.js"
