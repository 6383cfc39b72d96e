import fc from 'fast-check';
import { checkTrace, TaskStatus } from '@scale/sim';
import { Rng } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import type { EnvConfigInput } from './config.js';
import { makeEnv, type SchedulingEnv } from './env.js';
import type { Observation } from './observation.js';

// Issue 14's layouts: every combination of objective x observation x actions x defer x communication x
// failures (x invalid-action mode, drain), checked at every step of random episodes.

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 35 : ci);

type ArbitraryValue<A> = A extends fc.Arbitrary<infer T> ? T : never;

const caseArb = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  nodes: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 64 })),
  objective: fc.constantFrom('paper' as const, 'response-time' as const),
  observation: fc.constantFrom('paper' as const, 'queue-aware' as const),
  actions: fc.constantFrom('server' as const, 'task-and-server' as const),
  defer: fc.boolean(),
  candidates: fc.integer({ min: 1, max: 8 }),
  candidateWindow: fc.constantFrom('level-1' as const, 'level-1-and-shortest' as const),
  communication: fc.constantFrom('reward-only' as const, 'delays-start' as const),
  invalidAction: fc.constantFrom('penalize' as const, 'mask' as const),
  failures: fc.boolean(),
  drain: fc.boolean(),
  invalidRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  deferRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
});
type Case = ArbitraryValue<typeof caseArb>;

const envConfig = (c: Case): EnvConfigInput => ({
  nodes: c.nodes,
  horizon: Math.max(2, Math.min(12, 150 / c.nodes)),
  lambda16: 2,
  drain: c.drain,
  communication: c.communication,
  invalidAction: c.invalidAction,
  objective: c.objective,
  observation: c.observation,
  actions: c.actions,
  defer: c.defer,
  candidates: c.candidates,
  candidateWindow: c.candidateWindow,
  responseTimeScale: 7,
  ...(c.failures ? { failures: { mtbf: 15, mttr: 2 } } : {}),
});

