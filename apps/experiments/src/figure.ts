import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One point of a training curve: a method's mean over seeds in an epoch bin, and the band (± 1 std across seeds). */
export interface CurvePoint {
  readonly method: string;
  /** The bin's last epoch. */
  readonly epoch: number;
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly seeds: number;
}

interface EpochRecord {
  readonly epoch: number;
  readonly episodes: number;
  readonly meanEpisodeReturn: number | null;
}

/** Reads a run's `metrics.jsonl` (missing: the run has not started), one record per epoch. */
export async function readEpochRecords(runDirectory: string): Promise<EpochRecord[]> {
  let text: string;
  try {
    text = await readFile(join(runDirectory, 'metrics.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return lastRowPerEpoch(
    text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as EpochRecord),
  );
}

/**
 * One record per epoch, the last one written: a run stopped after logging an epoch but before its
 * checkpoint logs that epoch again when it resumes, and the resumed row is the one the run continued from.
 */
export function lastRowPerEpoch<R extends { readonly epoch: number }>(records: readonly R[]): R[] {
  const byEpoch = new Map<number, R>();
  for (const r of records) byEpoch.set(r.epoch, r);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * Bins each seed's curve (episodes span epochs, so an epoch may end none: a bin averages the returns of
 * the episodes that ended in it, weighted by their count), then averages the seeds that have the bin.
 */
export function trainingCurves(runs: readonly { method: string; records: readonly EpochRecord[] }[], binEpochs: number): CurvePoint[] {
  const byMethod = new Map<string, Map<number, number[]>>();
  for (const run of runs) {
    const bins = new Map<number, { sum: number; episodes: number }>();
    for (const r of run.records) {
      if (r.meanEpisodeReturn === null || !Number.isFinite(r.meanEpisodeReturn) || r.episodes <= 0) continue;
      const bin = Math.ceil(r.epoch / binEpochs) * binEpochs;
      const b = bins.get(bin) ?? { sum: 0, episodes: 0 };
      b.sum += r.meanEpisodeReturn * r.episodes;
      b.episodes += r.episodes;
      bins.set(bin, b);
    }
    const method = byMethod.get(run.method) ?? new Map<number, number[]>();
    for (const [bin, b] of bins) method.set(bin, [...(method.get(bin) ?? []), b.sum / b.episodes]);
    byMethod.set(run.method, method);
  }
  const points: CurvePoint[] = [];
  for (const [method, bins] of byMethod) {
    for (const [epoch, values] of [...bins].sort((a, b) => a[0] - b[0])) {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
      points.push({ method, epoch, mean, low: mean - std, high: mean + std, seeds: values.length });
    }
  }
  return points;
}

/** A horizontal reference line of the figure: a heuristic's mean return on the runs' training episodes. */
export interface ReferenceLine {
  readonly label: string;
  readonly value: number;
}

/** Line styles: methods that differ only by SRR share a dash family so each pair stays apart where the curves overlap. */
const DASHES: Readonly<Record<string, readonly number[]>> = {
  scale: [1, 0],
  crossattn: [7, 4],
  ppo: [1, 0],
  'ppo-srr': [7, 4],
  dqn: [2, 3],
  sac: [10, 3, 2, 3],
};
const REFERENCE_DASH = [3, 3];
/** Category colours strong enough to tell apart at a 2 px stroke (Tableau 10, minus the pale ones). */
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#222222', '#17becf'];

/** Figure 6 as a Vega-Lite spec (data inline), so that anyone can restyle and re-render it. */
export function figureSpec(points: readonly CurvePoint[], methods: readonly string[], title: string, subtitle: readonly string[] = [], references: readonly ReferenceLine[] = []): TopLevelSpec {
  const domain = [...methods, ...references.map((r) => r.label)];
  const range = domain.map((_, k) => COLORS[k % COLORS.length] as string);
  const dashes = domain.map((m) => [...(DASHES[m] ?? REFERENCE_DASH)]);
  const color = { field: 'method', type: 'nominal', scale: { domain, range }, title: 'method' } as const;
  const strokeDash = { field: 'method', type: 'nominal', scale: { domain, range: dashes }, title: 'method' } as const;
  const epochs = points.map((p) => p.epoch);
  const first = epochs.length === 0 ? 0 : Math.min(...epochs);
  const last = epochs.length === 0 ? 1 : Math.max(...epochs);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: [...subtitle], anchor: 'start', frame: 'group', fontSize: 14, subtitleFontSize: 11 },
    width: 640,
    height: 360,
    config: { legend: { symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolOpacity: 1, symbolSize: 300, labelFontSize: 11 } },
    encoding: { x: { field: 'epoch', type: 'quantitative', title: 'epoch (1,024 env steps each)' } },
    layer: [
      {
        data: { values: points.map((p) => ({ ...p })) },
        mark: { type: 'area', opacity: 0.12 },
        encoding: {
          y: { field: 'low', type: 'quantitative', title: 'mean episode return (ours)' },
          y2: { field: 'high' },
          color,
        },
      },
      {
        data: { values: references.flatMap((r) => [first, last].map((epoch) => ({ method: r.label, epoch, mean: r.value }))) },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { y: { field: 'mean', type: 'quantitative' }, color, strokeDash },
      },
      {
        data: { values: points.map((p) => ({ ...p })) },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { y: { field: 'mean', type: 'quantitative' }, color, strokeDash },
      },
    ],
  };
}

/** Renders a Vega-Lite spec to SVG headlessly (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
