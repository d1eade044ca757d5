/**
 * Built-in presets as plain data: the documented limits and settings of Notion, Vanta, Fieldguide,
 * GitHub, Stripe (live and test) and OpenAI (`Presets.presets.notion`, `Presets.getPreset(name)`).
 *
 * @since 0.1.0
 */
export * from "./config/presets.js"
