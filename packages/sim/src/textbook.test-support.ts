/**
 * Direct, unoptimized implementations of the heuristic suite for the property tests: every server and
 * every ready task looked at with plain loops, no server classes, bitsets, heaps or caches.
 *
 * - `onlineReference(name)`: the online definition (sim README, "Heuristics") read straight off the
 *   simulation state at each decision; the fast policies must decide exactly the same.
 * - `staticSchedule(name, servers, tasks)`: the textbook static algorithm (Topcuoglu et al. 1999,
 *   Braun et al. 2001, Maheswaran et al. 1999) on a bag of independent tasks all released at t = 0; the
 *   online policies, run on the same bag, must make exactly the same schedule.
 */
import { DEFER } from './decision.js';
import { TaskStatus, type SimulationView } from './view.js';

export interface Step {
  readonly task: number;
  readonly server: number;
}

function readyTasks(sim: SimulationView): number[] {
  const out: number[] = [];
  for (let i = 0; i < sim.readyTasks; i++) out.push(sim.readyTaskAt(i));
  return out;
}

function upServers(sim: SimulationView): number[] {
  const out: number[] = [];
  for (let j = 0; j < sim.serverCount; j++) if (sim.isUp(j)) out.push(j);
  return out;
}

function isIdle(sim: SimulationView, j: number): boolean {
  return sim.isUp(j) && sim.serverTask(j) === -1;
}

function fits(sim: SimulationView, task: number, j: number): boolean {
  return sim.serverMemory(j) >= sim.taskMemory(task);
}

/** Finish of `task` on `server` available at `available`: max(now, available, data ready) + c / C. */
function finishAt(sim: SimulationView, task: number, server: number, available: number): number {
  let start = Math.max(sim.now, available);
  if (sim.options.communication === 'delays-start') start = Math.max(start, sim.dataReadyTime(task, server));
  return start + sim.taskCompute(task) / sim.serverCompute(server);
}

interface Ranked {
  upward: Map<number, number>;
  downward: Map<number, number>;
  critical: Set<number>;
}

/** Upward and downward ranks and critical paths of the ready tasks' workflows, by their recursive definitions. */
function rank(sim: SimulationView, tasks: readonly number[]): Ranked {
  const up = upServers(sim);
  const meanExec = up.reduce((sum, j) => sum + 1 / sim.serverCompute(j), 0) / up.length;
  const share = sim.options.communication === 'delays-start' ? (up.length - 1) / up.length : 0;
  const transfer = (parent: number, child: number): number => {
    for (let i = 0; i < sim.parentCount(child); i++) {
      if (sim.parentAt(child, i) === parent) return share * (sim.parentDataAt(child, i) / sim.options.bandwidth + sim.options.latency);
    }
    throw new Error(`no edge ${parent} -> ${child}`);
  };
  const children = (t: number): number[] => Array.from({ length: sim.successorCount(t) }, (_, i) => sim.successorAt(t, i));
  const parents = (t: number): number[] => Array.from({ length: sim.parentCount(t) }, (_, i) => sim.parentAt(t, i));
  const upward = new Map<number, number>();
  const downward = new Map<number, number>();
  const rankU = (t: number): number => {
    const known = upward.get(t);
    if (known !== undefined) return known;
    const value = sim.taskCompute(t) * meanExec + Math.max(0, ...children(t).map((c) => transfer(t, c) + rankU(c)));
    upward.set(t, value);
    return value;
  };
  const rankD = (t: number): number => {
    const known = downward.get(t);
    if (known !== undefined) return known;
    const value = Math.max(0, ...parents(t).map((p) => rankD(p) + sim.taskCompute(p) * meanExec + transfer(p, t)));
    downward.set(t, value);
    return value;
  };
  const critical = new Set<number>();
  const workflows = new Set(tasks.map((t) => sim.taskWorkflow(t)));
  for (const w of workflows) {
    const members = Array.from({ length: sim.workflowSize(w) }, (_, i) => sim.workflowFirstTask(w) + i);
    const priority = (t: number): number => rankU(t) + rankD(t);
    const byPriority = (candidates: number[]): number =>
      candidates.reduce((best, t) => (priority(t) > priority(best) || (priority(t) === priority(best) && t < best) ? t : best));
    let at: number | undefined = byPriority(members.filter((t) => parents(t).length === 0));
    while (at !== undefined) {
      critical.add(at);
      const next = children(at);
      at = next.length === 0 ? undefined : byPriority(next);
    }
  }
  for (const t of tasks) {
    rankU(t);
    rankD(t);
  }
  return { upward, downward, critical };
}

