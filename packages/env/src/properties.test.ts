import fc from 'fast-check';
import { checkTrace, makeCluster, TaskStatus, type ServerSpec } from '@scale/sim';
import { Rng } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import type { EnvConfigInput } from './config.js';
import { makeEnv, type SchedulingEnv, type StepResult } from './env.js';
import { SERVER_FEATURES } from './observation.js';

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 35 : ci);

type ArbitraryValue<A> = A extends fc.Arbitrary<infer T> ? T : never;

const configArb = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  nodes: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 21, max: 128 })),
  communication: fc.constantFrom('reward-only' as const, 'delays-start' as const),
  invalidAction: fc.constantFrom('penalize' as const, 'mask' as const),
  drain: fc.boolean(),
  failures: fc.boolean(),
  invalidRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
});
type Case = ArbitraryValue<typeof configArb>;

const envConfig = (c: Case): EnvConfigInput => ({
  nodes: c.nodes,
  horizon: Math.max(2, Math.min(15, 200 / c.nodes)),
  communication: c.communication,
  invalidAction: c.invalidAction,
  drain: c.drain,
  lambda16: 2,
  ...(c.failures ? { failures: { mtbf: 20, mttr: 2 } } : {}),
});

function assert(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

/** A random agent: valid actions, plus invalid ones at `invalidRate` in penalize mode. */
function chooseAction(obs: { mask: Uint8Array; n: number }, rng: Rng, c: Case): number {
  const valid: number[] = [];
  const invalid: number[] = [];
  for (let a = 0; a < obs.n; a++) (obs.mask[a] === 1 ? valid : invalid).push(a);
  if (c.invalidAction === 'penalize' && invalid.length > 0 && rng.next() < c.invalidRate) return invalid[rng.int(0, invalid.length - 1)] as number;
  return valid[rng.int(0, valid.length - 1)] as number;
}

/** Runs one episode checking every per-step property; returns a fingerprint of everything observed. */
function runChecked(env: SchedulingEnv, c: Case): string {
  const rng = new Rng(c.seed).child('agent');
  const { obs: first, info: firstInfo } = env.reset({ seed: c.seed });
  let obs = first;
  let time = firstInfo.time;
  const log: unknown[] = [Array.from(obs.task), Array.from(obs.servers), Array.from(obs.mask)];
  // No arrival at all in the episode (a tiny cluster's tiny arrival rate): over at reset.
  if (firstInfo.episode !== undefined) return JSON.stringify(log);
  const dt = env.config.invalidActionDelay;
  for (let step = 0; step < 20_000; step++) {
    if (obs.n === 0 || obs.mask.every((m) => m === 0)) throw new Error(`a decision with no valid server at t=${time}`);
    const sim = env.simulation;
    // mask[j] == 1 exactly when j is a valid assignment.
    for (let a = 0; a < obs.n; a++) assert((obs.mask[a] === 1) === env.isValidAction(a), () => `mask[${a}] disagrees with validity at t=${time}`);
    assert(env.observationSpace.contains(obs), () => `observation outside the space at t=${time}: ${env.observationSpace.violations(obs).join('; ')}`);
    // Conservation: arrived = waiting + ready + running + done.
    assert(sim.waitingTasks + sim.readyTasks + sim.runningTasks + sim.doneTasks === sim.arrivedTasks, () => `conservation at t=${time}`);
    const action = chooseAction(obs, rng, c);
    const valid = obs.mask[action] === 1;
    // Would another decision be possible at this same instant after this assignment?
    const chosen = env.serverOf(action);
    let idleMemory = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < sim.serverCount; j++) {
      if (j !== chosen && sim.isIdle(j)) idleMemory = Math.max(idleMemory, sim.serverMemory(j));
    }
    const anotherDecisionNow = sim.readyTasksInOrder().some((t) => t !== sim.task && sim.taskMemory(t) <= idleMemory);
    const result: StepResult = env.step(action);
    log.push(action, result.reward, Array.from(result.obs.servers), result.info.time, result.terminated, result.truncated);
    assert(Number.isFinite(result.reward), () => `reward ${result.reward}`);
    assert(!(result.terminated && result.truncated), () => 'terminated and truncated both set');
    if (valid) {
      // A valid step never advances the clock: the task starts now, and the next decision is at the same
      // instant whenever one is possible.
      assert(result.info.assignment?.assigned === time, () => `assigned at ${result.info.assignment?.assigned}, decision was at ${time}`);
      if (anotherDecisionNow && !result.terminated && !result.truncated) assert(result.info.time === time, () => `clock moved from ${time} to ${result.info.time} on a valid step`);
    } else {
      // An invalid step in penalize mode: r_invalid, and the clock moves by exactly dt (or to the limit).
      assert(result.reward === env.config.reward.rInvalid, () => `invalid step reward ${result.reward}`);
      const target = Math.min(time + dt, sim.timeLimit);
      if (!c.failures && !result.terminated && !result.truncated) assert(result.info.time === target, () => `invalid step moved the clock from ${time} to ${result.info.time}, expected ${target}`);
      else assert(result.info.time >= target || result.terminated, () => `invalid step moved the clock less than dt`);
    }
    assert(result.info.time >= time, () => 'time went back');
    time = result.info.time;
    obs = result.obs;
    if (result.terminated || result.truncated) {
      // The episode's schedule trace passes the simulator's independent checks.
      const violations = checkTrace(env.trace());
      assert(violations.length === 0, () => `trace: ${JSON.stringify(violations.slice(0, 3))}`);
      for (let t = 0; t < sim.taskCount; t++) assert(sim.taskStatus(t) !== TaskStatus.NotArrived || !c.drain, () => 'a task never arrived');
      return JSON.stringify(log);
    }
  }
  throw new Error('episode did not end within 20000 steps');
}

