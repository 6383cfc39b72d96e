import { describe, expect, it } from 'vitest';
import type { EpisodeResult } from './evaluate.js';
import { evaluationRecord } from './internal/test-records.js';
import type { EvaluationRecord } from './jobs.js';
import { CONFIRMATION_SEED_BASE, type EvaluateJob, evaluationFile, HEURISTIC_SUITE, FULL_BUDGET, QUICK_BUDGET, type TrainJob } from './plan.js';
import { boundCell, comparison, comparisonColumns, hindsightRecord, ResultStore } from './results.js';
import { planJobs } from './targets.js';
import { BEYOND_NODES, beyondTables, GOAL_FRACTION, LOOKAHEAD, PICKED_NODES, PICKED_REGIMES, SHIFTS, shiftSet } from './targets/beyond.js';
import { EXPLORE_REGIMES, exploreTable, OBJECTIVE_METHODS } from './targets/explore.js';

/** A stand-in record: episode e of `values` (seed base + e), each with headroom bound `bound`. */
function record(values: readonly number[], options: { seedBase?: number; bound?: number; deferrals?: number } = {}): EvaluationRecord {
  const episodes: EpisodeResult[] = values.map((v, e) => ({
    seed: (options.seedBase ?? CONFIRMATION_SEED_BASE) + e,
    nodes: 16,
    meanResponseTime: v,
    p95ResponseTime: 2 * v,
    completedTasks: 100,
    arrivedTasks: 100,
    utilization: 0.5,
    ...(options.bound === undefined ? {} : { bound: options.bound }),
    ...(options.deferrals === undefined ? {} : { deferrals: options.deferrals + e }),
  }));
  return evaluationRecord(episodes);
}

const seeds = [42, 43, 44, 45, 46];

describe('headroom comparison', () => {
  it('the best heuristic in hindsight takes each episode’s best, so it is never above any heuristic', () => {
    const a = record([5, 3, 4]);
    const b = record([4, 6, 4.5]);
    const hindsight = hindsightRecord([a, b]);
    expect(hindsight?.summary.episodes.map((e) => e.meanResponseTime)).toEqual([4, 3, 4]);
    expect(hindsightRecord([a, undefined])).toBeNull();
  });

  it('reads the bound from the first record that has it, or says it was not recorded', () => {
    // An old file without the bound beside a new one with it: the new one's.
    const cell = boundCell([record([5, 6, 7]), undefined, record([5, 6, 7], { bound: 2.5 })]);
    expect(cell !== null && cell !== 'pending' && cell.mean).toBe(2.5);
    const old = boundCell([record([5, 6, 7]), undefined]);
    expect(old !== null && old !== 'pending' && old.note).toBe('not recorded');
    expect(boundCell([undefined])).toBe('pending');
  });

  it('asks whether each method beats the best heuristic and reaches the 10% goal, with 5 seeds a verdict each', () => {
    const difficulty = [0.3, -0.2, 0.1, 0, -0.1, 0.2, -0.3, 0.05, -0.05, 0];
    const at = (mean: number) => difficulty.map((d) => mean + d);
    const records = new Map<string, EvaluationRecord>();
    const set = 'beyond-paper';
    records.set(evaluationFile(set, 'eft', 16), record(at(6), { bound: 3 }));
    records.set(evaluationFile(set, 'sjf', 16), record(at(5.8), { bound: 3 }));
    // scale-rt: 20% faster than sjf on every episode and seed; crossattn-rt: 5% faster (beats it, misses the goal).
    for (const seed of seeds) {
      records.set(evaluationFile(set, `scale-rt-seed${seed}`, 16), record(at(5.8 * 0.8 + 0.001 * seed), { deferrals: 10 }));
      records.set(evaluationFile(set, `crossattn-rt-seed${seed}`, 16), record(at(5.8 * 0.95 + 0.001 * seed)));
    }
    const context = { store: new ResultStore(records), seeds, budget: FULL_BUDGET, workload: null };
    const options = { methods: OBJECTIVE_METHODS, headroom: true, deferrals: true, goalFraction: GOAL_FRACTION };
    const { cells, claims } = comparison(context, set, 16, ['eft', 'sjf'], 'paper, N=16', options);
    expect(Object.keys(cells).sort()).toEqual(comparisonColumns(['eft', 'sjf'], options).map((c) => c.key).sort());
    const bound = cells['bound'];
    expect(bound !== null && bound !== 'pending' && bound?.mean).toBe(3);
    const vsHindsight = cells['scale-rt-vs-hindsight'];
    expect(vsHindsight !== null && vsHindsight !== 'pending' && vsHindsight?.mean).toBeLessThan(0);
    // Deferrals per episode: 10 + e over the 10 episodes (mean 14.5); crossattn-rt's files predate them.
    const deferrals = cells['scale-rt-deferrals'];
    expect(deferrals !== null && deferrals !== 'pending' && deferrals?.mean).toBeCloseTo(14.5, 10);
    const unrecorded = cells['crossattn-rt-deferrals'];
    expect(unrecorded !== null && unrecorded !== 'pending' && unrecorded?.note).toBe('not recorded');
    const verdict = (text: string) => claims.find((c) => c.claim.startsWith(text))?.verdict;
    expect(verdict('scale-rt beats the best heuristic (sjf)')).toBe('effect detected');
    expect(verdict('scale-rt is at least 10% faster')).toBe('effect detected');
    expect(verdict('crossattn-rt beats the best heuristic (sjf)')).toBe('effect detected');
    expect(verdict('crossattn-rt is at least 10% faster')).toBe('no effect detected; the margin ruled out');
    // Three seeds: the same intervals, no verdict.
    const few = comparison({ ...context, seeds: [42, 43, 44] }, set, 16, ['eft', 'sjf'], 'paper, N=16', options);
    expect(few.claims.every((c) => c.verdict === 'too few seeds: 3 of 5')).toBe(true);
  });
});

