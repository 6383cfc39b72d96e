import { describe, expect, it } from 'vitest';
import type { EpisodeResult } from './evaluate.js';
import { evaluationRecord } from './internal/test-records.js';
import type { EvaluationRecord } from './jobs.js';
import { evaluationFile, FULL_BUDGET, HEURISTIC_SUITE } from './plan.js';
import { alignSamples, invalidActionsCell, ResultStore } from './results.js';
import { regimesTable } from './targets/regimes.js';
import { table3 } from './targets/table3.js';
import { table4 } from './targets/table4.js';
import { table5 } from './targets/table5.js';

/** Episode-to-episode variation shared by every policy (the same episode seeds are hard or easy for all). */
const DIFFICULTY = [-0.1, 0.1, -0.05, 0.05, 0, 0.02, -0.02, 0.08, -0.08, 0];

/** A stand-in evaluation record: episode e's response time is `meanResponseTime + DIFFICULTY[e]` (so the mean is `meanResponseTime`). */
function record(meanResponseTime: number, covOffDiagonal = Number.NaN, options: { invalidActions?: number; correlation?: boolean } = {}): EvaluationRecord {
  const episodes: EpisodeResult[] = DIFFICULTY.map((d, e) => ({
    seed: 1_000_000 + e,
    nodes: 16,
    meanResponseTime: meanResponseTime + d,
    p95ResponseTime: 2,
    completedTasks: 700,
    arrivedTasks: 700,
    utilization: 0.5,
    ...(options.invalidActions === undefined ? {} : { decisions: 800, invalidActions: options.invalidActions }),
  }));
  return evaluationRecord(
    episodes,
    Number.isFinite(covOffDiagonal) ? { covOffDiagonal, kl: 0.5, samples: 100, dimensions: 16, ...(options.correlation ? { meanAbsCorrelation: 0.2, effectiveRank: 12 } : {}) } : null,
  );
}

const seeds = [42, 43, 44, 45, 46];
const context = (records: Map<string, EvaluationRecord>, seedList = seeds) => ({ store: new ResultStore(records), seeds: seedList, budget: FULL_BUDGET, workload: null });

describe('alignSamples', () => {
  it('keeps the seeds every learned policy finished and the episodes every record ran, paired by episode seed', () => {
    const a = record(5);
    const shorter = { ...record(6), summary: { ...record(6).summary, episodes: record(6).summary.episodes.slice(2) } };
    const aligned = alignSamples([[a, undefined, a], [shorter, shorter, shorter], [record(4)]], (e) => e.meanResponseTime);
    expect(aligned?.seeds).toBe(2);
    expect(aligned?.episodeSeeds).toEqual(DIFFICULTY.slice(2).map((_, e) => 1_000_002 + e));
    expect(aligned?.samples.map((s) => s.length)).toEqual([2, 2, 1]);
    expect(aligned?.samples[1]?.[0]?.[0]).toBeCloseTo(6 + (DIFFICULTY[2] as number), 12);
    expect(alignSamples([[undefined, undefined]], (e) => e.meanResponseTime)).toBeNull();
  });
});

