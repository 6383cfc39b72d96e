import { ConfigError, hopsToSink, validateWorkflow, type Task, type Workflow } from '@scale/workload';
import { InfeasibleTaskError } from '../errors.js';

/**
 * The immutable DAG structure of a run, built once: every task's demands and its parent/child edges
 * as CSR tables, indexed by global task index (workflows in the given order, tasks by id).
 */
export class DagTopology {
  readonly taskCount: number;
  readonly workflowCount: number;
  readonly taskWorkflow: Int32Array;
  /** The task's id within its workflow. */
  readonly taskLocalId: Int32Array;
  readonly taskCompute: Float64Array;
  readonly taskMemory: Float64Array;
  readonly taskOutput: Float64Array;
  /** Longest hop count to a sink of its workflow. */
  readonly taskHops: Int32Array;
  /** CSR parents: global indices of task t's parents are parentIndex[parentStart[t] .. parentStart[t+1]). */
  readonly parentStart: Int32Array;
  readonly parentIndex: Int32Array;
  /** Data volume on each parent edge (GB), aligned with parentIndex. */
  readonly parentData: Float64Array;
  /** CSR children, built from the parents. */
  readonly childStart: Int32Array;
  readonly childIndex: Int32Array;
  /** First global task of each workflow, and taskCount at the end. */
  readonly workflowFirstTask: Int32Array;

  /** `workflows` must be validated and sorted (tasks by id); a task larger than `maxMemory` is infeasible. */
  constructor(workflows: readonly Workflow[], maxMemory: number) {
    const taskCount = (this.taskCount = workflows.reduce((sum, w) => sum + w.tasks.length, 0));
    this.workflowCount = workflows.length;
    let edgeCount = 0;
    for (const w of workflows) for (const t of w.tasks) edgeCount += t.parents.length;
    this.taskWorkflow = new Int32Array(taskCount);
    this.taskLocalId = new Int32Array(taskCount);
    this.taskCompute = new Float64Array(taskCount);
    this.taskMemory = new Float64Array(taskCount);
    this.taskOutput = new Float64Array(taskCount);
    this.taskHops = new Int32Array(taskCount);
    this.parentStart = new Int32Array(taskCount + 1);
    this.parentIndex = new Int32Array(edgeCount);
    this.parentData = new Float64Array(edgeCount);
    this.childStart = new Int32Array(taskCount + 1);
    this.childIndex = new Int32Array(edgeCount);
    this.workflowFirstTask = new Int32Array(workflows.length + 1);

    let t = 0;
    let e = 0;
    const childCount = new Int32Array(taskCount);
    workflows.forEach((workflow, w) => {
      this.workflowFirstTask[w] = t;
      const local = new Map<number, number>();
      workflow.tasks.forEach((task, k) => {
        local.set(task.id, t + k);
      });
      const hops = hopsToSink(workflow.tasks);
      workflow.tasks.forEach((task, k) => {
        if (task.memory > maxMemory) throw new InfeasibleTaskError(workflow.id, task.id, task.memory, maxMemory);
        this.taskWorkflow[t] = w;
        this.taskLocalId[t] = task.id;
        this.taskCompute[t] = task.compute;
        this.taskMemory[t] = task.memory;
        this.taskOutput[t] = task.output;
        this.taskHops[t] = hops[k] as number;
        this.parentStart[t] = e;
        task.parents.forEach((parentId, p) => {
          const parent = local.get(parentId) as number;
          this.parentIndex[e] = parent;
          this.parentData[e] = task.parentData?.[p] ?? (workflow.tasks[parent - t + k] as Task).output;
          childCount[parent] = (childCount[parent] as number) + 1;
          e++;
        });
        t++;
      });
    });
    this.parentStart[taskCount] = e;
    this.workflowFirstTask[workflows.length] = taskCount;
    for (let i = 0; i < taskCount; i++) this.childStart[i + 1] = (this.childStart[i] as number) + (childCount[i] as number);
    const fill = this.childStart.slice(0, taskCount);
    for (let c = 0; c < taskCount; c++) {
      for (let k = this.parentStart[c] as number; k < (this.parentStart[c + 1] as number); k++) {
        const p = this.parentIndex[k] as number;
        this.childIndex[fill[p] as number] = c;
        fill[p] = (fill[p] as number) + 1;
      }
    }
  }

  parentCount(task: number): number {
    return (this.parentStart[task + 1] as number) - (this.parentStart[task] as number);
  }

  successorCount(task: number): number {
    return (this.childStart[task + 1] as number) - (this.childStart[task] as number);
  }

  workflowSize(workflow: number): number {
    return (this.workflowFirstTask[workflow + 1] as number) - (this.workflowFirstTask[workflow] as number);
  }
}

/**
 * The workflows of a run, validated (unique ids >= 0, valid DAGs, arrival before the horizon) and put
 * in the order the topology indexes them: by (arrival, id), each workflow's tasks by id.
 */
export function orderWorkflows(workflows: readonly Workflow[], horizon: number): Workflow[] {
  const seenIds = new Set<number>();
  for (const [i, workflow] of workflows.entries()) {
    if (!Number.isSafeInteger(workflow.id) || workflow.id < 0) throw new ConfigError(`workflows[${i}].id`, 'an integer >= 0', workflow.id);
    if (seenIds.has(workflow.id)) throw new ConfigError(`workflows[${i}].id`, 'a unique workflow id', workflow.id);
    seenIds.add(workflow.id);
    validateWorkflow(workflow);
    if (workflow.arrival >= horizon) throw new ConfigError(`workflows[${i}].arrival`, `a time in [0, horizon = ${horizon})`, workflow.arrival);
  }
  return [...workflows].sort((a, b) => a.arrival - b.arrival || a.id - b.id).map((w) => ({ ...w, tasks: [...w.tasks].sort((a, b) => a.id - b.id) }));
}