function assert(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

/** A random agent: a valid action, the defer action at `deferRate`, an invalid one at `invalidRate` (penalize mode). */
function chooseAction(obs: Observation, rng: Rng, c: Case): number {
  const valid: number[] = [];
  const invalid: number[] = [];
  for (let a = 0; a < obs.mask.length; a++) (obs.mask[a] === 1 ? valid : invalid).push(a);
  const deferAction = obs.mask.length - 1;
  if (obs.defer === true && obs.mask[deferAction] === 1 && rng.next() < c.deferRate) return deferAction;
  if (c.invalidAction === 'penalize' && invalid.length > 0 && rng.next() < c.invalidRate) return invalid[rng.int(0, invalid.length - 1)] as number;
  return valid[rng.int(0, valid.length - 1)] as number;
}

/**
 * The candidates the contract defines, from the ready tasks with a valid server in level-1 order:
 * `level-1`, the first `cap`; `level-1-and-shortest`, the first ceil(cap / 2), then the rest sorted
 * by compute (stable, so ties keep level-1 order) cut to cap.
 */
function expectedCandidates(env: SchedulingEnv, cap: number, window: Case['candidateWindow']): number[] {
  const sim = env.simulation;
  const valid = sim.readyTasksInOrder().filter((t) => sim.hasValidServer(t));
  if (window === 'level-1') return valid.slice(0, cap);
  const head = Math.ceil(cap / 2);
  const rest = valid.slice(head).sort((a, b) => sim.taskCompute(a) - sim.taskCompute(b));
  return [...valid.slice(0, head), ...rest].slice(0, cap);
}

/** Runs one episode checking every per-step property; returns a fingerprint of everything observed. */
function runChecked(env: SchedulingEnv, c: Case): string {
  const rng = new Rng(c.seed).child('agent');
  const start = env.reset({ seed: c.seed });
  let obs = start.obs;
  let time = start.info.time;
  const log: unknown[] = [];
  const record = (o: Observation): void => {
    log.push(Array.from(o.task), Array.from(o.servers), Array.from(o.mask), o.k, o.tasks && Array.from(o.tasks), o.pairs && Array.from(o.pairs), o.global && Array.from(o.global));
  };
  record(obs);
  if (start.info.episode !== undefined) return JSON.stringify(log);
  const taskAndServer = c.actions === 'task-and-server';
  let rewardSum = 0;
  for (let step = 0; step < 30_000; step++) {
    const sim = env.simulation;
    assert(env.observationSpace.contains(obs), () => `observation outside the space at t=${time}: ${env.observationSpace.violations(obs).join('; ')}`);
    assert(sim.waitingTasks + sim.readyTasks + sim.runningTasks + sim.doneTasks === sim.arrivedTasks, () => `conservation at t=${time}`);
    // Candidates: the first k ready tasks with a valid server, in level-1 order; candidate 0 is level 1's task.
    const candidates = taskAndServer ? expectedCandidates(env, c.candidates, c.candidateWindow) : [sim.task];
    assert(candidates[0] === sim.task && candidates.length >= 1, () => `candidate 0 is not the level-1 task at t=${time}`);
    if (taskAndServer) assert(obs.k === candidates.length && candidates.every((t, i) => env.candidateTask(i) === t), () => `candidates ${obs.k} differ from the ready order at t=${time}`);
    // mask[a] == 1 exactly when a is a valid assignment (or a defer that leads to an event).
    const n = obs.n;
    for (let a = 0; a < obs.mask.length; a++) {
      let valid: boolean;
      if (c.defer && a === obs.mask.length - 1) valid = sim.canDefer();
      else valid = sim.isValidFor(candidates[Math.floor(a / n)] as number, env.serverOf(a % n));
      assert((obs.mask[a] === 1) === valid, () => `mask[${a}] = ${obs.mask[a]} but the action is ${valid ? 'valid' : 'invalid'} at t=${time}`);
      assert(env.isValidAction(a) === valid, () => `isValidAction(${a}) disagrees at t=${time}`);
    }
    if (taskAndServer) {
      for (let a = 0; a < candidates.length * n; a++) {
        const transfer = Math.fround(sim.firstParentTransfer(candidates[Math.floor(a / n)] as number, env.serverOf(a % n)));
        assert((obs.pairs as Float32Array)[a] === transfer, () => `pairs[${a}] = ${(obs.pairs as Float32Array)[a]}, the transfer is ${transfer} at t=${time}`);
      }
    }
    const action = chooseAction(obs, rng, c);
    const isDefer = c.defer && action === obs.mask.length - 1;
    const before = { invalid: sim.invalidActions, deferrals: sim.deferrals, done: sim.runningTasks + sim.doneTasks };
    const expectValid = obs.mask[action] === 1;
    const pair = isDefer ? null : { task: candidates[Math.floor(action / n)], server: env.serverOf(action % n) };
    const result = env.step(action);
    rewardSum += result.reward;
    log.push(action, result.reward, result.info.time, result.info.elapsed, result.terminated, result.truncated);
    record(result.obs);
    // step(a) does what the mask said: a valid assignment, a defer, or (penalize) an invalid choice.
    if (!expectValid) assert(sim.invalidActions === before.invalid + 1 && result.info.rewardParts.invalid === env.config.reward.rInvalid, () => `invalid action ${action} was not penalized`);
    else if (isDefer) assert(sim.deferrals === before.deferrals + 1 && sim.invalidActions === before.invalid, () => 'a valid defer was not a deferral');
    else {
      const assignment = result.info.assignment;
      assert(assignment !== null && assignment.assigned === time, () => `valid action ${action} did not start a task at t=${time}`);
      assert(assignment?.task === pair?.task && assignment?.server === pair?.server, () => `action ${action} started the wrong pair`);
    }
    assert(Number.isFinite(result.reward), () => `reward ${result.reward}`);
    assert(!(result.terminated && result.truncated), () => 'terminated and truncated both set');
    assert(result.info.time >= time && result.info.elapsed === result.info.time - time, () => `elapsed ${result.info.elapsed} from ${time} to ${result.info.time}`);
    time = result.info.time;
    obs = result.obs;
    if (result.terminated || result.truncated) {
      const episode = result.info.episode;
      assert(episode !== undefined, () => 'no info.episode at the end');
      assert(checkTrace(env.trace()).length === 0, () => `trace: ${JSON.stringify(checkTrace(env.trace()).slice(0, 3))}`);
      if (result.terminated) {
        // Drained: no task lost (failures included), and the response-time rewards sum to the objective.
        assert(sim.doneTasks === sim.taskCount, () => `${sim.taskCount - sim.doneTasks} tasks lost`);
        for (let t = 0; t < sim.taskCount; t++) assert(sim.taskStatus(t) === TaskStatus.Done, () => `task ${t} not done`);
        if (c.objective === 'response-time') {
          const responses = (episode?.meanResponseTime ?? 0) * (episode?.completedTasks ?? 0);
          const expected = -responses / 7 + env.config.reward.rInvalid * sim.invalidActions;
          assert(Math.abs(rewardSum - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), () => `rewards sum to ${rewardSum}, expected ${expected}`);
        }
      } else if (c.objective === 'response-time') {
        // Truncated: the rewards charge the area up to the end, unfinished tasks' ages included.
        const expected = -sim.responseTimeArea / 7 + env.config.reward.rInvalid * sim.invalidActions;
        assert(Math.abs(rewardSum - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), () => `truncated: rewards sum to ${rewardSum}, expected ${expected}`);
      }
      assert(Math.abs((episode?.return ?? 0) - rewardSum) <= 1e-9 * Math.max(1, Math.abs(rewardSum)), () => 'info.episode.return differs from the rewards');
      return JSON.stringify(log);
    }
  }
  throw new Error('episode did not end within 30000 steps');
}

describe('issue 14 layouts: properties', { timeout: 300_000 }, () => {
  it('mask semantics, candidates, observation space, elapsed time, reward-sum identity and no lost task, for every combination', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        runChecked(makeEnv(envConfig(c)), c);
      }),
      { numRuns: runs(80) },
    );
  });

  it('gives identical observations, rewards and infos for the same seed and actions', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expect(runChecked(makeEnv(envConfig(c)), c)).toBe(runChecked(makeEnv(envConfig(c)), c));
      }),
      { numRuns: runs(15) },
    );
  });

  it('the rewards of a drained episode sum to -(sum of response times) / scale with valid actions only', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 2, max: 32 }),
        fc.constantFrom('server' as const, 'task-and-server' as const),
        fc.boolean(),
        fc.boolean(),
        (seed, nodes, actions, defer, failures) => {
          const env = makeEnv({ nodes, horizon: 6, drain: true, objective: 'response-time', actions, defer, responseTimeScale: 3, ...(failures ? { failures: { mtbf: 10, mttr: 1 } } : {}) });
          let { obs, info } = env.reset({ seed });
          if (info.episode !== undefined) return;
          const rng = new Rng(seed).child('valid');
          let sum = 0;
          for (;;) {
            const valid = [...obs.mask.keys()].filter((a) => obs.mask[a] === 1);
            const result = env.step(valid[rng.int(0, valid.length - 1)] as number);
            sum += result.reward;
            obs = result.obs;
            info = result.info;
            if (result.terminated || result.truncated) break;
          }
          const episode = info.episode;
          expect(episode?.outcome).toBe('terminated');
          expect(episode?.invalidActions).toBe(0);
          let responses = 0;
          const sim = env.simulation;
          for (let t = 0; t < sim.taskCount; t++) responses += sim.taskEnd(t) - sim.workflowArrival(sim.taskWorkflow(t));
          expect(Math.abs(sum - -responses / 3)).toBeLessThanOrEqual(1e-9 * Math.max(1, responses / 3));
        },
      ),
      { numRuns: runs(25) },
    );
  });

  it('queue-aware values stay in their documented ranges and mean the same at N = 16 and N = 1,024', () => {
    const means = [16, 1024].map((nodes) => {
      const env = makeEnv({ nodes, horizon: 30, observation: 'queue-aware', actions: 'task-and-server', defer: true, objective: 'response-time' });
      const { cRef, succRef } = env.config.features;
      const { timeRef } = env.config.queueScales;
      const sim = () => env.simulation;
      let { obs } = env.reset({ seed: 1 });
      let maxSpeed = 0;
      let minSpeed = Number.POSITIVE_INFINITY;
      for (let j = 0; j < sim().serverCount; j++) {
        maxSpeed = Math.max(maxSpeed, sim().serverCompute(j));
        minSpeed = Math.min(minSpeed, sim().serverCompute(j));
      }
      const sums = new Float64Array(6);
      let steps = 0;
      const SF = env.layout.serverFeatures;
      const problems: string[] = [];
      const check = (ok: boolean, what: () => string): void => {
        if (!ok && problems.length < 5) problems.push(what());
      };
      for (;;) {
        // The full space check every 16th step (it is O(k N)); the queue-aware bounds at every step.
        if (steps % 16 === 0) check(env.observationSpace.contains(obs), () => env.observationSpace.violations(obs).join('; '));
        const TF = env.layout.taskFeatures;
        for (let c = 0; c < (obs.k ?? 1); c++) {
          const t = env.candidateTask(c);
          const w = sim().taskWorkflow(t);
          const row = (obs.tasks as Float32Array).subarray(c * TF, (c + 1) * TF);
          check((row[5] as number) <= Math.fround(sim().workflowWork(w) / cRef), () => `remaining work ${row[5]} at N=${nodes}`);
          check((row[6] as number) >= (row[0] as number), () => `critical path ${row[6]} below c ${row[0]} at N=${nodes}`);
          check((row[7] as number) <= Math.fround(sim().now / timeRef), () => `wait ${row[7]} at N=${nodes}`);
          check((row[8] as number) <= Math.fround((sim().workflowSize(w) - 1) / succRef), () => `descendants ${row[8]} at N=${nodes}`);
        }
        const speedBound = Math.fround(maxSpeed / minSpeed);
        for (let a = 0; a < obs.n; a++) check((obs.servers[a * SF + 4] as number) <= speedBound, () => `relative speed ${obs.servers[a * SF + 4]} at N=${nodes}`);
        (obs.global as Float32Array).forEach((v, i) => {
          sums[i] = (sums[i] as number) + v;
        });
        // Greedy: the fastest valid server for the first candidate that has one.
        let best = -1;
        let bestSpeed = -1;
        for (let a = 0; a < obs.mask.length - 1; a++) {
          const speed = obs.servers[(a % obs.n) * SF] as number;
          if (obs.mask[a] === 1 && speed > bestSpeed) [best, bestSpeed] = [a, speed];
        }
        const result = env.step(best);
        steps++;
        obs = result.obs;
        if (result.terminated || result.truncated) break;
      }
      expect(problems).toEqual([]);
      return Array.from(sums, (sum) => sum / steps);
    });
    const [small, large] = means as [number[], number[]];
    // Offered load, busy fraction and unfinished tasks per up server: the same quantities at both sizes.
    for (const i of [2, 4, 5]) {
      expect(large[i] as number).toBeGreaterThan((small[i] as number) / 1.5);
      expect(large[i] as number).toBeLessThan((small[i] as number) * 1.5);
    }
    expect(small[3]).toBe(1);
    expect(large[3]).toBe(1);
  });
});
