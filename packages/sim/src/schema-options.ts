import { type Command, InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';

/**
 * Command-line flags generated from a zod object schema, so a new setting is one schema field:
 * names (camelCase field -> `--kebab-case`), help text (the field's `.describe()`), allowed range
 * (from `.int()`, `.min()`, `.max()`, `.positive()`), defaults and enum choices all come from the
 * schema. Scalar fields (number, boolean, string, enum, string literal unions) get a flag; a nested
 * object of scalars gets one flag per field (`--parent-child`); anything else (arrays, records) gets
 * none and stays a config-file setting.
 */

/** Per-field overrides, keyed by the field's path (`nodes`, `failures.mtbf`). */
export interface SchemaOptionMeta {
  /** The flag, e.g. `--mtbf` (default: `--` + the field name in kebab case). */
  readonly flag?: string;
  /** Help text (default: the field's `.describe()`). */
  readonly help?: string;
  /** The value's name in the help, e.g. `s` for `--horizon <s>` (default: n, x, name or value by type). */
  readonly valueName?: string;
  /** Leave this field off the command line. */
  readonly skip?: boolean;
}
export type SchemaOptionsMeta = Readonly<Record<string, SchemaOptionMeta>>;

/** A flag value outside what its schema field allows. */
export class SchemaOptionError extends Error {
  override readonly name = 'SchemaOptionError';
  constructor(
    readonly flag: string,
    /** What the field allows, e.g. `an integer from 1 to 100000`. */
    readonly allowed: string,
    readonly received: unknown,
  ) {
    super(`${flag}: expected ${allowed}, got ${received === undefined ? 'nothing' : JSON.stringify(received)}`);
  }
}

type Kind = 'number' | 'boolean' | 'string' | 'enum';

/** One generated flag. */
interface FlagField {
  /** Path of the field in the schema. */
  readonly path: readonly string[];
  readonly flag: string;
  /** Commander's attribute name for the flag. */
  readonly attribute: string;
  readonly kind: Kind;
  readonly allowed: string;
  readonly choices: readonly string[];
  readonly help: string;
  readonly valueName: string;
  readonly defaultValue: unknown;
  readonly hasDefault: boolean;
}

interface Unwrapped {
  readonly inner: z.ZodType;
  readonly description: string | undefined;
  readonly defaultValue: unknown;
  readonly hasDefault: boolean;
}

interface ZodInternals {
  readonly _zod: { readonly def: Record<string, unknown> & { readonly type: string } };
  readonly description?: string;
}

const internals = (schema: z.ZodType): ZodInternals => schema as unknown as ZodInternals;

function unwrap(schema: z.ZodType): Unwrapped {
  let inner = schema;
  let description = internals(schema).description;
  let defaultValue: unknown;
  let hasDefault = false;
  for (;;) {
    const def = internals(inner)._zod.def;
    if (def.type === 'default' || def.type === 'prefault') {
      if (!hasDefault) {
        defaultValue = def['defaultValue'];
        hasDefault = true;
      }
    } else if (def.type !== 'optional' && def.type !== 'readonly' && def.type !== 'nullable') break;
    inner = def['innerType'] as z.ZodType;
    description ??= internals(inner).description;
  }
  return { inner, description, defaultValue, hasDefault };
}

interface NumberCheck {
  readonly check: string;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly format?: string;
}

/** `an integer from 1 to 100000`, `a number > 0`, `a number >= 0`, `an integer >= 0`. */
function numberAllowed(schema: z.ZodType): string {
  const checks = ((internals(schema)._zod.def['checks'] as { _zod: { def: NumberCheck } }[] | undefined) ?? []).map((c) => c._zod.def);
  const integer = checks.some((c) => c.check === 'number_format' && (c.format === 'safeint' || c.format === 'int32'));
  let min: NumberCheck | undefined;
  let max: NumberCheck | undefined;
  for (const c of checks) {
    if (c.check === 'greater_than') min = c;
    if (c.check === 'less_than' && !(integer && c.value === Number.MAX_SAFE_INTEGER)) max = c;
  }
  const noun = integer ? 'an integer' : 'a number';
  if (min?.inclusive && max?.inclusive) return `${noun} from ${min.value} to ${max.value}`;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`${min.inclusive ? '>=' : '>'} ${min.value}`);
  if (max !== undefined) parts.push(`${max.inclusive ? '<=' : '<'} ${max.value}`);
  return parts.length === 0 ? noun : `${noun} ${parts.join(' and ')}`;
}

