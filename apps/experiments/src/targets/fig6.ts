import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { figureSpec, readEpochRecords, renderSvg, trainingCurves } from '../figure.js';
import { writeJsonAtomic } from '../jobs.js';
import { PAPER_METHODS, runDir } from '../plan.js';
import { defineTarget, type ReportContext, type TargetFiles } from '../target.js';
import { planPaperMethods } from './table3.js';

/** Writes Figure 6 (SVG, its Vega-Lite spec and its data) from the six methods' training logs. */
async function writeFigure6(context: ReportContext): Promise<TargetFiles> {
  const { outDir, budget, seeds } = context;
  const runs = [];
  for (const method of PAPER_METHODS) {
    for (const seed of seeds) runs.push({ method, records: await readEpochRecords(join(outDir, runDir('paper', method, seed))) });
  }
  const bin = Math.max(1, Math.round(budget.epochs / 100));
  const points = trainingCurves(runs, bin);
  const title = `Figure 6: training curves at N=16 (mean episode return, ${bin}-epoch bins; band: ±1 std across ${seeds.length} seed${seeds.length === 1 ? '' : 's'})`;
  const spec = figureSpec(points, PAPER_METHODS, title);
  await writeFile(join(outDir, 'fig6.svg'), await renderSvg(spec));
  await writeJsonAtomic(join(outDir, 'fig6.vl.json'), spec);
  const csv = ['method,epoch,mean,low,high,seeds', ...points.map((p) => [p.method, p.epoch, p.mean, p.low, p.high, p.seeds].join(','))];
  await writeFile(join(outDir, 'fig6.csv'), `${csv.join('\n')}\n`);
  return { written: ['fig6.svg', 'fig6.vl.json', 'fig6.csv'], summary: ['![Figure 6](fig6.svg)'] };
}

/** Figure 6: the training curves of the six methods at N=16 (Table 3's runs). */
export const fig6Target = defineTarget({
  id: 'fig6',
  inAll: () => true,
  jobs: planPaperMethods,
  tables: () => [],
  files: writeFigure6,
});