describe('the clairvoyant reference', () => {
  it('shows its mean and its paired gain over the best heuristic at its N, is not applicable elsewhere, and is never the best heuristic', () => {
    const records = new Map<string, EvaluationRecord>();
    const set = 'beyond-paper';
    records.set(evaluationFile(set, 'eft', 16), record([6, 7, 8]));
    records.set(evaluationFile(set, 'sjf', 16), record([5, 6.5, 7]));
    // The rollout is faster than both; were it taken for a heuristic, the best heuristic would be it.
    records.set(evaluationFile(set, 'rollout-sjf', 16), record([4.5, 6, 6.7]));
    const context = { store: new ResultStore(records), seeds, budget: FULL_BUDGET, workload: null };
    const options = { methods: OBJECTIVE_METHODS, headroom: true, lookahead: { policy: 'rollout-sjf', nodes: [16] } };
    const { cells, claims } = comparison(context, set, 16, ['eft', 'sjf'], 'paper, N=16', options);
    expect(Object.keys(cells).sort()).toEqual(comparisonColumns(['eft', 'sjf'], options).map((c) => c.key).sort());
    const reference = cells['lookahead'];
    expect(reference !== null && reference !== 'pending' && reference?.mean).toBeCloseTo(17.2 / 3, 12);
    // Paired by episode against sjf: -0.5, -0.5, -0.3.
    const gain = cells['lookahead-vs-best'];
    expect(gain !== null && gain !== 'pending' && gain?.mean).toBeCloseTo(-1.3 / 3, 12);
    expect(claims.every((c) => !c.claim.includes('rollout'))).toBe(true);
    expect(claims.some((c) => c.claim.includes('best heuristic (sjf)'))).toBe(true);
    // At an N it does not run at: not applicable; at its N before it finished: pending.
    const at48 = comparison(context, set, 48, ['eft', 'sjf'], 'paper, N=48', options).cells;
    expect([at48['lookahead'], at48['lookahead-vs-best']]).toEqual([null, null]);
    const before = comparison({ ...context, store: new ResultStore(new Map()) }, set, 16, ['eft', 'sjf'], 'paper, N=16', options).cells;
    expect([before['lookahead'], before['lookahead-vs-best']]).toEqual(['pending', 'pending']);
  });

  it('beyond plans it on every evaluation set at its N only, as a heuristic evaluation on the same episodes', () => {
    const jobs = planJobs({ targets: ['beyond'], seeds, budget: FULL_BUDGET, backend: 'wasm', workload: 'wfformat:data' });
    const evals = jobs.filter((j): j is EvaluateJob => j.kind === 'evaluate');
    const references = evals.filter((e) => 'heuristic' in e.policy && e.policy.heuristic === LOOKAHEAD.policy);
    const sets = [...new Set(evals.map((e) => e.file.split('/')[1]))];
    expect(references.map((e) => e.file.split('/')[1]).sort()).toEqual(sets.sort());
    expect(references.every((e) => (LOOKAHEAD.nodes as readonly number[]).includes(e.nodes) && e.seedBase === CONFIRMATION_SEED_BASE)).toBe(true);
  });
});

