import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from './config.js';
import { WfFormatError } from './errors.js';
import { validateWorkflow, type Task, type WorkflowShape } from './workflow.js';

/** How WfFormat measurements become the simulator's demands. */
export const WfFormatOptionsSchema = z
  .object({
    /** GFLOP per second of recorded runtime: `compute = runtime * referenceSpeed` (1.0 = the small tier). */
    referenceSpeed: z.number().positive().finite().default(1),
    /** Memory (GB) for tasks whose `memoryInBytes` is missing or 0; each such task is listed in the report. */
    defaultMemory: z.number().positive().finite().default(1),
    /** Compute (GFLOP) for tasks whose recorded runtime is 0 (demands must be positive); listed in the report. */
    minCompute: z.number().positive().finite().default(0.01),
  })
  .strict();

export type WfFormatOptions = z.output<typeof WfFormatOptionsSchema>;
export type WfFormatOptionsInput = z.input<typeof WfFormatOptionsSchema>;

/** What the importer did beyond a plain unit conversion, so nothing is changed silently. */
export interface WfFormatImportReport {
  readonly source: string;
  readonly schemaVersion: string;
  readonly tasks: number;
  readonly edges: number;
  /** Tasks whose runtime was 0, given `minCompute`. */
  readonly zeroRuntimeTasks: readonly string[];
  /** Tasks with no usable memory figure, given `defaultMemory`. */
  readonly defaultedMemoryTasks: readonly string[];
}

export interface WfFormatImport {
  readonly workflow: WorkflowShape;
  readonly report: WfFormatImportReport;
}

const BYTES_PER_GB = 1e9;
const BYTES_PER_KB = 1024;

interface RawTask {
  key: string;
  name: string;
  runtime: number | undefined;
  memoryBytes: number | undefined;
  parents: string[];
  children: string[];
  inputs: Map<string, number>;
  outputs: Map<string, number>;
}

/**
 * Imports one WfFormat instance (schema 1.4, 1.5 or 1.6) as a workflow DAG.
 * - compute = runtime (s) x `referenceSpeed`; runtime 0 -> `minCompute` (reported).
 * - memory = `memoryInBytes` / 1e9 GB (1.4: `memory` in KB); missing or 0 -> `defaultMemory` (reported).
 * - output = total size of the task's output files (GB); each edge carries the files that are outputs of
 *   the parent and inputs of the child (`parentData`).
 * Tasks are labelled by their WfFormat id (unique; it keeps suffixes like `mProject_ID0000002`) and numbered
 * in document order.
 */
