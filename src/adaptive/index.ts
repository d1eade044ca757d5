/**
 * Adaptive rate: learn the real limit of an API from its responses (AIMD with slow start, a learned
 * ceiling and cautious probing), honour Retry-After, and pace by RateLimit headers.
 *
 * @since 0.1.0
 */
export * as AdaptiveController from "./AdaptiveController.js"
export * as Aimd from "./aimd.js"
export * from "./headers.js"
