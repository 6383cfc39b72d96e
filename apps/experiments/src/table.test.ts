import { describe, expect, it } from 'vitest';
import { bootstrapClaim, cellOf, type Margin, outcomeOf, renderCsv, renderMarkdown, type Table, unmeasurableClaim, verdictOf } from './table.js';

const table: Table = {
  id: 'demo',
  title: 'Demo',
  notes: ['a note'],
  columns: [
    { key: '16', label: 'N=16' },
    { key: '48', label: 'N=48' },
  ],
  rows: [
    { label: 'scale', source: 'ours', over: 'seeds', cells: { '16': cellOf([4.5, 4.7]), '48': 'pending' } },
    { label: 'scale', source: 'paper', over: '', cells: { '16': { mean: 4.58, ci95: null, n: 1 }, '48': null } },
    { label: 'a, "quoted" | row', source: 'ours', over: 'episodes', cells: { '16': { mean: 1, ci95: 0.5, n: 30 }, '48': { mean: 2, ci95: null, n: 1 } } },
  ],
  claims: [
    bootstrapClaim({
      claim: 'SRR helps',
      test: 'reduction > 0',
      kind: 'paper',
      paper: 8.9,
      margin: { value: 8.9, source: 'paper', description: "the paper's" },
      effect: { value: 2, low: -0.484, high: 4.484 },
      improvement: { value: 0.6, low: 0.4, high: 0.8 },
      seeds: 3,
      episodes: 30,
    }),
  ],
};

describe('renderMarkdown', () => {
  it("labels the paper's rows, marks pending and absent cells, and prints each claim with its verdict", () => {
    const md = renderMarkdown(table);
    expect(md).toContain("| scale (paper's) | 4.580 | — |");
    expect(md).toContain('| scale | 4.600 ± 1.271 | pending |');
    expect(md).toContain('a, "quoted" \\| row');
    expect(md).toContain(
      "| SRR helps | reduction > 0 | 8.900 (the paper's) | 8.900 | 2.000 [-0.484, 4.484] (3 x 30) | 0.60 [0.40, 0.80] | no effect detected; the paper's size ruled out | **too few seeds: 3 of 5** |",
    );
  });
});