export function importWfFormat(document: unknown, options: WfFormatOptionsInput = {}, source = 'wfformat'): WfFormatImport {
  const opts = parseConfig(WfFormatOptionsSchema, options, 'wfformat');
  if (document === null || typeof document !== 'object') throw new WfFormatError(source, 'document', 'is not a JSON object');
  const doc = document as Record<string, unknown>;
  const version = typeof doc['schemaVersion'] === 'string' ? doc['schemaVersion'] : undefined;
  if (version === undefined) throw new WfFormatError(source, 'schemaVersion', 'is missing');
  const workflow = doc['workflow'];
  if (workflow === null || typeof workflow !== 'object') throw new WfFormatError(source, 'workflow', 'is missing');
  let raw: RawTask[];
  if (version === '1.4') raw = readV14(workflow as Record<string, unknown>, source);
  else if (version === '1.5' || version === '1.6') raw = readV15(workflow as Record<string, unknown>, source);
  else throw new WfFormatError(source, 'schemaVersion', `is ${JSON.stringify(version)}; supported: "1.4", "1.5", "1.6"`);

  const indexOf = new Map<string, number>();
  raw.forEach((task, index) => {
    if (indexOf.has(task.key)) throw new WfFormatError(source, `task ${task.key}`, 'appears twice');
    indexOf.set(task.key, index);
  });
  // Edges come from both `parents` and `children` lists: some producers fill only one side.
  const parentSets = raw.map(() => new Set<number>());
  raw.forEach((task, index) => {
    for (const parent of task.parents) {
      const p = indexOf.get(parent);
      if (p === undefined) throw new WfFormatError(source, `task ${task.key}.parents`, `names unknown task ${parent}`);
      (parentSets[index] as Set<number>).add(p);
    }
    for (const child of task.children) {
      const c = indexOf.get(child);
      if (c === undefined) throw new WfFormatError(source, `task ${task.key}.children`, `names unknown task ${child}`);
      (parentSets[c] as Set<number>).add(index);
    }
  });

  const zeroRuntimeTasks: string[] = [];
  const defaultedMemoryTasks: string[] = [];
  let edges = 0;
  const tasks: Task[] = raw.map((task, index) => {
    if (task.runtime === undefined) throw new WfFormatError(source, `task ${task.key}.runtime`, 'is missing');
    if (!Number.isFinite(task.runtime) || task.runtime < 0) {
      throw new WfFormatError(source, `task ${task.key}.runtime`, `must be a finite number >= 0, got ${task.runtime}`);
    }
    let compute = task.runtime * opts.referenceSpeed;
    if (compute === 0) {
      compute = opts.minCompute;
      zeroRuntimeTasks.push(task.name);
    }
    let memory: number;
    if (task.memoryBytes === undefined || task.memoryBytes === 0) {
      memory = opts.defaultMemory;
      defaultedMemoryTasks.push(task.name);
    } else {
      if (!Number.isFinite(task.memoryBytes) || task.memoryBytes < 0) {
        throw new WfFormatError(source, `task ${task.key}.memory`, `must be a finite number >= 0, got ${task.memoryBytes}`);
      }
      memory = task.memoryBytes / BYTES_PER_GB;
    }
    let outputBytes = 0;
    for (const size of task.outputs.values()) outputBytes += size;
    const parents = [...(parentSets[index] as Set<number>)].sort((a, b) => a - b);
    edges += parents.length;
    const parentData = parents.map((p) => {
      const parent = raw[p] as RawTask;
      let bytes = 0;
      for (const [file, size] of task.inputs) if (parent.outputs.has(file)) bytes += size;
      return bytes / BYTES_PER_GB;
    });
    return { id: index, name: task.name, compute, memory, output: outputBytes / BYTES_PER_GB, parents, parentData };
  });
  const name = typeof doc['name'] === 'string' ? doc['name'] : basename(source);
  const shape: WorkflowShape = { name, tasks };
  validateWorkflow(shape);
  return {
    workflow: shape,
    report: { source, schemaVersion: version, tasks: tasks.length, edges, zeroRuntimeTasks, defaultedMemoryTasks },
  };
}

function readV15(workflow: Record<string, unknown>, source: string): RawTask[] {
  const spec = asObject(workflow['specification'], source, 'workflow.specification');
  const specTasks = asArray(spec['tasks'], source, 'workflow.specification.tasks');
  const fileSizes = new Map<string, number>();
  for (const file of asArray(spec['files'] ?? [], source, 'workflow.specification.files')) {
    const f = asObject(file, source, 'workflow.specification.files[]');
    fileSizes.set(String(f['id']), Number(f['sizeInBytes'] ?? 0));
  }
  const execution = workflow['execution'] === undefined ? {} : asObject(workflow['execution'], source, 'workflow.execution');
  const execById = new Map<string, Record<string, unknown>>();
  for (const t of asArray(execution['tasks'] ?? [], source, 'workflow.execution.tasks')) {
    const e = asObject(t, source, 'workflow.execution.tasks[]');
    execById.set(String(e['id']), e);
  }
  const sizes = (files: unknown, field: string): Map<string, number> => {
    const out = new Map<string, number>();
    for (const id of asArray(files ?? [], source, field)) {
      const size = fileSizes.get(String(id));
      if (size === undefined) throw new WfFormatError(source, field, `names unknown file ${String(id)}`);
      out.set(String(id), size);
    }
    return out;
  };
  return specTasks.map((t, i) => {
    const task = asObject(t, source, `workflow.specification.tasks[${i}]`);
    const key = String(task['id'] ?? task['name']);
    const exec = execById.get(key);
    return {
      key,
      // The id, not the name: Nextflow reuses one name for every run of a process.
      name: key,
      runtime: exec === undefined || exec['runtimeInSeconds'] === undefined ? undefined : Number(exec['runtimeInSeconds']),
      memoryBytes: exec === undefined || exec['memoryInBytes'] === undefined ? undefined : Number(exec['memoryInBytes']),
      parents: asArray(task['parents'] ?? [], source, `task ${key}.parents`).map(String),
      children: asArray(task['children'] ?? [], source, `task ${key}.children`).map(String),
      inputs: sizes(task['inputFiles'], `task ${key}.inputFiles`),
      outputs: sizes(task['outputFiles'], `task ${key}.outputFiles`),
    };
  });
}

