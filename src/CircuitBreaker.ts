/**
 * Circuit breaking: the `CircuitBreaker` service (closed / open / half-open, by consecutive failures
 * or a failure rate over a window), its keyed variant and its errors. The breaker shared by every
 * worker on Redis is `layerCircuitBreaker` in `effect-governor/redis`.
 *
 * @since 0.1.0
 */
export {
  type BreakerSnapshot,
  type BreakerStateName,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerShape,
  defaultClassify,
  KeyedCircuitBreaker,
  type KeyedCircuitBreakerOptions,
  type KeyedCircuitBreakerShape,
  layer,
  layerKeyed,
  make,
  makeKeyed,
  type Permit,
  type StateChange,
  type Transition,
  type Verdict,
  withBreaker
} from "./breaker/CircuitBreaker.js"
export { CircuitOpenError, InvalidCircuitBreakerOptions } from "./breaker/errors.js"
