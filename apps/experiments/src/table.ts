import { summarize } from './statistics.js';

/** One number of a table: a mean, the half-width of its 95% CI (null when it has none) and how many values it averages. */
export interface Cell {
  readonly mean: number;
  readonly ci95: number | null;
  readonly n: number;
}

/** A cell is a value, `pending` (its runs have not finished yet) or null (not applicable, e.g. a size the paper did not report). */
export type CellValue = Cell | 'pending' | null;

export interface Row {
  readonly label: string;
  /** `ours` is measured by this run; `paper` is the paper's reported value, printed for comparison only. */
  readonly source: 'ours' | 'paper';
  /** What the CI is over: training seeds (learned methods), evaluation episodes (heuristics), or nothing (the paper's). */
  readonly over: 'seeds' | 'episodes' | '';
  readonly cells: Readonly<Record<string, CellValue>>;
}

/** Verdicts of the paper's claims, and the answers to our own questions (`yes`/`no`). */
export type Verdict = 'replicates' | 'does not replicate' | 'yes' | 'no' | 'inconclusive';

/** A claim of the paper, its test and our verdict. */
export interface Claim {
  readonly claim: string;
  /** The statistic tested, its unit and the test. */
  readonly test: string;
  /** The paper's value of the statistic. */
  readonly paper: number | null;
  /** Our estimate: mean over seeds and its 95% CI; null while its runs are pending. */
  readonly ours: { readonly mean: number; readonly low: number; readonly high: number; readonly n: number } | null;
  readonly verdict: Verdict;
}

export interface Table {
  readonly id: string;
  readonly title: string;
  readonly notes: readonly string[];
  readonly columns: readonly { readonly key: string; readonly label: string }[];
  readonly rows: readonly Row[];
  readonly claims: readonly Claim[];
}

/** A summary as a cell, or pending when there is nothing to summarize yet. */
export function cellOf(values: readonly number[]): CellValue {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return 'pending';
  const s = summarize(finite);
  return { mean: s.mean, ci95: Number.isFinite(s.ci95) ? s.ci95 : null, n: s.n };
}

export function paperCell(value: number | null | undefined): CellValue {
  return value === null || value === undefined ? null : { mean: value, ci95: null, n: 1 };
}

/**
 * The verdict of a directional claim "the statistic is > 0" from one value per training seed, with
 * the 95% t-interval of the mean:
 * - replicates when the interval lies above 0;
 * - does not replicate when it lies at or below 0 (no effect, or the opposite one), or when it lies
 *   below the paper's value of the statistic (our data rule out an effect as large as the paper's);
 * - inconclusive otherwise, or with fewer than 2 seeds.
 * `question` words it as yes/no (our own questions, which have no paper value).
 */
export function directionalClaim(claim: string, test: string, paper: number | null, perSeed: readonly number[], question = false): Claim {
  const values = perSeed.filter(Number.isFinite);
  if (values.length === 0) return { claim, test, paper, ours: null, verdict: 'inconclusive' };
  const s = summarize(values);
  const half = Number.isFinite(s.ci95) ? s.ci95 : Number.NaN;
  const ours = { mean: s.mean, low: s.mean - half, high: s.mean + half, n: s.n };
  let verdict: Verdict = 'inconclusive';
  if (values.length >= 2 && Number.isFinite(half)) {
    if (ours.low > 0) verdict = question ? 'yes' : 'replicates';
    else if (ours.high <= 0 || (paper !== null && paper > 0 && ours.high < paper)) verdict = question ? 'no' : 'does not replicate';
  }
  return { claim, test, paper, ours, verdict };
}

function formatNumber(x: number, digits: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toFixed(digits);
}

function formatCell(cell: CellValue, digits: number): string {
  if (cell === null) return '—';
  if (cell === 'pending') return 'pending';
  return cell.ci95 === null ? formatNumber(cell.mean, digits) : `${formatNumber(cell.mean, digits)} ± ${formatNumber(cell.ci95, digits)}`;
}

function escapePipes(text: string): string {
  return text.replaceAll('|', '\\|');
}

export function renderMarkdown(table: Table, digits = 3): string {
  const lines: string[] = [`# ${table.title}`, ''];
  for (const note of table.notes) lines.push(note, '');
  lines.push(`| | ${table.columns.map((c) => escapePipes(c.label)).join(' | ')} |`);
  lines.push(`|---|${table.columns.map(() => '---').join('|')}|`);
  for (const row of table.rows) {
    const label = row.source === 'paper' ? `${row.label} (paper's)` : row.label;
    lines.push(`| ${escapePipes(label)} | ${table.columns.map((c) => formatCell(row.cells[c.key] ?? null, digits)).join(' | ')} |`);
  }
  if (table.claims.length > 0) {
    lines.push('', '## Claims', '', "| the paper's claim | statistic and test | paper's value | ours: mean [95% CI] (seeds) | verdict |", '|---|---|---|---|---|');
    for (const c of table.claims) {
      const ours = c.ours === null ? 'pending' : `${formatNumber(c.ours.mean, digits)} [${formatNumber(c.ours.low, digits)}, ${formatNumber(c.ours.high, digits)}] (${c.ours.n})`;
      lines.push(`| ${escapePipes(c.claim)} | ${escapePipes(c.test)} | ${c.paper === null ? '—' : formatNumber(c.paper, digits)} | ${ours} | **${c.verdict}** |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Long format: one line per cell (`kind=cell`) and per claim (`kind=claim`, with the CI bounds and the verdict). */
export function renderCsv(table: Table): string {
  const lines = ['table,kind,row,source,over,column,mean,ci95,n,low,high,verdict'];
  for (const row of table.rows) {
    for (const column of table.columns) {
      const cell = row.cells[column.key] ?? null;
      if (cell === null) continue;
      const value = cell === 'pending' ? null : cell;
      lines.push(
        [table.id, 'cell', row.label, row.source, row.over, column.label, value?.mean ?? null, value?.ci95 ?? null, value?.n ?? null, null, null, cell === 'pending' ? 'pending' : null]
          .map(csvField)
          .join(','),
      );
    }
  }
  for (const c of table.claims) {
    lines.push(
      [table.id, 'claim', c.claim, 'ours', 'seeds', c.test, c.ours?.mean ?? null, c.ours ? (c.ours.high - c.ours.low) / 2 : null, c.ours?.n ?? null, c.ours?.low ?? null, c.ours?.high ?? null, c.verdict]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
