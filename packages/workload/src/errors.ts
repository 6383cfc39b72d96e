/** A configuration value outside its allowed range or of the wrong kind. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** Dotted path of the offending field, e.g. `generator.compute.mean`. */
    readonly field: string,
    /** What the field allows, e.g. `an integer in [1, 100000]`. */
    readonly expected: string,
    /** The value that was given. */
    readonly received: unknown,
  ) {
    super(`${field}: expected ${expected}, received ${formatValue(received)}`);
  }
}

/** A workflow DAG that is not a valid DAG of positive demands. */
export class WorkflowValidationError extends Error {
  override readonly name = 'WorkflowValidationError';
  constructor(
    readonly workflow: number | string,
    readonly task: number | string | null,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`workflow ${workflow}${task === null ? '' : `, task ${task}`}: ${field} ${problem}`);
  }
}

/** A WfFormat document the importer cannot read. */
export class WfFormatError extends Error {
  override readonly name = 'WfFormatError';
  constructor(
    readonly source: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${source}: ${field} ${problem}`);
  }
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