/** The earliest-finish servers of `task` among `servers` by (finish, available, id). */
function bestTwo(sim: SimulationView, task: number, available: Map<number, number>): { best: number; bestFinish: number; secondFinish: number } {
  const options = [...available.keys()]
    .filter((j) => fits(sim, task, j))
    .map((j) => ({ j, finish: finishAt(sim, task, j, available.get(j) as number), at: available.get(j) as number }))
    .sort((a, b) => a.finish - b.finish || a.at - b.at || a.j - b.j);
  return {
    best: options[0]?.j ?? -1,
    bestFinish: options[0]?.finish ?? Number.POSITIVE_INFINITY,
    secondFinish: options[1]?.finish ?? Number.POSITIVE_INFINITY,
  };
}

/** The fastest server that can hold `task`, then the one available first, then the lowest id. */
function fastest(sim: SimulationView, task: number, available: Map<number, number>): { best: number; bestFinish: number } {
  const options = [...available.keys()]
    .filter((j) => fits(sim, task, j))
    .sort((a, b) => sim.serverCompute(b) - sim.serverCompute(a) || (available.get(a) as number) - (available.get(b) as number) || a - b);
  const best = options[0] ?? -1;
  return { best, bestFinish: best < 0 ? Number.POSITIVE_INFINITY : finishAt(sim, task, best, available.get(best) as number) };
}

/** The plan of a busy-aware list or batch scheduler at a mapping event: its steps that start now. */
function plan(name: string, sim: SimulationView): Step[] {
  const available = new Map<number, number>();
  for (const j of upServers(sim)) available.set(j, isIdle(sim, j) ? sim.now : sim.serverFreeAt(j));
  const idleAtStart = new Set([...available.keys()].filter((j) => isIdle(sim, j)));
  const starts: Step[] = [];
  const place = (task: number, server: number, finish: number): void => {
    if (idleAtStart.has(server)) starts.push({ task, server });
    idleAtStart.delete(server);
    available.set(server, finish);
  };
  const ready = readyTasks(sim);
  if (name === 'min-min' || name === 'max-min' || name === 'sufferage') {
    const batch = [...ready];
    while (batch.length > 0) {
      let pick = -1;
      let pickKey = 0;
      let choice = { best: -1, bestFinish: 0, secondFinish: 0 };
      batch.forEach((task, i) => {
        const option = bestTwo(sim, task, available);
        if (option.best < 0) return;
        const key = name === 'min-min' ? -option.bestFinish : name === 'max-min' ? option.bestFinish : option.secondFinish - option.bestFinish;
        if (pick < 0 || key > pickKey) {
          pick = i;
          pickKey = key;
          choice = option;
        }
      });
      if (pick < 0) break;
      place(batch[pick] as number, choice.best, choice.bestFinish);
      batch.splice(pick, 1);
    }
    return starts;
  }
  let order = [...ready];
  let ranked: Ranked | null = null;
  if (name === 'heft' || name === 'cpop') {
    ranked = rank(sim, ready);
    const r = ranked;
    const key = (t: number): number => (r.upward.get(t) as number) + (name === 'cpop' ? (r.downward.get(t) as number) : 0);
    order = [...ready].sort((a, b) => key(b) - key(a) || ready.indexOf(a) - ready.indexOf(b));
  }
  for (const task of order) {
    const useFastest = name === 'met' || (name === 'cpop' && (ranked as Ranked).critical.has(task));
    const option = useFastest ? fastest(sim, task, available) : bestTwo(sim, task, available);
    if (option.best >= 0) place(task, option.best, option.bestFinish);
  }
  return starts;
}