describe('SRR in the confirmation phase', () => {
  it('asks per row whether scale-rt (SRR on) beats crossattn-rt, on the greedy readouts, paired', () => {
    const difficulty = [0.3, -0.2, 0.1, 0, -0.1, 0.2, -0.3, 0.05, -0.05, 0];
    const at = (mean: number) => difficulty.map((d) => mean + d);
    const records = new Map<string, EvaluationRecord>();
    for (const seed of seeds) {
      records.set(evaluationFile('beyond-paper', `scale-rt-seed${seed}`, 16), record(at(5 + 0.001 * seed)));
      records.set(evaluationFile('beyond-paper', `crossattn-rt-seed${seed}`, 16), record(at(6 + 0.001 * seed)));
      // The sampled readouts say the opposite; the SRR question reads the greedy ones.
      records.set(evaluationFile('beyond-paper', `scale-rt-sample-seed${seed}`, 16), record(at(7)));
      records.set(evaluationFile('beyond-paper', `crossattn-rt-sample-seed${seed}`, 16), record(at(6)));
    }
    const [main] = beyondTables({ store: new ResultStore(records), seeds, budget: FULL_BUDGET, workload: null });
    const srr = main?.claims.find((c) => c.claim.startsWith('SRR lowers') && c.claim.endsWith('N=16'));
    expect(srr?.verdict).toBe('effect detected');
    // (6 - 5) / 6: a 16.7% reduction.
    expect(srr?.ours?.mean).toBeCloseTo(100 / 6, 0);
  });
});