describe('table4', () => {
  it('learned cells pool seeds and episodes, missing runs read pending, and the claims test the paired reduction', () => {
    const records = new Map<string, EvaluationRecord>();
    // SRR lowers the response time by about 10% at N=48 and 1% at N=16, for every seed (with a little spread).
    seeds.forEach((seed, k) => {
      records.set(evaluationFile('paper', `crossattn-seed${seed}`, 16), record(5 + k * 0.01));
      records.set(evaluationFile('paper', `scale-seed${seed}`, 16), record(0.99 * (5 + k * 0.01)));
      records.set(evaluationFile('paper', `crossattn-seed${seed}`, 48), record(6 + k * 0.02));
      records.set(evaluationFile('paper', `scale-seed${seed}`, 48), record((0.9 - k * 0.001) * (6 + k * 0.02)));
    });
    records.set(evaluationFile('paper', 'eft', 16), record(4.4));
    const t = table4(context(records));
    const scale = t.rows.find((r) => r.label === 'scale' && r.source === 'ours');
    expect(scale?.cells['16']).toMatchObject({ n: 5, seeds: 5, episodes: 10 });
    expect(scale?.cells['32']).toBe('pending');
    const eft = t.rows.find((r) => r.label === 'eft (heuristic)');
    expect(eft?.cells['16']).toMatchObject({ mean: expect.closeTo(4.4, 9), n: 10, over: 'episodes' });
    expect(eft?.cells['48']).toBe('pending');
    const [atN48, grows] = t.claims;
    expect(atN48?.ours?.mean).toBeCloseTo(10.2, 1);
    expect(atN48?.verdict).toBe('effect detected');
    expect(atN48?.improvement?.value).toBe(1);
    expect(grows?.ours?.mean).toBeCloseTo(9.2, 1);
    expect(grows?.verdict).toBe('effect detected');
    const paperRow = t.rows.find((r) => r.label === 'scale' && r.source === 'paper');
    expect(paperRow?.cells['48']).toMatchObject({ mean: 6.22 });
    expect(paperRow?.cells['1024']).toBeNull();
  });

  it("equal schedules (both methods collapsed to the same policy) rule out the paper's size; with 3 seeds the verdict says too few seeds", () => {
    const records = new Map<string, EvaluationRecord>();
    for (const seed of seeds) for (const n of [16, 48]) for (const m of ['scale', 'crossattn']) records.set(evaluationFile('paper', `${m}-seed${seed}`, n), record(5));
    const t = table4(context(records));
    expect(t.claims.map((c) => c.verdict)).toEqual(["no effect detected; the paper's size ruled out", "no effect detected; the paper's size ruled out"]);
    expect(t.claims[0]?.improvement?.value).toBe(0.5);
    const few = table4(context(records, seeds.slice(0, 3)));
    expect(few.claims.map((c) => [c.verdict, c.outcome])).toEqual([
      ['too few seeds: 3 of 5', "no effect detected; the paper's size ruled out"],
      ['too few seeds: 3 of 5', "no effect detected; the paper's size ruled out"],
    ]);
  });
});

describe('table3', () => {
  it("tests the paper's section 6.1 statements, says completed tasks are not measurable, and shows invalid actions or `not recorded`", () => {
    const records = new Map<string, EvaluationRecord>();
    const times: Record<string, number> = { scale: 6, crossattn: 6, ppo: 5, sac: 5.5, dqn: 9, 'ppo-srr': 4 };
    seeds.forEach((seed, k) => {
      for (const [method, rt] of Object.entries(times)) records.set(evaluationFile('paper', `${method}-seed${seed}`, 16), record(rt + k * 0.01, Number.NaN, { invalidActions: method === 'ppo' ? 100 + k : 0 }));
    });
    records.set(evaluationFile('paper', 'eft', 16), record(6));
    const t = table3(context(records));
    expect(t.claims.map((c) => c.verdict)).toEqual(['not measurable', 'effect detected', 'effect detected', 'effect detected', 'effect detected']);
    expect(t.claims[0]?.ours?.mean).toBe(0);
    expect(t.rows.find((r) => r.label === 'ppo' && r.source === 'ours')?.cells.invalid).toMatchObject({ mean: 102 });
    expect(t.rows.find((r) => r.label === 'eft (heuristic)')?.cells.invalid).toMatchObject({ note: 'not recorded' });
    // Learned and heuristic intervals sit in separate columns.
    expect(t.rows.find((r) => r.label === 'ppo' && r.source === 'ours')?.cells['response-episodes']).toBeUndefined();
    expect(t.rows.find((r) => r.label === 'ppo' && r.source === 'ours')?.cells['response-seeds']).toMatchObject({ over: 'seeds and episodes', n: 5 });
    expect(t.rows.find((r) => r.label === 'eft (heuristic)')?.cells['response-seeds']).toBeUndefined();
    expect(t.rows.find((r) => r.label === 'eft (heuristic)')?.cells['response-episodes']).toMatchObject({ over: 'episodes', n: 10 });
  });
});