/** Earliest-finish idle server that can hold `task` (ties to the lowest id). */
function eftIdle(sim: SimulationView, task: number): number {
  let best = -1;
  let bestFinish = Number.POSITIVE_INFINITY;
  for (let j = 0; j < sim.serverCount; j++) {
    if (!isIdle(sim, j) || !fits(sim, task, j)) continue;
    const finish = finishAt(sim, task, j, sim.now);
    if (finish < bestFinish) {
      best = j;
      bestFinish = finish;
    }
  }
  return best;
}

function hasValidServer(sim: SimulationView, task: number): boolean {
  for (let j = 0; j < sim.serverCount; j++) if (isIdle(sim, j) && fits(sim, task, j)) return true;
  return false;
}

function remainingWork(sim: SimulationView, task: number): number {
  const w = sim.taskWorkflow(task);
  let work = 0;
  for (let t = sim.workflowFirstTask(w); t < sim.workflowFirstTask(w) + sim.workflowSize(w); t++) {
    if (sim.taskStatus(t) !== TaskStatus.Done) work += sim.taskCompute(t);
  }
  return work;
}

/** The immediate-mode rules: a task by key among those with a valid server, on its earliest-finish idle server. */
function immediate(name: string, sim: SimulationView): Step {
  const candidates = readyTasks(sim).filter((t) => sim.taskStatus(t) === TaskStatus.Ready && hasValidServer(sim, t));
  if (name === 'olb') {
    const task = candidates[0] as number;
    for (let j = 0; j < sim.serverCount; j++) if (isIdle(sim, j) && fits(sim, task, j)) return { task, server: j };
  }
  const key = (t: number): number =>
    name === 'sjf' ? sim.taskCompute(t) : name === 'srpt-workflow' ? remainingWork(sim, t) : sim.taskReadyTime(t);
  // Ties: level 1's order, except FIFO's: the lowest index (as level 1's 'fifo' selector).
  const task = candidates.reduce((best, t) => (key(t) < key(best) || (name === 'fifo' && key(t) === key(best) && t < best) ? t : best));
  return { task, server: eftIdle(sim, task) };
}

export const PLANNING = new Set(['heft', 'cpop', 'mct', 'met', 'min-min', 'max-min', 'sufferage']);
export const IMMEDIATE = new Set(['olb', 'sjf', 'srpt-workflow', 'fifo']);

/**
 * The reference decision maker for one run: a planning heuristic plans at each new instant and then
 * starts its plan's steps in order (deferring when none is left); an immediate rule decides afresh.
 */
export function onlineReference(name: string): (sim: SimulationView) => Step {
  let planTime = Number.NaN;
  let steps: Step[] = [];
  return (sim) => {
    if (IMMEDIATE.has(name)) return immediate(name, sim);
    if (sim.now !== planTime) {
      planTime = sim.now;
      steps = plan(name, sim);
    }
    return steps.shift() ?? { task: sim.task, server: DEFER };
  };
}

// -------------------------------------------------------------------------------------------------
// Static textbook algorithms on a bag of independent tasks released at t = 0.

export interface BagServer {
  readonly compute: number;
  readonly memory: number;
}
export interface BagTask {
  readonly compute: number;
  readonly memory: number;
}
/** Task index -> (server, start). */
export type BagSchedule = { server: number; start: number }[];

/**
 * The static algorithm `name` on `tasks` (indices are the order ties fall back to) over `servers`,
 * every machine ready at 0. A task goes to a machine with enough memory.
 */