describe('renderCsv', () => {
  it('writes one line per present cell and per claim, quoting fields with commas or quotes', () => {
    const lines = renderCsv(table).trim().split('\n');
    expect(lines[0]).toBe('table,kind,row,source,over,column,mean,ci95,n,low,high,verdict,iqm,iqm_low,iqm_high,seeds,episodes,margin,p_improvement,p_improvement_low,p_improvement_high,outcome');
    // 2 + 1 (the paper's N=48 is absent) + 2 cells, 1 claim.
    expect(lines).toHaveLength(1 + 5 + 1);
    expect(lines).toContain('demo,cell,scale,ours,seeds,N=48,,,,,,pending,,,,,,,,,,');
    expect(lines).toContain('demo,cell,"a, ""quoted"" | row",ours,episodes,N=16,1,0.5,30,,,,,,,,,,,,,');
    expect(lines.at(-1)).toMatch(/^demo,claim,SRR helps,ours,seeds and episodes,reduction > 0,2,2\.48\d*,3,-0\.484,4\.484,too few seeds: 3 of 5,,,,3,30,8\.9,0\.6,0\.4,0\.8,no effect detected; the paper's size ruled out$/);
  });
});

const paperMargin: Margin = { value: 8.9, source: 'paper', description: "the paper's" };
const ourMargin: Margin = { value: 0.05, source: 'ours', description: 'ours' };

describe('outcomeOf and verdictOf', () => {
  it('detects an effect when the interval lies above 0, rules out the margin when it lies below it, and is inconclusive otherwise', () => {
    expect(outcomeOf({ low: 0.1, high: 3 }, paperMargin)).toBe('effect detected');
    expect(outcomeOf({ low: -1, high: 8 }, paperMargin)).toBe("no effect detected; the paper's size ruled out");
    expect(outcomeOf({ low: -1, high: 9 }, paperMargin)).toBe('inconclusive');
    expect(outcomeOf({ low: -1, high: 0.01 }, ourMargin)).toBe('no effect detected; the margin ruled out');
    // A zero margin is ruled out only by an interval at or below 0.
    expect(outcomeOf({ low: -1, high: 0 }, { ...ourMargin, value: 0 })).toBe('no effect detected; the margin ruled out');
    expect(outcomeOf({ low: -1, high: 0.001 }, { ...ourMargin, value: 0 })).toBe('inconclusive');
    expect(outcomeOf({ low: Number.NaN, high: 1 }, ourMargin)).toBe('inconclusive');
  });

  it('needs 5 training seeds behind a claim; heuristic-only claims need none', () => {
    expect(verdictOf('effect detected', 3)).toBe('too few seeds: 3 of 5');
    expect(verdictOf('effect detected', 5)).toBe('effect detected');
    expect(verdictOf('inconclusive', null)).toBe('inconclusive');
  });
});

describe('bootstrapClaim', () => {
  it('keeps what the interval shows beside the verdict, and is pending without an estimate', () => {
    const claim = bootstrapClaim({ claim: 'c', test: 't', kind: 'paper', paper: 8.9, margin: paperMargin, effect: { value: 2, low: 1, high: 3 }, improvement: { value: 0.8, low: 0.7, high: 0.9 }, seeds: 3, episodes: 30 });
    expect(claim).toMatchObject({ verdict: 'too few seeds: 3 of 5', outcome: 'effect detected', ours: { mean: 2, low: 1, high: 3, n: 3, episodes: 30 } });
    expect(bootstrapClaim({ claim: 'c', test: 't', kind: 'question', paper: null, margin: ourMargin, effect: null, improvement: null, seeds: null, episodes: 0 })).toMatchObject({ ours: null, verdict: 'pending' });
  });

  it("renders the paper's claims and our questions under their own headers, with the margin, P(improvement) and the interval's outcome", () => {
    const question = bootstrapClaim({ claim: 'q', test: 't', kind: 'question', paper: null, margin: ourMargin, effect: { value: -1, low: -2, high: -0.5 }, improvement: { value: 0.1, low: 0, high: 0.2 }, seeds: 5, episodes: 30 });
    const claim = bootstrapClaim({ claim: 'c', test: 't', kind: 'paper', paper: 8.9, margin: paperMargin, effect: { value: 2, low: 1, high: 3 }, improvement: null, seeds: 5, episodes: 30 });
    const only = (claims: Table['claims']) => renderMarkdown({ ...table, claims });
    expect(only([question])).toContain('| our question | statistic and test | margin |');
    expect(only([question])).toContain('| q | t | 0.050 (ours) | — | -1.000 [-2.000, -0.500] (5 x 30) | 0.10 [0.00, 0.20] | no effect detected; the margin ruled out | **no effect detected; the margin ruled out** |');
    expect(only([claim])).toContain("| the paper's claim | statistic and test |");
    expect(only([claim, question])).toContain("| the paper's claim or our question |");
    expect(only([claim, question])).toContain('| (our question) q |');
    expect(only([unmeasurableClaim('u', 't', 0.27, null)])).toContain('**not measurable**');
  });

  it('renders a bootstrapped cell as mean [interval]; IQM [interval], and a missing statistic as `not recorded`', () => {
    const md = renderMarkdown({
      ...table,
      claims: [],
      rows: [
        { label: 'x', source: 'ours', over: 'seeds and episodes', cells: { '16': { mean: 5, ci95: null, n: 90, low: 4.5, high: 5.5, iqm: { value: 4.9, low: 4.6, high: 5.2 } }, '48': { mean: Number.NaN, ci95: null, n: 0, note: 'not recorded' } } },
      ],
    });
    expect(md).toContain('| x | 5.000 [4.500, 5.500]; IQM 4.900 [4.600, 5.200] | not recorded |');
  });
});
