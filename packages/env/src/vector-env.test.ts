import { describe, expect, it } from 'vitest';
import type { EnvConfigInput } from './config.js';
import { makeEnv } from './env.js';
import { VectorEnv } from './vector-env.js';

const firstValid = (mask: Uint8Array, start: number, end: number): number => {
  for (let a = start; a < end; a++) if (mask[a] === 1) return a - start;
  return 0;
};

describe('VectorEnv', () => {
  it('seeds env i with seed + i and packs observations into one tensor when N agrees', () => {
    const vec = new VectorEnv(4, { nodes: 16, horizon: 10 });
    const { obs, infos } = vec.reset({ seed: 100 });
    expect(obs.uniformN).toBe(16);
    expect(obs.servers.length).toBe(4 * 16 * 5);
    expect(Array.from(obs.offsets)).toEqual([0, 16, 32, 48, 64]);
    expect(infos.map((i) => i.episodeSeed)).toEqual([100, 101, 102, 103]);
    for (let i = 0; i < 4; i++) {
      const single = makeEnv({ nodes: 16, horizon: 10 }).reset({ seed: 100 + i }).obs;
      const unpacked = VectorEnv.unpack(obs, i);
      expect(Array.from(unpacked.servers)).toEqual(Array.from(single.servers));
      expect(Array.from(unpacked.task)).toEqual(Array.from(single.task));
      expect(Array.from(unpacked.mask)).toEqual(Array.from(single.mask));
    }
  });

  it('packs ragged observations with offsets when the cluster sizes differ', () => {
    const vec = new VectorEnv(3, { nodes: [4, 16, 48], horizon: 30 });
    const { obs } = vec.reset({ seed: 7 });
    const total = Array.from(obs.n).reduce((a, b) => a + b, 0);
    expect(obs.servers.length).toBe(total * 5);
    expect(obs.offsets[3]).toBe(total);
    if (new Set(obs.n).size > 1) expect(obs.uniformN).toBeNull();
  });

  it("autoresets on the step after an episode ends (Gymnasium's next-step mode) and keeps the final info", () => {
    const vec = new VectorEnv(2, { nodes: 4, horizon: 4 });
    let { obs } = vec.reset({ seed: 1 });
    let finished = -1;
    let finalEpisodes = 0;
    for (let step = 0; step < 5000 && finalEpisodes < 3; step++) {
      const actions = [0, 1].map((i) => firstValid(obs.mask, obs.offsets[i] as number, obs.offsets[i + 1] as number));
      const result = vec.step(actions);
      if (finished >= 0) {
        // The step after env `finished` ended: it was reset, with reward 0 and no flags.
        expect(result.rewards[finished]).toBe(0);
        expect(result.terminated[finished]).toBe(0);
        expect(result.truncated[finished]).toBe(0);
        expect(result.infos[finished]?.decisions).toBe(0);
        expect(result.infos[finished]?.time).toBeLessThan(4);
        finished = -1;
      }
      for (let i = 0; i < 2; i++) {
        if (result.terminated[i] || result.truncated[i]) {
          expect(result.infos[i]?.episode?.outcome).toBe('truncated');
          expect(vec.lastEpisode[i]).toBe(result.infos[i]?.episode);
          finished = i;
          finalEpisodes++;
        }
      }
      obs = result.obs;
    }
    expect(finalEpisodes).toBeGreaterThanOrEqual(3);
  });

  it('rejects a wrong number of actions and a bad env count', () => {
    const vec = new VectorEnv(2, { nodes: 4, horizon: 4 });
    vec.reset({ seed: 0 });
    expect(() => vec.step([0])).toThrow(/actions: expected 2 actions, one per env/);
    expect(() => new VectorEnv(0)).toThrow(/numEnvs: expected an integer >= 1/);
  });

  it('snapshot and restore resume mid-episode and across autoresets exactly where the run was', () => {
    const config = { nodes: 6, horizon: 3 } as const;
    const policy = (obs: ReturnType<VectorEnv['reset']>['obs'], t: number) =>
      Array.from({ length: 2 }, (_, i) => (t % 3 === 0 ? 0 : firstValid(obs.mask, obs.offsets[i]!, obs.offsets[i + 1]!)));
    const run = (steps: number, vec: VectorEnv, start: ReturnType<VectorEnv['reset']>['obs'], from = 0) => {
      let obs = start;
      const rewards: number[] = [];
      for (let t = from; t < from + steps; t++) {
        const result = vec.step(policy(obs, t));
        rewards.push(...result.rewards);
        obs = result.obs;
      }
      return { obs, rewards };
    };
    const straight = new VectorEnv(2, config);
    const whole = run(400, straight, straight.reset({ seed: 5 }).obs);

    const first = new VectorEnv(2, config);
    const half = run(170, first, first.reset({ seed: 5 }).obs);
    const snapshot = JSON.parse(JSON.stringify(first.snapshot()));
    const resumed = new VectorEnv(2, config);
    const { obs } = resumed.restore(snapshot);
    expect(Array.from(obs.servers)).toEqual(Array.from(half.obs.servers));
    const rest = run(230, resumed, obs, 170);
    expect([...half.rewards, ...rest.rewards]).toEqual(whole.rewards);
    expect(Array.from(rest.obs.task)).toEqual(Array.from(whole.obs.task));
  });

  it("packs and views issue 14's layouts (ragged N and k), equal to the single envs' observations, and restores them", () => {
    const config: EnvConfigInput = { nodes: [3, 9, 20], horizon: 20, observation: 'queue-aware', actions: 'task-and-server', defer: true, objective: 'response-time', candidates: 4 };
    const vec = new VectorEnv(3, config);
    const singles = [0, 1, 2].map((i) => makeEnv({ ...config, seed: 50 + i }));
    let { obs } = vec.reset({ seed: 50 });
    let singleObs = singles.map((env, i) => env.reset({ seed: 50 + i }).obs);
    const fields = (o: ReturnType<typeof VectorEnv.view>) => [o.n, o.k, o.defer, ...[o.task, o.servers, o.mask, o.tasks, o.pairs, o.global].map((x) => (x === undefined ? null : Array.from(x)))];
    let snapshot: ReturnType<VectorEnv['snapshot']> | null = null;
    let afterSnapshot: ReturnType<typeof fields>[] = [];
    for (let step = 0; step < 60; step++) {
      for (let i = 0; i < 3; i++) expect(fields(VectorEnv.view(obs, i))).toEqual(fields(singleObs[i] as (typeof singleObs)[number]));
      expect(fields(VectorEnv.unpack(obs, i0(step)))).toEqual(fields(VectorEnv.view(obs, i0(step))));
      // Each env takes its last valid action (a defer whenever one is valid).
      const actions = [0, 1, 2].map((i) => VectorEnv.view(obs, i).mask.lastIndexOf(1));
      if (step === 10) snapshot = vec.snapshot();
      const result = vec.step(actions);
      singleObs = singles.map((env, i) => {
        const r = env.step(actions[i] as number);
        return r.terminated || r.truncated ? env.reset().obs : r.obs;
      });
      if (step === 10) afterSnapshot = [0, 1, 2].map((i) => fields(VectorEnv.view(result.obs, i)));
      obs = result.obs;
      if ([0, 1, 2].some((i) => result.terminated[i] || result.truncated[i])) break;
    }
    expect(snapshot).not.toBeNull();
    const restored = new VectorEnv(3, config);
    const resumed = restored.restore(snapshot as unknown as ReturnType<VectorEnv['snapshot']>).obs;
    const next = restored.step([0, 1, 2].map((i) => VectorEnv.view(resumed, i).mask.lastIndexOf(1)));
    expect([0, 1, 2].map((i) => fields(VectorEnv.view(next.obs, i)))).toEqual(afterSnapshot);
  });

  it('resetSameSeed gives every env the same workflow arrivals, whatever actions they take', () => {
    const config: EnvConfigInput = { nodes: 8, horizon: 20, observation: 'queue-aware', actions: 'task-and-server', defer: true, objective: 'response-time', candidates: 4 };
    const vec = new VectorEnv(2, config);
    const { obs: first, infos } = vec.resetSameSeed(9);
    expect(infos.map((i) => i.episodeSeed)).toEqual([9, 9]);
    expect(Array.from(VectorEnv.view(first, 1).servers)).toEqual(Array.from(VectorEnv.view(first, 0).servers));
    // Env 0 takes its first valid action, env 1 its last (a defer whenever valid); an env that ended is held.
    let obs = first;
    const active = new Uint8Array([1, 1]);
    const arrivals: [number, number][][] = [[], []];
    for (let step = 0; step < 20_000 && active.some((a) => a === 1); step++) {
      const actions = [0, 1].map((i) => (i === 0 ? VectorEnv.view(obs, i).mask.indexOf(1) : VectorEnv.view(obs, i).mask.lastIndexOf(1)));
      const result = vec.stepActive(actions, active);
      for (let i = 0; i < 2; i++) {
        if (active[i] !== 1) continue;
        const sim = vec.envs[i]!.simulation;
        arrivals[i]!.push([sim.now, sim.arrivedWorkflows]);
        if (result.terminated[i] === 1 || result.truncated[i] === 1) active[i] = 0;
      }
      obs = result.obs;
    }
    expect(Array.from(active)).toEqual([0, 0]);
    const traces = vec.envs.map((env) => env.trace());
    expect(traces[1]!.workflows).toEqual(traces[0]!.workflows);
    expect(traces[0]!.workflows.length).toBeGreaterThan(3);
    // The schedules differ, yet at any simulated time both envs have seen the same arrivals.
    expect(traces[1]!.attempts).not.toEqual(traces[0]!.attempts);
    const arrivedBy = (log: [number, number][], time: number) => log.filter(([t]) => t <= time).reduce((most, [, n]) => Math.max(most, n), 0);
    const expected = (time: number) => traces[0]!.workflows.filter((w) => w.arrival <= time).length;
    for (const log of arrivals) for (const [time, arrived] of log) expect([arrived, arrivedBy(log, time)]).toEqual([expected(time), expected(time)]);
  });

  it('stepActive holds the inactive envs: no step, no autoreset, their last observation again with reward 0', () => {
    const vec = new VectorEnv(2, { nodes: 4, horizon: 4 });
    let { obs } = vec.resetSameSeed(3);
    const held = Array.from(VectorEnv.view(obs, 1).task);
    const decisionsBefore = vec.envs[1]!.simulation.decisions;
    for (let step = 0; step < 5; step++) {
      const result = vec.stepActive([VectorEnv.view(obs, 0).mask.indexOf(1), 0], [1, 0]);
      expect([result.rewards[1], result.terminated[1], result.truncated[1], result.infos[1]?.episode]).toEqual([0, 0, 0, undefined]);
      expect(Array.from(VectorEnv.view(result.obs, 1).task)).toEqual(held);
      obs = result.obs;
    }
    expect(vec.envs[1]!.simulation.decisions).toBe(decisionsBefore);
    expect(vec.envs[0]!.simulation.decisions).toBeGreaterThan(0);
    expect(() => vec.stepActive([0, 0], [1])).toThrow(/active: expected 2 flags, one per env/);
    expect(() => new VectorEnv(1).stepActive([0], [0])).toThrow(/call reset\(\) before step\(\)/);
  });
});

const i0 = (step: number): number => step % 3;
