import { type Estimate, summarize } from './statistics.js';

/**
 * One number of a table: a mean, the half-width of its 95% Student-t CI (null when it has none) and
 * its sample size (training seeds for a learned method, episodes for a heuristic); a bootstrapped cell carries its 95% interval (`low`, `high`), its
 * interquartile mean, and the seeds and episodes behind it instead of a t half-width.
 */
export interface Cell {
  readonly mean: number;
  readonly ci95: number | null;
  readonly n: number;
  readonly low?: number;
  readonly high?: number;
  readonly iqm?: Estimate;
  readonly seeds?: number;
  readonly episodes?: number;
  /** What the interval is over, when it differs from its row's (a heuristic's cell in a row of learned methods). */
  readonly over?: Over;
  /** Shown instead of a number: the value was not recorded by the evaluation that made the file. */
  readonly note?: string;
}

/** What an interval is over: training seeds, evaluation episodes, both (two-level bootstrap), or nothing (the paper's values). */
export type Over = 'seeds' | 'episodes' | 'seeds and episodes' | '';

/** A cell is a value, `pending` (its runs have not finished yet) or null (not applicable, e.g. a size the paper did not report). */
export type CellValue = Cell | 'pending' | null;

export interface Row {
  readonly label: string;
  /** `ours` is measured by this run; `paper` is the paper's reported value, printed for comparison only. */
  readonly source: 'ours' | 'paper';
  /** What the CI is over: training seeds (learned methods), evaluation episodes (heuristics), or nothing (the paper's). */
  readonly over: Over;
  readonly cells: Readonly<Record<string, CellValue>>;
}

/** What a 95% interval of an effect shows, against the margin (the paper's effect size, or ours for our own questions). */
export type Outcome = 'effect detected' | "no effect detected; the paper's size ruled out" | 'no effect detected; the margin ruled out' | 'inconclusive';

/**
 * Verdicts: an `Outcome` when at least `MIN_CLAIM_SEEDS` training seeds stand behind the claim,
 * `too few seeds: k of 5` otherwise, `not measurable` when our episode definition cannot measure the
 * statistic, `pending` while a side of the comparison has no finished result (so an unfinished
 * reproduction never reads as inconclusive).
 */
export type Verdict = Outcome | `too few seeds: ${number} of ${number}` | 'not measurable' | 'pending';

/** Training seeds a claim needs before its interval gives a verdict. */
export const MIN_CLAIM_SEEDS = 5;

/** The effect size a verdict is judged against: the paper's reported size, or one we chose for our own question. */
export interface Margin {
  readonly value: number;
  readonly source: 'paper' | 'ours';
  /** Where the value comes from, in words. */
  readonly description: string;
}

/** A claim of the paper (or a question of ours), its test and our verdict. */
export interface Claim {
  readonly claim: string;
  /** The statistic tested, its unit and the test. */
  readonly test: string;
  /** The paper's value of the statistic. */
  readonly paper: number | null;
  /** Our estimate and its 95% interval (over seeds, or over seeds and episodes when `episodes` is set); null while its runs are pending. */
  readonly ours: { readonly mean: number; readonly low: number; readonly high: number; readonly n: number; readonly episodes?: number } | null;
  readonly verdict: Verdict;
  /** `paper`: the paper's claim; `question`: the project's own question. Absent: the paper's. */
  readonly kind?: 'paper' | 'question';
  /** The effect size the verdict is judged against; null where nothing is judged (`not measurable`). */
  readonly margin: Margin | null;
  /** Probability that the first method improves on the second on an episode, with its 95% interval. */
  readonly improvement: Estimate | null;
  /** What the interval alone shows (the verdict when enough seeds stand behind it). */
  readonly outcome: Outcome | null;
}

