import { type JobPlan, PAPER_REGIME, TABLE4_HEURISTICS, ZERO_SHOT_METHODS } from '../plan.js';
import { heuristicCell, learnedCell, protocolNote, type TableContext } from '../results.js';
import { cellOf, directionalClaim, paperCell, type Row, type Table } from '../table.js';
import { defineTarget } from '../target.js';

/** Table 4's cluster sizes: the paper's 16 (training), 32 and 48, then ours. */
export const TABLE4_NODES = [16, 32, 48, 64, 128, 256, 1024] as const;

/** Table 4's reported mean response times (s) by method and N (DESIGN.md section 6). */
export const TABLE4_PAPER = { scale: { 16: 4.58, 32: 5.57, 48: 6.22 }, crossattn: { 16: 4.65, 32: 5.7, 48: 6.83 } } as Record<string, Record<number, number>>;

/** SRR's relative reduction of the response time, (crossattn - scale) / crossattn, in percent. */
function reductionPercent(scale: number, crossattn: number): number {
  return (100 * (crossattn - scale)) / crossattn;
}

const PAPER_REDUCTION = Object.fromEntries([16, 32, 48].map((n) => [n, reductionPercent(TABLE4_PAPER.scale?.[n] as number, TABLE4_PAPER.crossattn?.[n] as number)])) as Record<number, number>;

export function table4(context: TableContext): Table {
  const { store, seeds } = context;
  const columns = TABLE4_NODES.map((n) => ({ key: String(n), label: `N=${n}` }));
  const rows: Row[] = [];
  for (const method of ZERO_SHOT_METHODS) {
    rows.push({ label: method, source: 'ours', over: 'seeds', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), learnedCell(store.learned('paper', method, seeds, n), 'meanResponseTime')])) });
    rows.push({ label: method, source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(TABLE4_PAPER[method]?.[n])])) });
  }
  for (const heuristic of TABLE4_HEURISTICS) {
    rows.push({ label: `${heuristic} (heuristic)`, source: 'ours', over: 'episodes', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), heuristicCell(store.get('paper', heuristic, n), 'meanResponseTime')])) });
  }
  const reduction = (n: number) => {
    const scale = store.learned('paper', 'scale', seeds, n);
    const crossattn = store.learned('paper', 'crossattn', seeds, n);
    return scale.map((r, k) => {
      const c = crossattn[k];
      return r === undefined || c === undefined ? Number.NaN : reductionPercent(r.summary.meanResponseTime.mean, c.summary.meanResponseTime.mean);
    });
  };
  rows.push({ label: 'SRR reduction, % ((crossattn - scale) / crossattn)', source: 'ours', over: 'seeds', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), cellOf(reduction(n))])) });
  rows.push({ label: 'SRR reduction, %', source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(PAPER_REDUCTION[n])])) });
  const r16 = reduction(16);
  const r48 = reduction(48);
  return {
    id: 'table4',
    title: 'Table 4: mean response time (s), trained at N=16, zero-shot at larger N',
    notes: [protocolNote(context), 'Tests are across training seeds; a seed pairs scale and crossattn runs that share the seed (same initial streams and training episodes).'],
    columns,
    rows,
    claims: [
      directionalClaim('SRR lowers the response time at N=48', 'relative reduction (crossattn - scale) / crossattn at N=48, %, per seed; > 0', PAPER_REDUCTION[48] as number, r48),
      directionalClaim(
        'the gap grows with N',
        'reduction at N=48 minus reduction at N=16, percentage points, per seed; > 0',
        (PAPER_REDUCTION[48] as number) - (PAPER_REDUCTION[16] as number),
        r48.map((x, k) => x - (r16[k] as number)),
      ),
    ],
  };
}

/** Trains scale and crossattn at N=16 and evaluates them and the heuristics at every Table 4 size (Table 5 reads the same jobs). */
export function planZeroShot(plan: JobPlan): void {
  plan.compare({ regime: PAPER_REGIME, methods: ZERO_SHOT_METHODS, heuristics: TABLE4_HEURISTICS, nodes: TABLE4_NODES });
}

/** Table 4: zero-shot response times from N=16 to 1024, and SRR's reduction. */
export const table4Target = defineTarget({
  id: 'table4',
  inAll: () => true,
  jobs: planZeroShot,
  tables: (context) => [table4(context)],
});
