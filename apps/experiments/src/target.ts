import type { JobPlan } from './plan.js';
import type { TableContext } from './results.js';
import type { Table } from './table.js';

/** What a target writes besides its tables (a figure), and what `summary.md` shows of it. */
export interface TargetFiles {
  /** File names, relative to the out dir. */
  readonly written: readonly string[];
  /** Markdown lines for `summary.md` (e.g. the figure's image). */
  readonly summary: readonly string[];
}

/** The tables' context plus the reproduction's directory, for targets that write their own files. */
export interface ReportContext extends TableContext {
  readonly outDir: string;
}

/**
 * One thing `scale reproduce` can produce: the jobs it needs and the tables (and other files) it
 * makes from their results. Adding a target is one module under `targets/` and one line in the
 * registry (`targets.ts`).
 */
export interface Target<Id extends string = string> {
  /** The name on the command line, and of its tables' files. */
  readonly id: Id;
  /** Whether `all` includes it; `real` joins only when its workflows are given. */
  readonly inAll: (workload: string | null) => boolean;
  /** Adds the training runs and evaluations it needs (shared ones are planned once). */
  jobs(plan: JobPlan): void;
  /** Its tables from the results there are (unfinished cells read `pending`). */
  tables(context: TableContext): readonly Table[];
  /** Writes its other files into the out dir. */
  files?(context: ReportContext): Promise<TargetFiles>;
}

/** Declares a target, keeping its id's literal type (the registry derives the target names from it). */
export function defineTarget<const Id extends string>(target: Target<Id>): Target<Id> {
  return target;
}