describe('the beyond and explore targets', () => {
  it('beyond trains the objective methods once per seed (masked) and evaluates them and the whole suite on fresh seeds at every N', () => {
    const jobs = planJobs({ targets: ['beyond'], seeds, budget: FULL_BUDGET, backend: 'wasm', workload: 'wfformat:data' });
    const trains = jobs.filter((j): j is TrainJob => j.kind === 'train');
    const regimes = ['paper', ...PICKED_REGIMES.map((r) => r.id)];
    expect(trains.map((t) => t.dir).sort()).toEqual(regimes.flatMap((r) => OBJECTIVE_METHODS.flatMap((m) => seeds.map((s) => `runs/${r}/${m}-seed${s}`))).sort());
    expect(trains.every((t) => t.config.invalidAction === 'mask' && t.config.epochs === 1000)).toBe(true);
    // The setting exploration picked trains with its PPO settings; the picked regimes stop at N = 256.
    expect(trains.filter((t) => t.config.ppo?.gamma === 0.95).map((t) => t.dir.split('/')[1])).toEqual(Array(OBJECTIVE_METHODS.length * seeds.length).fill('horizon-short'));
    const evals = jobs.filter((j): j is EvaluateJob => j.kind === 'evaluate');
    expect(evals.every((e) => e.seedBase === CONFIRMATION_SEED_BASE)).toBe(true);
    const paperSet = evals.filter((e) => e.file.startsWith('evaluations/beyond-paper/'));
    expect([...new Set(paperSet.map((e) => e.nodes))].sort((a, b) => a - b)).toEqual([...BEYOND_NODES]);
    expect(paperSet.filter((e) => e.nodes === 1024 && 'heuristic' in e.policy).map((e) => ('heuristic' in e.policy ? e.policy.heuristic : '')).sort()).toEqual([...HEURISTIC_SUITE].sort());
    for (const regime of PICKED_REGIMES) {
      const set = evals.filter((e) => e.file.startsWith(`evaluations/beyond-${regime.id}/`));
      expect([...new Set(set.map((e) => e.nodes))].sort((a, b) => a - b)).toEqual([...PICKED_NODES]);
    }
    expect(evals.some((e) => e.file.startsWith('evaluations/beyond-real/'))).toBe(true);
    for (const shift of SHIFTS) expect(evals.some((e) => e.file.startsWith(`evaluations/${shiftSet(shift)}/`))).toBe(true);
    // A regime and a shift with one id (load-1.25) keep their evaluations apart: a picked regime's
    // set evaluates the runs trained in it, a shift's the paper regime's.
    for (const e of evals) {
      if (!('run' in e.policy)) continue;
      const trainedIn = e.policy.run.split('/')[1];
      const shift = SHIFTS.find((sh) => e.file.startsWith(`evaluations/${shiftSet(sh)}/`));
      expect(trainedIn).toBe(shift !== undefined || e.file.startsWith('evaluations/beyond-real/') ? 'paper' : e.file.split('/')[1]?.replace(/^beyond-/, ''));
    }
  });

  it('a tier-mix shift keeps N servers and the offered load per unit of compute', () => {
    const mix = SHIFTS.find((s) => s.id === 'mix-large');
    const env = mix?.env(256);
    expect(env?.servers?.length).toBe(256);
    const compute = (env?.servers ?? []).reduce((sum, s) => sum + s.compute, 0);
    // lambda_16 scales with the mean speed: the paper's 1.25 at a mean of 2.
    expect(env?.lambda16).toBeCloseTo((1.25 * compute) / 256 / 2, 12);
    expect(compute / 256).toBeGreaterThan(2);
  });

  it('--quick stops beyond at N=48; every table reads pending before results', () => {
    const jobs = planJobs({ targets: ['beyond'], seeds: [42], budget: QUICK_BUDGET, backend: 'wasm', workload: null });
    const paperNodes = new Set(jobs.filter((j): j is EvaluateJob => j.kind === 'evaluate' && j.file.startsWith('evaluations/beyond-paper/')).map((e) => e.nodes));
    expect([...paperNodes].sort((a, b) => a - b)).toEqual([16, 32, 48]);
    const tables = beyondTables({ store: new ResultStore(new Map()), seeds: [42], budget: QUICK_BUDGET, workload: null });
    expect(tables.map((t) => t.id)).toEqual(['beyond', 'beyond-shift']);
  });

  it('exploration carries no verdicts and picks regimes by its stated rule', () => {
    const jobs = planJobs({ targets: ['explore'], seeds: [42, 43], budget: { ...FULL_BUDGET, epochs: 100 }, backend: 'wasm', workload: null });
    const trains = jobs.filter((j): j is TrainJob => j.kind === 'train');
    expect(trains).toHaveLength(EXPLORE_REGIMES.length * OBJECTIVE_METHODS.length * 2);
    // Only a setting probe carries PPO settings, and its runs train with them.
    for (const train of trains) {
      const regime = EXPLORE_REGIMES.find((r) => train.dir.includes(`/${r.id}/`));
      expect(train.config.ppo).toEqual(regime?.ppo);
    }
    expect(trains.some((t) => t.config.ppo?.gamma === 0.95)).toBe(true);
    expect(jobs.filter((j): j is EvaluateJob => j.kind === 'evaluate').every((e) => e.seedBase === undefined && e.nodes === 16)).toBe(true);

    const records = new Map<string, EvaluationRecord>();
    for (const regime of EXPLORE_REGIMES) {
      const set = `explore-${regime.id}`;
      for (const h of HEURISTIC_SUITE) records.set(evaluationFile(set, h, 16), record([6, 6.2, 5.8], { seedBase: 1_000_000, bound: 3 }));
      // Learning wins (in point estimate) in the load-1.5 regime only.
      const learned = regime.id === 'load-1.5' ? [5, 5.1, 4.9] : [7, 7.2, 6.8];
      for (const m of OBJECTIVE_METHODS) for (const s of [42, 43]) records.set(evaluationFile(set, `${m}-seed${s}`, 16), record(learned, { seedBase: 1_000_000 }));
    }
    const table = exploreTable({ store: new ResultStore(records), seeds: [42, 43], budget: FULL_BUDGET, workload: null });
    expect(table.claims).toEqual([]);
    expect(table.summaryNotes).toEqual(['Picked for confirmation by the rule: load-1.5.']);
  });
});
