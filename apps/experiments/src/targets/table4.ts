import { HEURISTIC_SUITE, type JobPlan, PAPER_REGIME, ZERO_SHOT_METHODS } from '../plan.js';
import { boundCell, heuristicCell, hindsightRecord, learnedCell, meanOf, pairedEffect, protocolNote, reductionPercent, type TableContext, VERDICT_NOTE } from '../results.js';
import { probabilityOfImprovement, type SeedEpisodeValues } from '../statistics.js';
import { bootstrapClaim, type CellValue, paperCell, type Row, type Table } from '../table.js';
import { defineTarget } from '../target.js';

/** Table 4's cluster sizes: the paper's 16 (training), 32 and 48, then ours. */
export const TABLE4_NODES = [16, 32, 48, 64, 128, 256, 1024] as const;

/** Table 4's reported mean response times (s) by method and N (DESIGN.md section 6). */
export const TABLE4_PAPER = { scale: { 16: 4.58, 32: 5.57, 48: 6.22 }, crossattn: { 16: 4.65, 32: 5.7, 48: 6.83 } } as Record<string, Record<number, number>>;

/** SRR's relative reduction of the response time, (crossattn - scale) / crossattn, in percent. */
const PAPER_REDUCTION = Object.fromEntries([16, 32, 48].map((n) => [n, reductionPercent(TABLE4_PAPER.scale?.[n] as number, TABLE4_PAPER.crossattn?.[n] as number)])) as Record<number, number>;

export function table4(context: TableContext): Table {
  const { store, seeds } = context;
  const columns = TABLE4_NODES.map((n) => ({ key: String(n), label: `N=${n}` }));
  const rows: Row[] = [];
  for (const method of ZERO_SHOT_METHODS) {
    rows.push({ label: method, source: 'ours', over: 'seeds and episodes', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), learnedCell(store.learned('paper', method, seeds, n), 'meanResponseTime')])) });
    rows.push({ label: method, source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(TABLE4_PAPER[method]?.[n])])) });
  }
  for (const heuristic of HEURISTIC_SUITE) {
    rows.push({ label: `${heuristic} (heuristic)`, source: 'ours', over: 'episodes', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), heuristicCell(store.get('paper', heuristic, n), 'meanResponseTime')])) });
  }
  const hindsightAt = (n: number): CellValue => {
    const record = hindsightRecord(HEURISTIC_SUITE.map((h) => store.get('paper', h, n)));
    return record === null ? 'pending' : heuristicCell(record, 'meanResponseTime');
  };
  rows.push({ label: 'best heuristic in hindsight (per episode)', source: 'ours', over: 'episodes', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), hindsightAt(n)])) });
  rows.push({ label: 'lower bound (per episode)', source: 'ours', over: 'episodes', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), boundCell(HEURISTIC_SUITE.map((h) => store.get('paper', h, n)))])) });
  const reductionEffect = (n: number) =>
    pairedEffect(
      [store.learned('paper', 'scale', seeds, n), store.learned('paper', 'crossattn', seeds, n)],
      'meanResponseTime',
      (rows) => reductionPercent(meanOf(rows, 0), meanOf(rows, 1)),
      (rows) => probabilityOfImprovement(rows[0] as SeedEpisodeValues, rows[1] as SeedEpisodeValues),
    );
  const reductionCell = (n: number): CellValue => {
    const r = reductionEffect(n);
    return r.effect === null ? 'pending' : { mean: r.effect.value, ci95: null, n: r.seeds ?? 1, low: r.effect.low, high: r.effect.high, seeds: r.seeds ?? 1, episodes: r.episodes };
  };
  rows.push({ label: 'SRR reduction, % ((crossattn - scale) / crossattn)', source: 'ours', over: 'seeds and episodes', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), reductionCell(n)])) });
  rows.push({ label: 'SRR reduction, %', source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(PAPER_REDUCTION[n])])) });
  const at48 = reductionEffect(48);
  const grows = pairedEffect(
    [16, 48].flatMap((n) => [store.learned('paper', 'scale', seeds, n), store.learned('paper', 'crossattn', seeds, n)]),
    'meanResponseTime',
    (rows) => reductionPercent(meanOf(rows, 2), meanOf(rows, 3)) - reductionPercent(meanOf(rows, 0), meanOf(rows, 1)),
    null,
  );
  const paper48 = PAPER_REDUCTION[48] as number;
  const paperGrowth = (PAPER_REDUCTION[48] as number) - (PAPER_REDUCTION[16] as number);
  return {
    id: 'table4',
    title: 'Table 4: mean response time (s), trained at N=16, zero-shot at larger N',
    notes: [
      protocolNote(context),
      'The SRR reduction and the claims pair scale and crossattn runs that share a training seed (same initial streams and training episodes) and the episodes they share; the growth claim also pairs episode e at N=16 with episode e at N=48 (the same episode seed, a different cluster).',
      VERDICT_NOTE,
    ],
    columns,
    rows,
    claims: [
      bootstrapClaim({
        claim: 'SRR lowers the response time at N=48',
        test: 'relative reduction (crossattn - scale) / crossattn at N=48, %, paired by seed and episode; > 0. P(improvement): scale faster than crossattn on an episode',
        kind: 'paper',
        paper: paper48,
        margin: { value: paper48, source: 'paper', description: "the paper's reduction at N=48" },
        effect: at48.effect,
        improvement: at48.improvement,
        seeds: at48.seeds,
        episodes: at48.episodes,
      }),
      bootstrapClaim({
        claim: 'the gap grows with N',
        test: 'reduction at N=48 minus reduction at N=16, percentage points, paired by seed and episode seed; > 0',
        kind: 'paper',
        paper: paperGrowth,
        margin: { value: paperGrowth, source: 'paper', description: "the paper's growth from N=16 to 48" },
        effect: grows.effect,
        improvement: null,
        seeds: grows.seeds,
        episodes: grows.episodes,
      }),
    ],
  };
}

/** Trains scale and crossattn at N=16 and evaluates them and the heuristics at every Table 4 size (Table 5 reads the same jobs). */
export function planZeroShot(plan: JobPlan): void {
  plan.compare({ regime: PAPER_REGIME, methods: ZERO_SHOT_METHODS, heuristics: HEURISTIC_SUITE, nodes: TABLE4_NODES });
}

/** Table 4: zero-shot response times from N=16 to 1024, and SRR's reduction. */
export const table4Target = defineTarget({
  id: 'table4',
  inAll: () => true,
  jobs: planZeroShot,
  tables: (context) => [table4(context)],
});
