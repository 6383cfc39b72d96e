/**
 * Limits on the sizes the project accepts, defined once and imported wherever a schema or check
 * needs them, so every layer (sim, env, model, CLIs) agrees.
 */

/** Most servers in one cluster (N). DESIGN.md targets N up to 1,024; this leaves room for stress runs. */
export const MAX_SERVERS = 100_000;