/** A flag for a scalar schema, or null for a kind the command line does not carry. */
function scalar(schema: z.ZodType): { kind: Kind; allowed: string; choices: readonly string[] } | null {
  const def = internals(schema)._zod.def;
  switch (def.type) {
    case 'number':
      return { kind: 'number', allowed: numberAllowed(schema), choices: [] };
    case 'boolean':
      return { kind: 'boolean', allowed: 'true or false', choices: [] };
    case 'string':
      return { kind: 'string', allowed: 'a string', choices: [] };
    case 'enum': {
      const choices = Object.values(def['entries'] as Record<string, string>);
      return { kind: 'enum', allowed: `one of ${choices.join(', ')}`, choices };
    }
    case 'union': {
      // A union of string literals and strings (e.g. `paper | wfformat:PATH`): a string flag.
      const options = def['options'] as z.ZodType[];
      const kinds = options.map((o) => internals(o)._zod.def.type);
      if (kinds.every((k) => k === 'literal' || k === 'string')) return { kind: 'string', allowed: 'a string', choices: [] };
      return null;
    }
    default:
      return null;
  }
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | null {
  const def = internals(schema)._zod.def;
  return def.type === 'object' ? (def['shape'] as Record<string, z.ZodType>) : null;
}

/** The flags a schema generates, in field order. */
function flagFields(schema: z.ZodObject, meta: SchemaOptionsMeta): FlagField[] {
  const out: FlagField[] = [];
  const visit = (shape: Record<string, z.ZodType>, prefix: readonly string[]): void => {
    for (const [name, field] of Object.entries(shape)) {
      const path = [...prefix, name];
      const key = path.join('.');
      const m = meta[key] ?? {};
      if (m.skip) continue;
      const u = unwrap(field);
      const nested = prefix.length === 0 ? shapeOf(u.inner) : null;
      if (nested !== null) {
        visit(nested, path);
        continue;
      }
      const s = scalar(u.inner);
      if (s === null) continue;
      const flag = m.flag ?? `--${path.map(kebab).join('-')}`;
      const valueName = m.valueName ?? (s.kind === 'number' ? (s.allowed.startsWith('an integer') ? 'n' : 'x') : s.kind === 'enum' ? 'name' : 'value');
      out.push({
        path,
        flag,
        attribute: camel(flag),
        ...s,
        help: m.help ?? u.description ?? '',
        valueName,
        defaultValue: u.defaultValue,
        hasDefault: u.hasDefault,
      });
    }
  };
  visit(schema.shape as Record<string, z.ZodType>, []);
  return out;
}

/** `(default: 16)`: plain values, strings unquoted; nothing for booleans that default to false. */
function defaultText(field: FlagField): string {
  if (!field.hasDefault || field.defaultValue === undefined) return '';
  if (field.kind === 'boolean' && field.defaultValue === false) return '';
  const value = field.defaultValue;
  return ` (default: ${typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)})`;
}

function parseNumberArgument(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(`${flag} must be a number, got "${value}"`);
    return parsed;
  };
}

/**
 * Adds one option per scalar field of `schema` to `command`: `--kebab-name <value>` with the field's
 * description, allowed range and default in the help, and the enum's choices. Defaults are not set
 * on the command (they show in the help only), so `readSchemaOptions` sees exactly the flags given
 * and the schema applies its own defaults.
 */
export function addSchemaOptions(command: Command, schema: z.ZodObject, meta: SchemaOptionsMeta = {}): Command {
  for (const field of flagFields(schema, meta)) {
    const range = field.kind === 'number' ? ` (${field.allowed})` : '';
    const help = `${field.help}${range}${defaultText(field)}`;
    if (field.kind === 'boolean') {
      command.addOption(new Option(field.flag, help));
      if (field.defaultValue === true) command.addOption(new Option(`--no-${field.flag.slice(2)}`, `turn ${field.flag} off`));
      continue;
    }
    const option = new Option(`${field.flag} <${field.valueName}>`, help);
    if (field.kind === 'number') option.argParser(parseNumberArgument(field.flag));
    if (field.kind === 'enum') option.choices(field.choices);
    command.addOption(option);
  }
  return command;
}

/**
 * The config a command line describes: the flags `addSchemaOptions` added (commander's `opts()`),
 * put back at their schema paths and parsed by `schema` once (defaults applied). Flags not given are
 * left to the schema's defaults. Throws `SchemaOptionError` naming the flag and its allowed range.
 */
export function readSchemaOptions<S extends z.ZodObject>(schema: S, commanderOpts: Readonly<Record<string, unknown>>, meta: SchemaOptionsMeta = {}): z.output<S> {
  const fields = flagFields(schema, meta);
  const input = schemaOptionsInput(fields, commanderOpts);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? []).map(String);
  const field = fields.find((f) => f.path.join('.') === path.join('.')) ?? fields.find((f) => f.path.join('.') === path.slice(0, f.path.length).join('.'));
  if (field === undefined) throw new SchemaOptionError(path.join('.') || 'options', issue?.message ?? 'a valid value', undefined);
  let received: unknown = input;
  for (const key of field.path) received = received !== null && typeof received === 'object' ? (received as Record<string, unknown>)[key] : undefined;
  throw new SchemaOptionError(field.flag, field.allowed, received);
}

/**
 * Only the flags given, at their schema paths (nothing parsed, no defaults): for callers that pass
 * user input on to an entry point that parses it (and treats given settings as explicit).
 */
export function givenSchemaOptions(schema: z.ZodObject, commanderOpts: Readonly<Record<string, unknown>>, meta: SchemaOptionsMeta = {}): Record<string, unknown> {
  return schemaOptionsInput(flagFields(schema, meta), commanderOpts);
}

function schemaOptionsInput(fields: readonly FlagField[], commanderOpts: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of fields) {
    const value = commanderOpts[field.attribute];
    if (value === undefined) continue;
    let target = input;
    for (const key of field.path.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[field.path[field.path.length - 1] as string] = value;
  }
  return input;
}
