import { describe, expect, it } from 'vitest';
import { FULL_BUDGET, type Job, JobPlan, QUICK_BUDGET, resolveBudget, HEURISTIC_SUITE } from './plan.js';
import { expandTargets, planJobs } from './targets.js';
import { REGIMES } from './targets/regimes.js';
import { TABLE4_NODES } from './targets/table4.js';

const options = { seeds: [42, 43], budget: FULL_BUDGET, backend: 'wasm', workload: null };
const trains = (jobs: readonly Job[]) => jobs.filter((j) => j.kind === 'train');
const evaluations = (jobs: readonly Job[]) => jobs.filter((j) => j.kind === 'evaluate');

describe('planJobs', () => {
  it('Table 3 trains the six methods per seed at N=16 and evaluates them and the heuristics at N=16', () => {
    const jobs = planJobs({ ...options, targets: ['table3'] });
    expect(trains(jobs)).toHaveLength(6 * 2);
    expect(trains(jobs).every((j) => j.kind === 'train' && j.config.nodes === 16 && j.config.epochs === 1000)).toBe(true);
    expect(evaluations(jobs)).toHaveLength(6 * 2 + HEURISTIC_SUITE.length);
    expect(evaluations(jobs).every((j) => j.kind === 'evaluate' && j.nodes === 16 && j.episodes === 30)).toBe(true);
  });

  it('shares runs and evaluations between targets instead of repeating them', () => {
    const table3 = planJobs({ ...options, targets: ['table3'] });
    const both = planJobs({ ...options, targets: ['table3', 'table4', 'table5', 'fig6'] });
    expect(trains(both)).toHaveLength(trains(table3).length);
    // Table 4 adds scale and crossattn per seed and the heuristics at the six other sizes.
    expect(evaluations(both)).toHaveLength(evaluations(table3).length + (TABLE4_NODES.length - 1) * (2 * 2 + HEURISTIC_SUITE.length));
    expect(new Set(both.map((j) => j.id)).size).toBe(both.length);
  });

  it('every evaluation waits on a planned training run, and only cross-attention runs gather features', () => {
    const jobs = planJobs({ ...options, targets: ['table3', 'table4', 'regimes', 'elastic'] });
    const ids = new Set(trains(jobs).map((j) => j.id));
    for (const job of evaluations(jobs)) {
      if (job.kind !== 'evaluate') continue;
      for (const id of job.after) expect(ids.has(id)).toBe(true);
      const learned = 'run' in job.policy;
      expect(job.features).toBe(learned && ['scale', 'crossattn'].includes((job.policy as { method: string }).method));
    }
  });

  it('the objective-reward methods are read out greedily and by sampling, everything else greedily only', () => {
    const jobs = evaluations(planJobs({ ...options, targets: ['table3', 'regimes', 'explore', 'beyond'] }));
    const learned = jobs.filter((j) => j.kind === 'evaluate' && 'run' in j.policy);
    for (const job of learned) {
      if (job.kind !== 'evaluate' || !('run' in job.policy)) continue;
      const objective = job.policy.method.endsWith('-rt');
      if (!objective) expect(job.policy).not.toHaveProperty('mode');
      if (job.policy.mode === 'sample') expect(job.file).toContain(`${job.policy.method}-sample-seed${job.policy.seed}`);
    }
    const objective = learned.filter((j) => j.kind === 'evaluate' && 'run' in j.policy && j.policy.method.endsWith('-rt'));
    const sampled = objective.filter((j) => j.kind === 'evaluate' && 'run' in j.policy && j.policy.mode === 'sample');
    expect(sampled.length).toBeGreaterThan(0);
    expect(sampled.length * 2).toBe(objective.length);
  });

  it('the regime sweep trains scale and crossattn in each regime, reusing the paper regime runs', () => {
    const jobs = planJobs({ ...options, targets: ['table3', 'regimes'] });
    expect(trains(jobs)).toHaveLength(6 * 2 + (REGIMES.length - 1) * 2 * 2);
    const memory = trains(jobs).find((j) => j.id.includes('memory'));
    expect(memory?.kind === 'train' && memory.config.env).toEqual(REGIMES.find((r) => r.id === 'memory')?.env);
  });

  it('fewer episodes above N=256, where a learned episode takes minutes', () => {
    const jobs = planJobs({ ...options, targets: ['table4'] });
    const large = evaluations(jobs).filter((j) => j.kind === 'evaluate' && j.nodes === 1024);
    expect(large.every((j) => j.kind === 'evaluate' && j.episodes === FULL_BUDGET.largeEpisodes)).toBe(true);
  });

  it('quick budgets shorten the horizon of training and evaluation alike', () => {
    const jobs = planJobs({ ...options, budget: QUICK_BUDGET, targets: ['table3'] });
    for (const job of jobs) {
      const env = job.kind === 'train' ? job.config.env : job.env;
      expect(env).toMatchObject({ horizon: QUICK_BUDGET.horizon });
    }
  });

  it("a regime's own servers follow N: every job with explicit servers has as many as its N", () => {
    const jobs = planJobs({ ...options, targets: ['beyond', 'imitation'], workload: 'wfformat:data' });
    const withServers = jobs.map((j) => (j.kind === 'train' ? { nodes: j.config.nodes, env: j.config.env } : { nodes: j.nodes, env: j.env })).filter((j) => j.env?.servers !== undefined);
    expect(withServers.length).toBeGreaterThan(0);
    for (const job of withServers) expect(job.env?.servers).toHaveLength(job.nodes as number);
    // The large tier 8x the small: the paper's 2:5:1 counts at every N, the large at compute 8.
    const at = (nodes: number) => evaluations(jobs).find((j) => j.kind === 'evaluate' && j.file === `evaluations/beyond-speed-8x/eft-n${nodes}.json`);
    const tiers = (nodes: number) => {
      const job = at(nodes);
      const servers = job?.kind === 'evaluate' ? (job.env.servers ?? []) : [];
      return ['small', 'medium', 'large'].map((tier) => [tier, servers.filter((s) => s.tier === tier).length, ...new Set(servers.filter((s) => s.tier === tier).map((s) => s.compute))]);
    };
    expect(tiers(16)).toEqual([['small', 4, 1], ['medium', 10, 2], ['large', 2, 8]]);
    expect(tiers(48)).toEqual([['small', 12, 1], ['medium', 30, 2], ['large', 6, 8]]);
  });

  it('a fixed server list evaluated at another N is an error naming the job, not a silent run at the list\'s size', () => {
    const servers = Array.from({ length: 16 }, (_, id) => ({ id, tier: 'medium', compute: 2, memory: 32, idlePower: 50, busyPower: 200 }));
    const plan = new JobPlan(options);
    const regime = { id: 'fixed', label: 'fixed', env: { servers } };
    expect(() => plan.compare({ regime, methods: [], heuristics: ['eft'], nodes: [16] })).not.toThrow();
    expect(() => plan.compare({ regime, methods: [], heuristics: ['eft'], nodes: [48] })).toThrow(/^evaluations\/fixed\/eft-n48\.json: env\.servers: expected 48 servers \(the job's N\), received 16$/);
  });

  it('real needs a workload', () => {
    expect(() => planJobs({ ...options, targets: ['real'] })).toThrow(/--workload/);
    const jobs = planJobs({ ...options, targets: ['real'], workload: 'wfformat:data' });
    expect(evaluations(jobs).every((j) => j.kind === 'evaluate' && j.env.workload === 'wfformat:data')).toBe(true);
  });
});

describe('expandTargets and resolveBudget', () => {
  it('all is every target but explore and real, which joins when a workload is given', () => {
    expect(expandTargets(['all'], null).sort()).toEqual(['beyond', 'elastic', 'fig6', 'imitation', 'regimes', 'table3', 'table4', 'table5']);
    expect(expandTargets(['all'], 'wfformat:x')).not.toContain('explore');
    expect(expandTargets([], 'wfformat:x')).toContain('real');
    expect(expandTargets(['table5', 'table5'], null)).toEqual(['table5']);
  });

  it('applies epoch and episode overrides to the chosen budget', () => {
    expect(resolveBudget(true)).toEqual(QUICK_BUDGET);
    expect(resolveBudget(false, 50, 3)).toEqual({ ...FULL_BUDGET, epochs: 50, episodes: 3, largeEpisodes: 3 });
  });
});