describe('invalidActionsCell', () => {
  it('is `not recorded` for evaluations written before invalid actions were recorded', () => {
    expect(invalidActionsCell([record(5)], false)).toMatchObject({ note: 'not recorded' });
    expect(invalidActionsCell([record(5, Number.NaN, { invalidActions: 3 })], false)).toMatchObject({ mean: 3, low: 3, high: 3 });
  });
});

describe('table5', () => {
  it('reports the feature statistics per seed, `not recorded` for old files, and tests crossattn minus scale', () => {
    const records = new Map<string, EvaluationRecord>();
    seeds.forEach((seed, k) => {
      records.set(evaluationFile('paper', `scale-seed${seed}`, 16), record(5, 0.04 + k * 0.001, { correlation: true }));
      records.set(evaluationFile('paper', `crossattn-seed${seed}`, 16), record(5, 0.2 + k * 0.01));
    });
    const t = table5(context(records));
    expect(t.rows.find((r) => r.label === 'Cov Off-Diag: scale' && r.source === 'ours')?.cells['16']).toMatchObject({ mean: expect.closeTo(0.042, 6), n: 5 });
    expect(t.rows.find((r) => r.label === 'effective rank: scale')?.cells['16']).toMatchObject({ mean: 12 });
    expect(t.rows.find((r) => r.label === 'mean |corr| off-diag: crossattn')?.cells['16']).toMatchObject({ note: 'not recorded' });
    expect(t.claims[0]?.verdict).toBe('effect detected');
    expect(t.claims[1]?.ours).toBeNull();
  });
});

describe('regimesTable', () => {
  it('compares each learned method with the best heuristic of its row on the same episodes, as our question with our margin', () => {
    const records = new Map<string, EvaluationRecord>();
    // The row's best heuristic is the best of the whole suite: here best-fit.
    const responseTimes: Record<string, number> = { eft: 5, fastest: 5, 'best-fit': 4.5, 'round-robin': 6, random: 7 };
    for (const h of HEURISTIC_SUITE) records.set(evaluationFile('load-1.5', h, 16), record(responseTimes[h] ?? 8));
    // Until every heuristic of the suite has finished, the best heuristic (and so the question) is pending.
    const partial = new Map([...records].filter(([file]) => !file.includes('sufferage')));
    expect(regimesTable(context(partial)).rows.find((r) => r.label.startsWith('load x1.5'))?.cells['scale-vs-best']).toBe('pending');
    seeds.forEach((seed, k) => {
      records.set(evaluationFile('load-1.5', `scale-seed${seed}`, 16), record(4 + k * 0.01));
      records.set(evaluationFile('load-1.5', `crossattn-seed${seed}`, 16), record(4.6 + k * 0.01));
    });
    const t = regimesTable(context(records));
    const row = t.rows.find((r) => r.label.startsWith('load x1.5') && r.label.endsWith('N=16'));
    expect(row?.cells['scale-vs-best']).toMatchObject({ mean: expect.closeTo(-0.48, 6) });
    expect(row?.cells['best-fit']).toMatchObject({ over: 'episodes', n: 10 });
    const claims = t.claims.filter((c) => c.claim.includes('load x1.5') && c.claim.includes('N=16'));
    expect(claims.map((c) => [c.claim.split(' ')[0], c.kind, c.verdict])).toEqual([
      ['scale', 'question', 'effect detected'],
      ['crossattn', 'question', 'no effect detected; the margin ruled out'],
    ]);
    expect(claims[0]?.claim).toContain('(best-fit)');
    expect(claims[0]?.margin?.value).toBeCloseTo(0.045, 12);
    expect(t.notes.join(' ')).toContain('chosen after seeing');
    expect(t.summaryNotes?.[0]).toContain('chosen after seeing');
  });
});
