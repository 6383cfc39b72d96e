import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTrace, InvalidActionError, makeCluster } from '@scale/sim';
import { describe, expect, it } from 'vitest';
import { makeEnv, type StepResult } from './env.js';
import { envLayout } from './featurizer.js';
import { ObservationSpace } from './spaces.js';
import { Rng } from '@scale/workload';
import { ActionOutOfRangeError, ResetNeededError } from './errors.js';

// The simulator's hand-computed scenario (packages/sim/fixtures): small (C=1, M=8) and large (C=4, M=80)
// servers; workflow 0 at t=0: A (c=4, m=4, d=1) -> B (c=2), A -> C (c=8, m=10); workflow 1 at t=1: D (c=2).
const scenarioFile = (): string => join(dirname(fileURLToPath(import.meta.url)), '../../sim/fixtures/two-servers.scenario.json');

const f32 = (xs: number[]): number[] => Array.from(Float32Array.from(xs));

describe('SchedulingEnv', () => {
  it('builds the documented features, reward and reward parts, step by step', () => {
    const env = makeEnv({ scenario: scenarioFile(), horizon: 10, drain: true, reward: { gamma: 1 } });
    const { obs, info } = env.reset({ seed: 0 });
    expect(info).toMatchObject({ time: 0, decisions: 0, n: 2 });
    // Task A: c/10, m/80, 2 successors / 7, 0 of 3 done, output 1 GB.
    expect(Array.from(obs.task)).toEqual(f32([0.4, 4 / 80, 2 / 7, 0, 1]));
    // Servers: C/4, M/80, remaining 0, idle power / 400, no parent so no transfer.
    expect(Array.from(obs.servers)).toEqual(f32([0.25, 0.1, 0, 30 / 400, 0, 1, 1, 0, 80 / 400, 0]));
    expect(Array.from(obs.mask)).toEqual([1, 1]);

    const first = env.step(1); // A on the large server: t_exec 1 s, no transfer, E = 400 J
    expect(first.info.rewardParts).toEqual({ time: Math.exp(-0.5), communication: -0, energy: -1, invalid: 0 });
    expect(first.reward).toBeCloseTo(Math.exp(-0.5) - 1, 12);
    // t=1: A done; B pending. 1 of 3 done. Transfer from A's server (1) to server 0: 1/10 + 0.01.
    expect(first.info.time).toBe(1);
    expect(Array.from(first.obs.task)).toEqual(f32([0.2, 4 / 80, 0, 1 / 3, 0.1]));
    expect(Array.from(first.obs.servers)).toEqual(f32([0.25, 0.1, 0, 30 / 400, 0.11, 1, 1, 0, 80 / 400, 0]));

    const second = env.step(0); // B on the small server: t_exec 2 s, t_comm 0.11 s, E = 200 J
    expect(second.info.rewardParts.time).toBeCloseTo(Math.exp(-1), 12);
    expect(second.info.rewardParts.communication).toBeCloseTo(-0.1 * 0.11 / 0.1, 12);
    expect(second.info.rewardParts.energy).toBeCloseTo(-0.5, 12);
    // Still t=1: C (10 GB) fits the idle large server, so it is the next decision.
    expect(second.info.time).toBe(1);
    // Small server now busy: remaining 2 s, busy power 100/400, masked out.
    expect(Array.from(second.obs.servers.slice(0, 4))).toEqual(f32([0.25, 0.1, 2, 100 / 400]));
    expect(Array.from(second.obs.mask)).toEqual([0, 1]);
  });

  it('reports the episode metrics at the end, equal to the trace the simulator writes', () => {
    const env = makeEnv({ nodes: 8, horizon: 20, drain: true });
    let { obs } = env.reset({ seed: 5 });
    let result: StepResult;
    let total = 0;
    do {
      result = env.step(obs.mask.indexOf(1));
      total += result.reward;
      obs = result.obs;
    } while (!result.terminated && !result.truncated);
    expect(result.terminated).toBe(true);
    const trace = env.trace();
    expect(checkTrace(trace)).toEqual([]);
    const { outcome: _o, decisions: _d, invalidActions: _i, deferrals, return: ret, ...metrics } = result.info.episode!;
    const { outcome: _o2, ...traceMetrics } = trace.metrics;
    expect(metrics).toEqual(traceMetrics);
    expect(ret).toBeCloseTo(total, 9);
    // Without a defer action there is nothing to defer.
    expect(deferrals).toBe(0);
    // The final observation has no task: zero task features and an empty mask.
    expect(Array.from(obs.task)).toEqual([0, 0, 0, 0, 0]);
    expect(obs.mask.every((m) => m === 0)).toBe(true);
    expect(() => env.step(0)).toThrow(ResetNeededError);
  });

  it('throws ResetNeededError before reset and named errors for bad actions', () => {
    const env = makeEnv({ nodes: 4, horizon: 5 });
    expect(() => env.step(0)).toThrow(ResetNeededError);
    env.reset({ seed: 1 });
    expect(() => env.step(4)).toThrow(new ActionOutOfRangeError(4, 4));
    expect(() => env.step(1.5)).toThrow(/action: expected an integer in \[0, 3\], received 1.5/);
    expect(() => env.step(-1)).toThrow(ActionOutOfRangeError);
    const masked = makeEnv({ nodes: 4, horizon: 5, invalidAction: 'mask' });
    const { obs } = masked.reset({ seed: 1 });
    const first = obs.mask.indexOf(1);
    const next = masked.step(first);
    const blocked = Array.from(next.obs.mask).indexOf(0);
    if (blocked >= 0) expect(() => masked.step(blocked)).toThrow(InvalidActionError);
  });

  it('ends a training episode truncated at the horizon', () => {
    const env = makeEnv({ nodes: 16, horizon: 10 });
    let { obs } = env.reset({ seed: 2 });
    let result: StepResult;
    do {
      result = env.step(obs.mask.indexOf(1));
      obs = result.obs;
    } while (!result.terminated && !result.truncated);
    expect(result.truncated).toBe(true);
    expect(result.terminated).toBe(false);
    expect(result.info.time).toBe(10);
    expect(result.info.episode?.outcome).toBe('truncated');
  });

  it('samples the cluster size from a list at each reset, and reseeds reproducibly', () => {
    const env = makeEnv({ nodes: [4, 16, 48], horizon: 5 });
    const sizes = new Set<number>();
    env.reset({ seed: 10 });
    for (let i = 0; i < 30; i++) sizes.add(env.reset().obs.n);
    expect([...sizes].sort((a, b) => a - b)).toEqual([4, 16, 48]);
    const a = makeEnv({ nodes: [4, 16, 48], horizon: 5 });
    const b = makeEnv({ nodes: [4, 16, 48], horizon: 5 });
    a.reset({ seed: 3 });
    b.reset({ seed: 3 });
    for (let i = 0; i < 5; i++) expect(a.reset().info.episodeSeed).toBe(b.reset().info.episodeSeed);
  });

  it('explicit servers fix N: nodes may repeat their count, never contradict it, and reset options bring their own', () => {
    const servers = makeCluster({ tiers: [{ tier: 'small', count: 2 }, { tier: 'large', count: 1 }] });
    const env = makeEnv({ servers, horizon: 5 });
    expect(env.reset({ seed: 1 }).obs.n).toBe(3);
    expect(makeEnv({ servers, nodes: [3, 3], horizon: 5 }).reset({ seed: 1 }).obs.n).toBe(3);
    expect(() => makeEnv({ servers, nodes: [3, 48] })).toThrow(/^config\.nodes: expected 3 \(the number of servers given\) or absent, received \[3,48\]$/);
    expect(env.reset({ seed: 1, options: { servers: makeCluster({ nodes: 5 }) } }).obs.n).toBe(5);
    expect(() => env.reset({ seed: 1, options: { nodes: 48 } })).toThrow(/^config\.nodes: expected 3/);
  });

  it('names a bad config field', () => {
    expect(() => makeEnv({ nodes: 0 })).toThrow(/config\.nodes/);
    expect(() => makeEnv({ reward: { T0: -1 } })).toThrow(/config\.reward\.T0: expected a number > 0/);
    expect(() => makeEnv({ invalidAction: 'ignore' as 'mask' })).toThrow(/config\.invalidAction: expected one of "penalize", "mask"/);
  });
});

