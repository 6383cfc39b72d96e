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

/** Reads a run's `metrics.jsonl` (missing: the run has not started). */
export async function readEpochRecords(runDirectory: string): Promise<EpochRecord[]> {
  let text: string;
  try {
    text = await readFile(join(runDirectory, 'metrics.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EpochRecord);
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

/** Figure 6 as a Vega-Lite spec (data inline), so that anyone can restyle and re-render it. */
export function figureSpec(points: readonly CurvePoint[], methods: readonly string[], title: string): TopLevelSpec {
  const color = { field: 'method', type: 'nominal', scale: { domain: [...methods] }, title: 'method' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 640,
    height: 360,
    data: { values: points.map((p) => ({ ...p })) },
    encoding: { x: { field: 'epoch', type: 'quantitative', title: 'epoch (1,024 env steps each)' } },
    layer: [
      { mark: { type: 'area', opacity: 0.18 }, encoding: { y: { field: 'low', type: 'quantitative', title: 'mean episode return' }, y2: { field: 'high' }, color } },
      { mark: { type: 'line', strokeWidth: 1.6 }, encoding: { y: { field: 'mean', type: 'quantitative' }, color } },
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
