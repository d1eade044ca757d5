/**
 * The `ConfigRegistry` service: the named API configs a program knows (the built-in presets plus its
 * own), and the errors of looking one up or registering one twice.
 *
 * @since 0.1.0
 */
export * from "./config/ConfigRegistry.js"
export { DuplicateApiConfig, UnknownApiConfig } from "./config/errors.js"