describe("issue 14's layouts on the hand-computed scenario", () => {
  it('task-and-server, defer, queue-aware and response-time: candidates, pairs, mask, features, rewards and elapsed times', () => {
    const env = makeEnv({ scenario: scenarioFile(), horizon: 10, drain: true, objective: 'response-time', responseTimeScale: 2, observation: 'queue-aware', actions: 'task-and-server', defer: true });
    expect(env.layout).toEqual({ taskFeatures: 9, serverFeatures: 6, globalFeatures: 6, pairFeatures: 1, actions: 'task-and-server', defer: true, candidates: 8 });
    const start = env.reset({ seed: 0 });
    // t=0: only A is ready (k=1); defer is valid, workflow 1 arrives at t=1.
    expect([start.obs.k, start.obs.n, start.info.elapsed]).toEqual([1, 2, 0]);
    expect(Array.from(start.obs.mask)).toEqual([1, 1, 1]);
    expect(start.obs.defer).toBe(true);
    // A: paper features, then its workflow's remaining work 14/10, critical path (4+8)/10, no wait, 2 descendants / 7.
    expect(Array.from(start.obs.task)).toEqual(f32([0.4, 4 / 80, 2 / 7, 0, 1, 1.4, 1.2, 0, 2 / 7]));

    const first = env.step(1); // A on the large server: 0 -> 1
    // Three tasks of workflow 0 unfinished for 1 s: area 3, reward -3 / 2.
    expect(first.reward).toBe(-1.5);
    expect(first.info.rewardParts).toEqual({ time: 0, communication: 0, energy: 0, invalid: 0, responseTime: -1.5 });
    expect([first.info.time, first.info.elapsed]).toEqual([1, 1]);
    // t=1: B, C, D ready, in level-1 order; C (10 GB) fits only the large server; nothing queued, so no defer.
    const obs = first.obs;
    expect(obs.k).toBe(3);
    expect([0, 1, 2].map((c) => env.candidateTask(c))).toEqual([1, 2, 3]);
    expect(Array.from(obs.mask)).toEqual([1, 1, 0, 1, 1, 1, 0]);
    // Transfers from A's server (1): 1 GB / 10 + 0.01 s to the small server; D has no parent.
    expect(Array.from(obs.pairs as Float32Array)).toEqual(f32([0.11, 0, 0.11, 0, 0, 0]));
    const tasks = Array.from(obs.tasks as Float32Array);
    expect(tasks.slice(0, 9)).toEqual(f32([0.2, 4 / 80, 0, 1 / 3, 0.1, 1, 0.2, 0, 0]));
    expect(tasks.slice(18, 27)).toEqual(f32([0.2, 2 / 80, 0, 0, 0.5, 0.2, 0.2, 0, 0]));
    expect(Array.from(obs.task)).toEqual(tasks.slice(0, 9));
    // Servers: C/4, M/80, remaining 0, power / 400, then speed / mean up speed 2.5 and free-in / 10.
    expect(Array.from(obs.servers)).toEqual(f32([0.25, 0.1, 0, 30 / 400, 0.4, 0, 1, 1, 0, 80 / 400, 1.6, 0]));
    // 3 ready per up server; ready work 12 / 5 GFLOP/s / 10; 16 GFLOP arrived in 10 s / (10 x 5); all up; none busy; 3 unfinished (B, C, D) / 2.
    expect(Array.from(obs.global as Float32Array)).toEqual(f32([1.5, 0.24, 0.32, 1, 0, 1.5]));

    const second = env.step(2 * 2 + 0); // candidate 2 (D) on the small server until t=3
    expect(second.info.assignment).toMatchObject({ task: 3, server: 0, assigned: 1, end: 3 });
    expect([second.reward, second.info.elapsed]).toEqual([0, 0]);
    // Still t=1: B and C for the large server; D's completion at 3 is queued, so defer is valid.
    expect(second.obs.k).toBe(2);
    expect(Array.from(second.obs.mask)).toEqual([0, 1, 0, 1, 1]);
    const deferred = env.step(4);
    expect(deferred.info.assignment).toBeNull();
    expect(env.simulation.deferrals).toBe(1);
    // t=3: B, C and D unfinished from 1 to 3: area 6, reward -3.
    expect([deferred.info.time, deferred.info.elapsed, deferred.reward]).toEqual([3, 2, -3]);
    expect(() => env.step(deferred.obs.mask.length)).toThrow(ActionOutOfRangeError);
  });

  it('server actions with defer keep the paper features; a defer earns 0 under eq. 2; an invalid defer is penalized or throws', () => {
    const env = makeEnv({ scenario: scenarioFile(), horizon: 10, drain: true, defer: true });
    const paper = makeEnv({ scenario: scenarioFile(), horizon: 10, drain: true });
    const { obs } = env.reset({ seed: 0 });
    const reference = paper.reset({ seed: 0 }).obs;
    expect(Array.from(obs.task)).toEqual(Array.from(reference.task));
    expect(Array.from(obs.servers)).toEqual(Array.from(reference.servers));
    expect(Array.from(obs.mask)).toEqual([1, 1, 1]);
    expect(obs.k).toBeUndefined();
    const deferred = env.step(2);
    expect([deferred.reward, deferred.info.time, deferred.info.elapsed]).toEqual([0, 1, 1]);
    expect(deferred.info.rewardParts).toEqual({ time: 0, communication: 0, energy: 0, invalid: 0 });
    const assigned = env.step(1); // A on the large server at t=1, until 2
    expect(assigned.reward).toBe(Math.exp(-0.5));
    // t=1: D for the small server; A's completion at 2 is queued.
    expect(assigned.obs.mask[2]).toBe(1);

    // t=1 with both servers idle and nothing queued: defer is masked.
    for (const invalidAction of ['penalize', 'mask'] as const) {
      const stuck = makeEnv({ scenario: scenarioFile(), horizon: 10, drain: true, defer: true, invalidAction });
      stuck.reset({ seed: 0 });
      const next = stuck.step(1);
      expect(next.obs.mask[2]).toBe(0);
      expect(stuck.isValidAction(2)).toBe(false);
      if (invalidAction === 'mask') expect(() => stuck.step(2)).toThrow(InvalidActionError);
      else {
        const penalized = stuck.step(2);
        expect(penalized.reward).toBe(-0.1);
        expect(penalized.info.elapsed).toBeCloseTo(stuck.config.invalidActionDelay, 12);
      }
    }
  });

  it('gives the model config widths of every layout', () => {
    expect(envLayout()).toEqual({ taskFeatures: 5, serverFeatures: 5, globalFeatures: 0, pairFeatures: 0, actions: 'server', defer: false, candidates: 1 });
    expect(envLayout({ observation: 'queue-aware' })).toMatchObject({ taskFeatures: 9, serverFeatures: 7, globalFeatures: 6, pairFeatures: 0 });
    expect(envLayout({ actions: 'task-and-server', candidates: 4 })).toMatchObject({ taskFeatures: 5, serverFeatures: 4, pairFeatures: 1, candidates: 4 });
    expect(makeEnv({ observation: 'queue-aware', actions: 'task-and-server', defer: true }).layout).toEqual({
      taskFeatures: 9,
      serverFeatures: 6,
      globalFeatures: 6,
      pairFeatures: 1,
      actions: 'task-and-server',
      defer: true,
      candidates: 8,
    });
    expect(() => makeEnv({ candidates: 0 })).toThrow(/config\.candidates/);
    expect(() => makeEnv({ objective: 'makespan' as 'paper' })).toThrow(/config\.objective: expected one of "paper", "response-time"/);
    expect(() => makeEnv({ responseTimeScale: 0 })).toThrow(/config\.responseTimeScale/);
    expect(() => makeEnv({ nodes: 4 }).reset({ seed: 1, options: { actions: 'task-and-server' } })).toThrow(/options\.actions: expected no per-reset value/);
  });

  it("the observation space of a layout accepts its samples and names what breaks its shapes and ranges", () => {
    const space = new ObservationSpace(new Rng(3), envLayout({ observation: 'queue-aware', actions: 'task-and-server', defer: true }));
    const obs = space.sample({ n: 5, k: 3 });
    expect(space.violations(obs)).toEqual([]);
    expect([obs.mask.length, obs.tasks?.length, obs.pairs?.length, obs.global?.length, obs.servers.length]).toEqual([16, 27, 15, 6, 30]);
    const tasks = Float32Array.from(obs.tasks as Float32Array);
    tasks[9 + 6] = (tasks[9 + 5] as number) + 1;
    const global = Float32Array.from(obs.global as Float32Array);
    global[3] = 1.5;
    expect(space.violations({ ...obs, tasks, global })).toEqual([
      `tasks[1][6] (critical path) = ${tasks[15]} exceeds its remaining work ${tasks[14]}`,
      'global[3] = 1.5 is outside its range',
    ]);
    expect(space.violations({ ...obs, mask: obs.mask.subarray(1) })).toEqual(['mask must be a Uint8Array(16)']);
    const task = Float32Array.from(obs.task);
    task[2] = (task[2] as number) + 1;
    expect(space.violations({ ...obs, task })).toEqual(['task[2] differs from tasks[2] (candidate 0)']);
    const { defer: _defer, ...noDefer } = obs;
    expect(space.violations(noDefer)).toContain('defer must be true');
  });
});
