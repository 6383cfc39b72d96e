import type { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Parses `input` with a zod schema and turns the first problem into a `ConfigError` that names the
 * field by its dotted path (prefixed by `root`) and says what is allowed. Used at every config
 * boundary of the project, so all bad input reads the same way.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, root = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new ConfigError(root || 'config', 'a valid value', input);
  const path = [root, ...issue.path.map(String)].filter((part) => part !== '').join('.');
  let received: unknown = input;
  for (const key of issue.path) {
    received = received !== null && typeof received === 'object' ? (received as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  }
  throw new ConfigError(path || 'config', describeIssue(issue), received);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `${issue.origin === 'number' ? 'a number' : issue.origin} ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `${issue.origin === 'number' ? 'a number' : issue.origin} ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `no unknown keys (got ${issue.keys.join(', ')})`;
    default:
      return issue.message.replace(/^Invalid input: expected /, 'a ').replace(/, received .*$/, '');
  }
}
