import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { figureSpec, type ReferenceLine, readEpochRecords, renderSvg, trainingCurves } from '../figure.js';
import { sameJson } from '../internal/same-json.js';
import { writeJsonAtomic } from '../jobs.js';
import { PAPER_METHODS, runDir } from '../plan.js';
import { readRunRecord } from '../run-record.js';
import { mean } from '../statistics.js';
import { defineTarget, type ReportContext, type TargetFiles } from '../target.js';
import { heuristicTrainingReturns, type ReferenceReturns } from '../training-reference.js';
import { planPaperMethods } from './table3.js';

/** The reference heuristic of Figure 6 and the file its returns are cached in (so that `--report` stays fast). */
export const FIG6_REFERENCE = { policy: 'eft', file: 'fig6-eft-reference.json', episodesPerEnv: { full: 25, quick: 2 } } as const;

interface CachedReference extends ReferenceReturns {
  /** The env config it was computed with (the run's), to recompute when it changes. */
  readonly env: unknown;
}

/**
 * eft's returns on each seed's first training episodes (the `scale` run's env config and seeds; every
 * paper method of a seed trains on the same episodes), from the cache file when it matches.
 */
async function eftReference(context: ReportContext): Promise<{ line: ReferenceLine | null; episodes: number; written: boolean }> {
  const { outDir, seeds, budget } = context;
  const episodesPerEnv = budget.quick ? FIG6_REFERENCE.episodesPerEnv.quick : FIG6_REFERENCE.episodesPerEnv.full;
  const path = join(outDir, FIG6_REFERENCE.file);
  let cached: CachedReference[] = [];
  try {
    cached = JSON.parse(await readFile(path, 'utf8')) as CachedReference[];
  } catch {
    // No cache yet.
  }
  const entries: CachedReference[] = [];
  let computed = false;
  for (const seed of seeds) {
    const record = await readRunRecord(join(outDir, runDir('paper', 'scale', seed)));
    if (record === null) continue;
    const env = { ...record.config.env, nodes: record.config.nodes, invalidAction: record.config.invalidAction };
    const hit = cached.find((c) => c.seed === seed && c.envs === record.config.envs && c.episodesPerEnv === episodesPerEnv && sameJson(c.env, env));
    if (hit !== undefined) {
      entries.push(hit);
      continue;
    }
    entries.push({ ...heuristicTrainingReturns(FIG6_REFERENCE.policy, { env, seed, envs: record.config.envs, episodesPerEnv }), env });
    computed = true;
  }
  if (computed) await writeJsonAtomic(path, entries);
  const returns = entries.flatMap((e) => e.returns);
  return { line: returns.length === 0 ? null : { label: `${FIG6_REFERENCE.policy} (reference)`, value: mean(returns) }, episodes: returns.length, written: computed || cached.length > 0 };
}

/** Writes Figure 6 (SVG, its Vega-Lite spec and its data) from the six methods' training logs. */
async function writeFigure6(context: ReportContext): Promise<TargetFiles> {
  const { outDir, budget, seeds } = context;
  const runs = [];
  for (const method of PAPER_METHODS) {
    for (const seed of seeds) runs.push({ method, records: await readEpochRecords(join(outDir, runDir('paper', method, seed))) });
  }
  const bin = Math.max(1, Math.round(budget.epochs / 100));
  const points = trainingCurves(runs, bin);
  const reference = await eftReference(context);
  const title = 'Figure 6: training curves at N=16';
  const subtitle = [
    `Mean episode return over ${bin}-epoch bins (an epoch repeated by a resumed run counts once);`,
    `band: ±1 std across ${seeds.length} seed${seeds.length === 1 ? '' : 's'}. Return: the sum of eq. 2's per-decision rewards over a 100 s training episode.`,
    "The paper's axis (about 0.6 to 1.1) is another normalisation, lost from its text: the axes do not compare.",
    ...(reference.line === null
      ? []
      : [`${reference.line.label}: eft's mean return on the first ${reference.episodes / Math.max(1, seeds.length)} training episodes of each seed (same env and episode seeds), ${reference.line.value.toFixed(1)}.`]),
  ];
  const spec = figureSpec(points, PAPER_METHODS, title, subtitle, reference.line === null ? [] : [reference.line]);
  await writeFile(join(outDir, 'fig6.svg'), await renderSvg(spec));
  await writeJsonAtomic(join(outDir, 'fig6.vl.json'), spec);
  const csv = ['method,epoch,mean,low,high,seeds', ...points.map((p) => [p.method, p.epoch, p.mean, p.low, p.high, p.seeds].join(','))];
  if (reference.line !== null) csv.push([reference.line.label, '', reference.line.value, '', '', seeds.length].join(','));
  await writeFile(join(outDir, 'fig6.csv'), `${csv.join('\n')}\n`);
  return { written: ['fig6.svg', 'fig6.vl.json', 'fig6.csv', ...(reference.written ? [FIG6_REFERENCE.file] : [])], summary: ['![Figure 6](fig6.svg)'] };
}

/** Figure 6: the training curves of the six methods at N=16 (Table 3's runs), with eft's return on the same training episodes. */
export const fig6Target = defineTarget({
  id: 'fig6',
  inAll: () => true,
  jobs: planPaperMethods,
  tables: () => [],
  files: writeFigure6,
});
