/**
 * `@scale/sim/cli`: the `scale-sim` command line as a function, and the zod -> commander flag
 * generator other CLIs reuse. Kept apart from the library entry so library users never load commander.
 */
export { main as scaleSimMain, ScaleSimFlagsSchema, ScaleSimProgramSchema, SCALE_SIM_FLAG_META } from './cli-main.js';
export { addSchemaOptions, givenSchemaOptions, readSchemaOptions, SchemaOptionError } from './schema-options.js';
export type { SchemaOptionMeta, SchemaOptionsMeta } from './schema-options.js';