describe('env properties', { timeout: 120_000 }, () => {
  it('mask, clock, reward, conservation, observation-space and trace invariants hold for any action sequence', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        runChecked(makeEnv(envConfig(c)), c);
      }),
      { numRuns: runs(60) },
    );
  });

  it('gives identical observations, rewards and infos for the same seed and actions', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        expect(runChecked(makeEnv(envConfig(c)), c)).toBe(runChecked(makeEnv(envConfig(c)), c));
      }),
      { numRuns: runs(20) },
    );
  });

  it('permuting the server order in the config permutes the server rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 2, max: 24 }), fc.integer({ min: 0, max: 2 ** 31 }), (seed, n, permSeed) => {
        const base = makeCluster({ nodes: n });
        const perm = new Rng(permSeed).shuffle(base.map((_, i) => i)); // position p holds original server perm[p]
        const permuted: ServerSpec[] = perm.map((orig, p) => ({ ...(base[orig] as ServerSpec), id: p }));
        const a = makeEnv({ servers: base, horizon: 5, drain: true });
        const b = makeEnv({ servers: permuted, horizon: 5, drain: true });
        const resetA = a.reset({ seed });
        const resetB = b.reset({ seed });
        // No arrival at all (tiny clusters have tiny arrival rates): both episodes are over at reset.
        expect(resetB.info.episode === undefined).toBe(resetA.info.episode === undefined);
        if (resetA.info.episode !== undefined) return;
        let oa = resetA.obs;
        let ob = resetB.obs;
        const inverse = new Array<number>(n);
        perm.forEach((orig, p) => {
          inverse[orig] = p;
        });
        for (let step = 0; step < 400; step++) {
          expect(Array.from(ob.task)).toEqual(Array.from(oa.task));
          for (let p = 0; p < n; p++) {
            const orig = perm[p] as number;
            expect(Array.from(ob.servers.slice(p * SERVER_FEATURES, (p + 1) * SERVER_FEATURES))).toEqual(Array.from(oa.servers.slice(orig * SERVER_FEATURES, (orig + 1) * SERVER_FEATURES)));
            expect(ob.mask[p]).toBe(oa.mask[orig]);
          }
          const action = oa.mask.indexOf(1);
          const ra = a.step(action);
          const rb = b.step(inverse[action] as number);
          expect(rb.reward).toBe(ra.reward);
          if (ra.terminated || ra.truncated) {
            expect([rb.terminated, rb.truncated]).toEqual([ra.terminated, ra.truncated]);
            break;
          }
          oa = ra.obs;
          ob = rb.obs;
        }
      }),
      { numRuns: runs(25) },
    );
  });
});
