import { describe, expect, it } from 'vitest';
import type { EvaluationSummary } from './evaluate.js';
import type { EvaluationRecord } from './jobs.js';
import { evaluationFile, FULL_BUDGET } from './plan.js';
import { ResultStore } from './results.js';
import { summarize } from './statistics.js';
import { regimesTable } from './targets/regimes.js';
import { table4 } from './targets/table4.js';
import { table5 } from './targets/table5.js';

/** A stand-in evaluation record whose episodes all have the given response time. */
function record(meanResponseTime: number, covOffDiagonal = Number.NaN): EvaluationRecord {
  const summary: EvaluationSummary = {
    policy: 'x',
    nodes: 16,
    episodes: [],
    meanResponseTime: summarize([meanResponseTime - 0.1, meanResponseTime + 0.1]),
    p95ResponseTime: summarize([1, 2]),
    completedTasks: summarize([700, 700]),
  };
  return {
    job: {} as EvaluationRecord['job'],
    summary,
    features: Number.isFinite(covOffDiagonal) ? { covOffDiagonal, kl: 0.5, samples: 100, dimensions: 16 } : null,
    wallSeconds: 1,
  };
}

const seeds = [42, 43, 44];

describe('table4', () => {
  it('learned cells average seeds, missing runs read pending, and the claims test the per-seed reduction', () => {
    const records = new Map<string, EvaluationRecord>();
    // SRR lowers the response time by 10% at N=48 and 1% at N=16, for every seed (with a little spread).
    seeds.forEach((seed, k) => {
      records.set(evaluationFile('paper', `crossattn-seed${seed}`, 16), record(5 + k * 0.01));
      records.set(evaluationFile('paper', `scale-seed${seed}`, 16), record(0.99 * (5 + k * 0.01)));
      records.set(evaluationFile('paper', `crossattn-seed${seed}`, 48), record(6 + k * 0.02));
      records.set(evaluationFile('paper', `scale-seed${seed}`, 48), record((0.9 - k * 0.001) * (6 + k * 0.02)));
    });
    records.set(evaluationFile('paper', 'eft', 16), record(4.4));
    const t = table4({ store: new ResultStore(records), seeds, budget: FULL_BUDGET, workload: null });
    const scale = t.rows.find((r) => r.label === 'scale' && r.source === 'ours');
    expect(scale?.cells['16']).toMatchObject({ n: 3 });
    expect(scale?.cells['32']).toBe('pending');
    const eft = t.rows.find((r) => r.label === 'eft (heuristic)');
    expect(eft?.cells['16']).toMatchObject({ mean: 4.4, n: 2 });
    expect(eft?.cells['48']).toBe('pending');
    const [atN48, grows] = t.claims;
    expect(atN48?.ours?.mean).toBeCloseTo(10.1, 5);
    expect(atN48?.verdict).toBe('replicates');
    expect(grows?.ours?.mean).toBeCloseTo(9.1, 5);
    expect(grows?.verdict).toBe('replicates');
    const paperRow = t.rows.find((r) => r.label === 'scale' && r.source === 'paper');
    expect(paperRow?.cells['48']).toMatchObject({ mean: 6.22 });
    expect(paperRow?.cells['1024']).toBeNull();
  });

  it('equal schedules (both methods collapsed to the same policy) do not replicate', () => {
    const records = new Map<string, EvaluationRecord>();
    for (const seed of seeds) for (const n of [16, 48]) for (const m of ['scale', 'crossattn']) records.set(evaluationFile('paper', `${m}-seed${seed}`, n), record(5));
    const t = table4({ store: new ResultStore(records), seeds, budget: FULL_BUDGET, workload: null });
    expect(t.claims.map((c) => c.verdict)).toEqual(['does not replicate', 'does not replicate']);
  });
});

describe('table5', () => {
  it('reports the feature statistics per seed and tests crossattn minus scale', () => {
    const records = new Map<string, EvaluationRecord>();
    seeds.forEach((seed, k) => {
      records.set(evaluationFile('paper', `scale-seed${seed}`, 16), record(5, 0.04 + k * 0.001));
      records.set(evaluationFile('paper', `crossattn-seed${seed}`, 16), record(5, 0.2 + k * 0.01));
    });
    const t = table5({ store: new ResultStore(records), seeds, budget: FULL_BUDGET, workload: null });
    expect(t.rows.find((r) => r.label === 'Cov Off-Diag: scale' && r.source === 'ours')?.cells['16']).toMatchObject({ mean: expect.closeTo(0.041, 6), n: 3 });
    expect(t.claims[0]?.verdict).toBe('replicates');
    expect(t.claims[1]?.ours).toBeNull();
  });
});

describe('regimesTable', () => {
  it('compares each learned method with the best heuristic of its row on the same episodes', () => {
    const records = new Map<string, EvaluationRecord>();
    for (const [h, rt] of [
      ['eft', 5],
      ['fastest', 5],
      ['best-fit', 4.5],
      ['round-robin', 6],
      ['random', 7],
    ] as const) {
      records.set(evaluationFile('load-1.5', h, 16), record(rt));
    }
    seeds.forEach((seed, k) => {
      records.set(evaluationFile('load-1.5', `scale-seed${seed}`, 16), record(4 + k * 0.01));
      records.set(evaluationFile('load-1.5', `crossattn-seed${seed}`, 16), record(4.6 + k * 0.01));
    });
    const t = regimesTable({ store: new ResultStore(records), seeds, budget: FULL_BUDGET, workload: null });
    const row = t.rows.find((r) => r.label.startsWith('load x1.5') && r.label.endsWith('N=16'));
    expect(row?.cells['scale-vs-best']).toMatchObject({ mean: expect.closeTo(-0.49, 6) });
    const claims = t.claims.filter((c) => c.claim.includes('load x1.5') && c.claim.includes('N=16'));
    expect(claims.map((c) => [c.claim.split(' ')[0], c.verdict])).toEqual([
      ['scale', 'yes'],
      ['crossattn', 'no'],
    ]);
    expect(claims[0]?.claim).toContain('(best-fit)');
  });
});
