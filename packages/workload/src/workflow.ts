import { WorkflowValidationError } from './errors.js';

/** One primitive of a workflow DAG (DESIGN.md section 2). */
export interface Task {
  /** Id unique within its workflow; `parents` refer to these ids. */
  readonly id: number;
  /** Compute demand `c_i` in GFLOP. */
  readonly compute: number;
  /** Memory demand `m_i` in GB. */
  readonly memory: number;
  /** Output data volume `d_i` in GB (what a child on another server must receive). */
  readonly output: number;
  /** Ids of the tasks this one waits for. The first parent is the one the reward's transfer term uses. */
  readonly parents: readonly number[];
  /**
   * Optional per-edge data volume in GB, aligned with `parents` (imported traces know the exact files
   * each edge carries). When absent, an edge carries the parent's whole `output`.
   */
  readonly parentData?: readonly number[];
  /** Optional human label (e.g. the WfFormat task name). */
  readonly name?: string;
}

/** A workflow DAG with its arrival time in seconds. */
export interface Workflow {
  readonly id: number;
  readonly arrival: number;
  readonly tasks: readonly Task[];
  readonly name?: string;
}

/** A DAG without an arrival time yet: what generators and importers produce. */
export type WorkflowShape = Omit<Workflow, 'arrival' | 'id'> & { readonly name?: string };

/**
 * Checks that `workflow` is a DAG of finite positive demands whose parents exist, and throws a
 * `WorkflowValidationError` naming the workflow, task and field otherwise.
 * Returns the tasks' indices in a topological order.
 */
export function validateWorkflow(workflow: Workflow | (WorkflowShape & { id?: number; arrival?: number })): number[] {
  const wid = workflow.id ?? workflow.name ?? '?';
  if ('arrival' in workflow && workflow.arrival !== undefined) {
    if (!Number.isFinite(workflow.arrival) || workflow.arrival < 0) {
      throw new WorkflowValidationError(wid, null, 'arrival', `must be a finite number >= 0, got ${workflow.arrival}`);
    }
  }
  const tasks = workflow.tasks;
  if (tasks.length === 0) throw new WorkflowValidationError(wid, null, 'tasks', 'must not be empty');
  const indexOf = new Map<number, number>();
  tasks.forEach((task, index) => {
    if (!Number.isSafeInteger(task.id) || task.id < 0) {
      throw new WorkflowValidationError(wid, task.id, 'id', 'must be an integer >= 0');
    }
    if (indexOf.has(task.id)) throw new WorkflowValidationError(wid, task.id, 'id', 'is not unique');
    indexOf.set(task.id, index);
    positive(wid, task.id, 'compute', task.compute);
    positive(wid, task.id, 'memory', task.memory);
    if (!Number.isFinite(task.output) || task.output < 0) {
      throw new WorkflowValidationError(wid, task.id, 'output', `must be a finite number >= 0, got ${task.output}`);
    }
    if (task.parentData !== undefined) {
      if (task.parentData.length !== task.parents.length) {
        throw new WorkflowValidationError(wid, task.id, 'parentData', 'must have one entry per parent');
      }
      for (const volume of task.parentData) {
        if (!Number.isFinite(volume) || volume < 0) {
          throw new WorkflowValidationError(wid, task.id, 'parentData', `entries must be finite and >= 0, got ${volume}`);
        }
      }
    }
  });
  // Kahn's algorithm: parents exist, no duplicates, no cycle.
  const pending = new Array<number>(tasks.length).fill(0);
  const children: number[][] = tasks.map(() => []);
  tasks.forEach((task, index) => {
    const seen = new Set<number>();
    for (const parent of task.parents) {
      const parentIndex = indexOf.get(parent);
      if (parentIndex === undefined) {
        throw new WorkflowValidationError(wid, task.id, 'parents', `names task ${parent}, which does not exist`);
      }
      if (seen.has(parent)) throw new WorkflowValidationError(wid, task.id, 'parents', `lists task ${parent} twice`);
      seen.add(parent);
      (children[parentIndex] as number[]).push(index);
      pending[index] = (pending[index] as number) + 1;
    }
  });
  const order: number[] = [];
  for (let i = 0; i < tasks.length; i++) if (pending[i] === 0) order.push(i);
  for (let head = 0; head < order.length; head++) {
    for (const child of children[order[head] as number] as number[]) {
      pending[child] = (pending[child] as number) - 1;
      if (pending[child] === 0) order.push(child);
    }
  }
  if (order.length !== tasks.length) {
    const stuck = tasks.find((_, i) => (pending[i] as number) > 0);
    throw new WorkflowValidationError(wid, stuck?.id ?? null, 'parents', 'form a cycle');
  }
  return order;
}

function positive(workflow: number | string, task: number, field: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new WorkflowValidationError(workflow, task, field, `must be a finite number > 0, got ${value}`);
  }
}

/**
 * Longest path, in edges, from each task to a sink of its workflow (the level-1 selector's priority).
 * Result is indexed like `tasks`.
 */
export function hopsToSink(tasks: readonly Task[]): number[] {
  const indexOf = new Map<number, number>();
  tasks.forEach((task, index) => {
    indexOf.set(task.id, index);
  });
  const hops = new Array<number>(tasks.length).fill(-1);
  const children: number[][] = tasks.map(() => []);
  tasks.forEach((task, index) => {
    for (const parent of task.parents) (children[indexOf.get(parent) as number] as number[]).push(index);
  });
  const visit = (index: number): number => {
    const known = hops[index] as number;
    if (known >= 0) return known;
    let best = 0;
    for (const child of children[index] as number[]) best = Math.max(best, 1 + visit(child));
    hops[index] = best;
    return best;
  };
  for (let i = 0; i < tasks.length; i++) visit(i);
  return hops;
}