export function staticSchedule(name: string, servers: readonly BagServer[], tasks: readonly BagTask[]): BagSchedule {
  const ready = servers.map(() => 0);
  const schedule: BagSchedule = tasks.map(() => ({ server: -1, start: 0 }));
  const exec = (t: number, j: number): number => (tasks[t] as BagTask).compute / (servers[j] as BagServer).compute;
  const machines = (t: number): number[] => servers.map((_, j) => j).filter((j) => (servers[j] as BagServer).memory >= (tasks[t] as BagTask).memory);
  const ect = (t: number, j: number): number => (ready[j] as number) + exec(t, j);
  /** Machines by (completion time, ready time, index). */
  const byCompletion = (t: number): number[] =>
    machines(t).sort((a, b) => ect(t, a) - ect(t, b) || (ready[a] as number) - (ready[b] as number) || a - b);
  const assign = (t: number, j: number): void => {
    schedule[t] = { server: j, start: ready[j] as number };
    ready[j] = ect(t, j);
  };
  const indices = tasks.map((_, t) => t);
  const meanExec = (t: number): number => servers.reduce((sum, _, j) => sum + exec(t, j), 0) / servers.length;
  switch (name) {
    case 'heft': {
      // Upward rank of an independent task = its mean execution time; decreasing rank, then index.
      for (const t of [...indices].sort((a, b) => meanExec(b) - meanExec(a) || a - b)) assign(t, byCompletion(t)[0] as number);
      break;
    }
    case 'mct':
      for (const t of indices) assign(t, byCompletion(t)[0] as number);
      break;
    case 'met':
      for (const t of indices) {
        const j = machines(t).sort((a, b) => exec(t, a) - exec(t, b) || (ready[a] as number) - (ready[b] as number) || a - b)[0] as number;
        assign(t, j);
      }
      break;
    case 'cpop': {
      // Each independent task is its own critical path: all go to the fastest machine that holds them.
      for (const t of [...indices].sort((a, b) => meanExec(b) - meanExec(a) || a - b)) {
        assign(t, machines(t).sort((a, b) => exec(t, a) - exec(t, b) || (ready[a] as number) - (ready[b] as number) || a - b)[0] as number);
      }
      break;
    }
    case 'min-min':
    case 'max-min':
    case 'sufferage': {
      const unmapped = [...indices];
      while (unmapped.length > 0) {
        let pick = 0;
        let pickKey = Number.NEGATIVE_INFINITY;
        unmapped.forEach((t, i) => {
          const [first, second] = byCompletion(t);
          const best = ect(t, first as number);
          const key = name === 'min-min' ? -best : name === 'max-min' ? best : second === undefined ? Number.POSITIVE_INFINITY : ect(t, second) - best;
          if (i === 0 || key > pickKey) {
            pick = i;
            pickKey = key;
          }
        });
        const t = unmapped[pick] as number;
        assign(t, byCompletion(t)[0] as number);
        unmapped.splice(pick, 1);
      }
      break;
    }
    case 'olb':
    case 'sjf':
    case 'srpt-workflow':
    case 'fifo': {
      // Graham's list scheduling: in list order, each task on the machine that frees first (ties: the
      // fastest, then the lowest index); SJF and SRPT (one task per workflow) list by compute, FIFO and
      // OLB by index, and OLB ignores speed.
      const list = name === 'sjf' || name === 'srpt-workflow' ? [...indices].sort((a, b) => (tasks[a] as BagTask).compute - (tasks[b] as BagTask).compute || a - b) : indices;
      for (const t of list) {
        const j = machines(t).sort(
          (a, b) => (ready[a] as number) - (ready[b] as number) || (name === 'olb' ? 0 : (servers[b] as BagServer).compute - (servers[a] as BagServer).compute) || a - b,
        )[0] as number;
        assign(t, j);
      }
      break;
    }
    default:
      throw new Error(`no static reference for ${name}`);
  }
  return schedule;
}