function readV14(workflow: Record<string, unknown>, source: string): RawTask[] {
  // 1.4 keeps everything on `workflow.tasks`; file sizes and memory are in KB, tasks are named by `name`
  // (with an optional `id`), and files are `{ link: 'input' | 'output', name, size }`.
  const tasks = asArray(workflow['tasks'], source, 'workflow.tasks');
  return tasks.map((t, i) => {
    const task = asObject(t, source, `workflow.tasks[${i}]`);
    const key = String(task['name'] ?? task['id']);
    const inputs = new Map<string, number>();
    const outputs = new Map<string, number>();
    for (const f of asArray(task['files'] ?? [], source, `task ${key}.files`)) {
      const file = asObject(f, source, `task ${key}.files[]`);
      const size = Number(file['size'] ?? 0) * BYTES_PER_KB;
      if (file['link'] === 'output') outputs.set(String(file['name']), size);
      else inputs.set(String(file['name']), size);
    }
    return {
      key,
      name: key,
      runtime: task['runtime'] === undefined ? undefined : Number(task['runtime']),
      memoryBytes: task['memory'] === undefined ? undefined : Number(task['memory']) * BYTES_PER_KB,
      parents: asArray(task['parents'] ?? [], source, `task ${key}.parents`).map(String),
      children: asArray(task['children'] ?? [], source, `task ${key}.children`).map(String),
      inputs,
      outputs,
    };
  });
}

function asObject(value: unknown, source: string, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WfFormatError(source, field, 'must be an object');
  return value as Record<string, unknown>;
}

function asArray(value: unknown, source: string, field: string): unknown[] {
  if (!Array.isArray(value)) throw new WfFormatError(source, field, 'must be an array');
  return value;
}

/** Reads and imports one WfFormat JSON file. */
export function readWfFormatFile(path: string, options: WfFormatOptionsInput = {}): WfFormatImport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WfFormatError(path, 'file', `cannot be read (${(error as Error).message})`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new WfFormatError(path, 'file', `is not valid JSON (${(error as Error).message})`);
  }
  return importWfFormat(document, options, path);
}

export interface WfFormatPool {
  readonly imports: readonly WfFormatImport[];
  /** JSON files in a folder that are not workflow instances (e.g. a schema), listed rather than dropped silently. */
  readonly skipped: readonly string[];
}

/**
 * Imports a file, or every `.json` instance in a folder (sorted by name, so pools are reproducible).
 * Files in a folder without a `workflow` object (schemas, provenance notes) are listed in `skipped`.
 */
export function readWfFormatPool(path: string, options: WfFormatOptionsInput = {}): WfFormatPool {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new WfFormatError(path, 'path', `cannot be read (${(error as Error).message})`);
  }
  if (!isDirectory) return { imports: [readWfFormatFile(path, options)], skipped: [] };
  const imports: WfFormatImport[] = [];
  const skipped: string[] = [];
  for (const name of readdirSync(path).filter((n) => n.endsWith('.json')).sort()) {
    const file = join(path, name);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (parsed === null || typeof parsed !== 'object' || typeof parsed['workflow'] !== 'object') {
      skipped.push(file);
      continue;
    }
    imports.push(importWfFormat(parsed, options, file));
  }
  if (imports.length === 0) throw new WfFormatError(path, 'folder', 'holds no WfFormat instance (*.json with a workflow object)');
  return { imports, skipped };
}
