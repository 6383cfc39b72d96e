import { describe, expect, it } from 'vitest';
import { CHANCE_DETECTION_RATE, detectionCounts, detectionCountsMarkdown } from './multiplicity.js';
import { bootstrapClaim, type Claim, type Margin, type Table, unmeasurableClaim } from './table.js';

const margin: Margin = { value: 0.06, source: 'ours', description: '1% of the best heuristic' };

function claim(low: number, high: number, seeds: number | null): Claim {
  return bootstrapClaim({ claim: `effect in [${low}, ${high}]`, test: 'difference > 0', kind: 'question', paper: null, margin, effect: { value: (low + high) / 2, low, high }, improvement: null, seeds, episodes: 30 });
}

function table(id: string, claims: readonly Claim[]): Table {
  return { id, title: id, notes: [], columns: [], rows: [], claims };
}

describe('detectionCounts', () => {
  it('counts only judged claims: pending, unmeasurable and too-few-seed claims are left out', () => {
    const pending = bootstrapClaim({ claim: 'pending', test: 't', kind: 'question', paper: null, margin, effect: null, improvement: null, seeds: 5, episodes: 30 });
    const counts = detectionCounts([
      table('mixed', [
        claim(0.01, 0.2, 5), // detected
        claim(0.02, 0.3, null), // detected, heuristic-only (no seeds behind it)
        claim(-0.1, 0.1, 5), // inconclusive
        claim(-0.2, 0.01, 5), // the margin ruled out
        claim(0.05, 0.2, 3), // detected by its interval, but too few seeds: not judged
        pending,
        unmeasurableClaim('not measurable', 't', null, null),
      ]),
      table('empty', [pending]),
    ]);
    expect(counts).toEqual([{ table: 'mixed', judged: 4, detected: 2, expectedByChance: 4 * CHANCE_DETECTION_RATE }]);
  });

  it('writes one line per table, with the chance count to one decimal, and nothing when no claim is judged', () => {
    const lines = detectionCountsMarkdown(detectionCounts([table('beyond', Array.from({ length: 56 }, (_, k) => claim(k < 5 ? 0.01 : -0.1, 0.1, 5)))]));
    expect(lines).toContain('| [beyond](beyond.md) | 56 | 5 | 1.4 |');
    expect(lines[0]).toBe('## Detections against chance');
    expect(detectionCountsMarkdown([])).toEqual([]);
  });
});