export interface Table {
  readonly id: string;
  readonly title: string;
  readonly notes: readonly string[];
  readonly columns: readonly { readonly key: string; readonly label: string }[];
  readonly rows: readonly Row[];
  readonly claims: readonly Claim[];
  /** Notes `summary.md` repeats under the verdicts (what a reader of the verdicts alone must know). */
  readonly summaryNotes?: readonly string[];
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
 * What an effect's 95% interval shows, the effect being positive in the claimed direction: detected
 * when the interval lies above 0; no effect detected with the margin ruled out when it lies below
 * the margin (at or below 0 when the margin is 0); inconclusive otherwise.
 */
export function outcomeOf(estimate: { readonly low: number; readonly high: number }, margin: Margin): Outcome {
  if (!Number.isFinite(estimate.low) || !Number.isFinite(estimate.high)) return 'inconclusive';
  if (estimate.low > 0) return 'effect detected';
  if (margin.value > 0 ? estimate.high < margin.value : estimate.high <= 0) return margin.source === 'paper' ? "no effect detected; the paper's size ruled out" : 'no effect detected; the margin ruled out';
  return 'inconclusive';
}

/** The verdict of an outcome with `seeds` training seeds behind it (heuristic-only claims pass `null`). */
export function verdictOf(outcome: Outcome, seeds: number | null): Verdict {
  return seeds !== null && seeds < MIN_CLAIM_SEEDS ? `too few seeds: ${seeds} of ${MIN_CLAIM_SEEDS}` : outcome;
}

/** Everything a bootstrapped claim needs: its words, its estimate, and how many seeds and episodes stand behind it. */
export interface ClaimInput {
  readonly claim: string;
  readonly test: string;
  readonly kind: 'paper' | 'question';
  readonly paper: number | null;
  readonly margin: Margin;
  /** The effect (positive in the claimed direction) with its 95% interval; null while pending. */
  readonly effect: Estimate | null;
  readonly improvement: Estimate | null;
  /** Training seeds behind the effect (null: no learned method in it). */
  readonly seeds: number | null;
  /** Episodes behind each seed's value (null: one value per seed, e.g. Table 5's statistics over all decisions). */
  readonly episodes: number | null;
}

/** A claim judged on a bootstrapped effect and its margin. */
export function bootstrapClaim(input: ClaimInput): Claim {
  const { claim, test, kind, paper, margin, effect, improvement, seeds, episodes } = input;
  if (effect === null) return { claim, test, paper, kind, margin, ours: null, improvement: null, outcome: null, verdict: 'pending' };
  const outcome = outcomeOf(effect, margin);
  return {
    claim,
    test,
    paper,
    kind,
    margin,
    ours: { mean: effect.value, low: effect.low, high: effect.high, n: seeds ?? 1, ...(episodes === null ? {} : { episodes }) },
    improvement,
    outcome,
    verdict: verdictOf(outcome, seeds),
  };
}

/** A claim our episode definition cannot measure: the verdict says so, and the estimate shows why. */
export function unmeasurableClaim(claim: string, test: string, paper: number | null, ours: Claim['ours']): Claim {
  return { claim, test, paper, kind: 'paper', margin: null, ours, improvement: null, outcome: null, verdict: 'not measurable' };
}

function formatNumber(x: number, digits: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toFixed(digits);
}

function formatInterval(low: number, high: number, digits: number): string {
  return `[${formatNumber(low, digits)}, ${formatNumber(high, digits)}]`;
}

function formatCell(cell: CellValue, digits: number): string {
  if (cell === null) return '—';
  if (cell === 'pending') return 'pending';
  if (cell.note !== undefined) return cell.note;
  if (cell.low !== undefined && cell.high !== undefined) {
    const mean = `${formatNumber(cell.mean, digits)} ${formatInterval(cell.low, cell.high, digits)}`;
    return cell.iqm === undefined ? mean : `${mean}; IQM ${formatNumber(cell.iqm.value, digits)} ${formatInterval(cell.iqm.low, cell.iqm.high, digits)}`;
  }
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
    const kinds = new Set(table.claims.map((c) => c.kind ?? 'paper'));
    const header = kinds.size > 1 ? "the paper's claim or our question" : kinds.has('question') ? 'our question' : "the paper's claim";
    lines.push('', kinds.has('question') && kinds.size === 1 ? '## Questions' : '## Claims', '');
    lines.push(
      `| ${header} | statistic and test | margin | paper's value | ours: mean [95% CI] (seeds x episodes) | P(improvement) [95% CI] | the interval alone | verdict |`,
      '|---|---|---|---|---|---|---|---|',
    );
    for (const c of table.claims) {
      const label = kinds.size > 1 ? `${c.kind === 'question' ? '(our question) ' : "(the paper's) "}${c.claim}` : c.claim;
      const paper = c.paper === null ? '—' : formatNumber(c.paper, digits);
      const size = c.ours?.episodes === undefined ? `${c.ours?.n ?? 0}` : `${c.ours.n} x ${c.ours.episodes}`;
      const ours = c.ours === null ? 'pending' : `${formatNumber(c.ours.mean, digits)} ${formatInterval(c.ours.low, c.ours.high, digits)} (${size})`;
      const margin = c.margin === null ? '—' : `${formatNumber(c.margin.value, digits)} (${c.margin.description})`;
      const improvement = c.improvement === null ? '—' : `${formatNumber(c.improvement.value, 2)} ${formatInterval(c.improvement.low, c.improvement.high, 2)}`;
      lines.push(`| ${escapePipes(label)} | ${escapePipes(c.test)} | ${escapePipes(margin)} | ${paper} | ${ours} | ${improvement} | ${c.outcome ?? '—'} | **${c.verdict}** |`);
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
  const lines = ['table,kind,row,source,over,column,mean,ci95,n,low,high,verdict,iqm,iqm_low,iqm_high,seeds,episodes,margin,p_improvement,p_improvement_low,p_improvement_high,outcome'];
  for (const row of table.rows) {
    for (const column of table.columns) {
      const cell = row.cells[column.key] ?? null;
      if (cell === null) continue;
      const value = cell === 'pending' ? null : cell;
      const status = cell === 'pending' ? 'pending' : (value?.note ?? null);
      lines.push(
        [
          table.id,
          'cell',
          row.label,
          row.source,
          value?.over ?? row.over,
          column.label,
          value?.note === undefined ? (value?.mean ?? null) : null,
          value?.ci95 ?? null,
          value?.n ?? null,
          value?.low ?? null,
          value?.high ?? null,
          status,
          value?.iqm?.value ?? null,
          value?.iqm?.low ?? null,
          value?.iqm?.high ?? null,
          value?.seeds ?? null,
          value?.episodes ?? null,
          null,
          null,
          null,
          null,
          null,
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  for (const c of table.claims) {
    const over = c.ours?.episodes === undefined ? 'seeds' : 'seeds and episodes';
    lines.push(
      [
        table.id,
        'claim',
        c.claim,
        c.kind === 'question' ? 'ours (question)' : 'ours',
        over,
        c.test,
        c.ours?.mean ?? null,
        c.ours ? (c.ours.high - c.ours.low) / 2 : null,
        c.ours?.n ?? null,
        c.ours?.low ?? null,
        c.ours?.high ?? null,
        c.verdict,
        null,
        null,
        null,
        c.ours?.n ?? null,
        c.ours?.episodes ?? null,
        c.margin?.value ?? null,
        c.improvement?.value ?? null,
        c.improvement?.low ?? null,
        c.improvement?.high ?? null,
        c.outcome ?? null,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
