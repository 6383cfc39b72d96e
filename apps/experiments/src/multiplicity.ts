import type { Table } from './table.js';

/**
 * How often one claim reads "effect detected" when its true effect is exactly 0: its 95% interval
 * lies above 0 with probability 2.5% (one tail of the interval).
 */
export const CHANCE_DETECTION_RATE = 0.025;

/** How many of a table's judged claims detect an effect, beside how many chance alone would give. */
export interface DetectionCount {
  readonly table: string;
  /** Claims whose verdict is an outcome: not pending, not measurable, and with enough seeds. */
  readonly judged: number;
  /** Judged claims whose verdict is "effect detected". */
  readonly detected: number;
  /** Detections expected if every judged claim's true effect were 0 (`judged` x 2.5%). */
  readonly expectedByChance: number;
}

/**
 * Detections per table (tables with no judged claim are left out). Every verdict reads its own 95%
 * interval, and no table corrects for how many claims it judges, so a table of many claims shows some
 * detections by chance alone; this count puts them side by side.
 */
export function detectionCounts(tables: readonly Table[]): DetectionCount[] {
  const counts: DetectionCount[] = [];
  for (const table of tables) {
    const judged = table.claims.filter((c) => c.outcome !== null && c.verdict === c.outcome);
    if (judged.length === 0) continue;
    const detected = judged.filter((c) => c.verdict === 'effect detected').length;
    counts.push({ table: table.id, judged: judged.length, detected, expectedByChance: judged.length * CHANCE_DETECTION_RATE });
  }
  return counts;
}

/** The `summary.md` section of the counts: why they are there, then one line per table. */
export function detectionCountsMarkdown(counts: readonly DetectionCount[]): string[] {
  if (counts.length === 0) return [];
  return [
    '## Detections against chance',
    '',
    `Every verdict reads one 95% interval, and no table corrects for how many claims it judges. If a judged claim's true effect were 0, it would read "effect detected" with probability ${CHANCE_DETECTION_RATE * 100}% (its interval above 0), so a table of m such claims would show about m x ${CHANCE_DETECTION_RATE} detections by chance alone. A detection whose interval ends near 0, in a table with many claims, is a lead to confirm rather than a finding.`,
    '',
    '| table | claims judged | effect detected | expected by chance if no effect anywhere |',
    '|---|---|---|---|',
    ...counts.map((c) => `| [${c.table}](${c.table}.md) | ${c.judged} | ${c.detected} | ${c.expectedByChance.toFixed(1)} |`),
    '',
  ];
}
