import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importWfFormat, readWfFormatFile, readWfFormatPool } from './wfformat.js';
import { validateWorkflow } from './workflow.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/bacass-dirt02-001.json');
const shared = join(here, '../../../../shared/data/wfformat');

describe('WfFormat importer', () => {
  it('imports the shipped Nextflow fixture (1.5) with runtime x speed, memory, outputs and edge data', () => {
    const { workflow, report } = readWfFormatFile(fixture, { referenceSpeed: 2 });
    const doc = JSON.parse(readFileSync(fixture, 'utf8'));
    expect(report).toMatchObject({ schemaVersion: '1.5', tasks: 11 });
    expect(workflow.tasks).toHaveLength(11);
    const byName = new Map(workflow.tasks.map((t) => [t.name, t]));
    const skewer = byName.get('NFCORE_BACASS.BACASS.SKEWER_1')!;
    expect(skewer.compute).toBe(208 * 2);
    expect(skewer.memory).toBeCloseTo(9932800 / 1e9, 12);
    // Output: the total size of the task's output files.
    const specSkewer = doc.workflow.specification.tasks.find((t: { id: string }) => t.id === 'NFCORE_BACASS.BACASS.SKEWER_1');
    const sizes = new Map(doc.workflow.specification.files.map((f: { id: string; sizeInBytes: number }) => [f.id, f.sizeInBytes]));
    const outBytes = specSkewer.outputFiles.reduce((s: number, f: string) => s + (sizes.get(f) as number), 0);
    expect(skewer.output).toBeCloseTo(outBytes / 1e9, 12);
    // Edges follow the parents lists; QUAST has two parents.
    const quast = byName.get('NFCORE_BACASS.BACASS.QUAST_9')!;
    expect(quast.parents.map((p) => workflow.tasks[p]!.name)).toEqual(['NFCORE_BACASS.BACASS.UNICYCLER_5', 'NFCORE_BACASS.BACASS.UNICYCLER_6']);
    expect(quast.parentData).toHaveLength(2);
    // The Nextflow quirk: runtime 0 becomes minCompute, and is reported, not hidden.
    expect(report.zeroRuntimeTasks).toEqual(['NFCORE_BACASS.BACASS.GET_SOFTWARE_VERSIONS_10']);
    expect(byName.get('NFCORE_BACASS.BACASS.GET_SOFTWARE_VERSIONS_10')!.compute).toBe(0.01);
    validateWorkflow(workflow);
  });

  it('reads schema 1.4 (KB units, files with links) and 1.6', () => {
    const v14 = {
      name: 'tiny',
      schemaVersion: '1.4',
      workflow: {
        tasks: [
          { name: 'a', runtime: 3, memory: 2048, parents: [], files: [{ link: 'output', name: 'x', size: 1000 }] },
          { name: 'b', runtime: 0.5, parents: ['a'], files: [{ link: 'input', name: 'x', size: 1000 }, { link: 'output', name: 'y', size: 5 }] },
        ],
      },
    };
    const { workflow, report } = importWfFormat(v14, { defaultMemory: 3 });
    expect(workflow.tasks.map((t) => [t.compute, t.memory, t.parents])).toEqual([
      [3, (2048 * 1024) / 1e9, []],
      [0.5, 3, [0]],
    ]);
    expect(workflow.tasks[1]!.parentData).toEqual([(1000 * 1024) / 1e9]);
    expect(report.defaultedMemoryTasks).toEqual(['b']);
    const v16 = JSON.parse(readFileSync(fixture, 'utf8'));
    v16.schemaVersion = '1.6';
    expect(importWfFormat(v16).workflow.tasks).toHaveLength(11);
  });

  it('names the field of a broken document', () => {
    expect(() => importWfFormat({ schemaVersion: '2.0', workflow: {} }, {}, 'x.json')).toThrow(/x\.json: schemaVersion is "2\.0"; supported: "1\.4", "1\.5", "1\.6"/);
    expect(() => importWfFormat({ workflow: {} }, {}, 'x.json')).toThrow(/schemaVersion is missing/);
    const dangling = { schemaVersion: '1.5', workflow: { specification: { tasks: [{ id: 'a', name: 'a', parents: ['ghost'], children: [] }], files: [] }, execution: { tasks: [{ id: 'a', runtimeInSeconds: 1 }] } } };
    expect(() => importWfFormat(dangling, {}, 'x.json')).toThrow(/task a\.parents names unknown task ghost/);
    const noRuntime = { schemaVersion: '1.5', workflow: { specification: { tasks: [{ id: 'a', name: 'a', parents: [], children: [] }] } } };
    expect(() => importWfFormat(noRuntime, {}, 'x.json')).toThrow(/task a\.runtime is missing/);
    expect(() => importWfFormat({}, { referenceSpeed: -1 })).toThrow(/wfformat\.referenceSpeed: expected a number > 0/);
  });

  it('imports all five real WfCommons instances in ../shared (skipped when shared/ is absent)', (ctx) => {
    if (!existsSync(shared)) {
      ctx.skip(`../shared is absent: ${shared}`);
      return;
    }
    const pool = readWfFormatPool(shared);
    const names = pool.imports.map((i) => i.report.source.split('/').pop());
    expect(names).toEqual([
      'bacass-dirt02-001.json',
      'blast-chameleon-small-001.json',
      'epigenomics-chameleon-hep-1seq-100k-001.json',
      'methylseq-dirt02-001.json',
      'montage-chameleon-2mass-005d-001.json',
    ]);
    expect(pool.imports.map((i) => i.report.tasks)).toEqual([11, 43, 41, 36, 58]);
    // Files that are not instances are listed, not silently dropped.
    expect(pool.skipped.map((s) => s.split('/').pop()).sort()).toEqual(['PROVENANCE.json', 'wfcommons-schema-1.5.json']);
    // Pegasus: ids keep their suffix; epigenomics lacks memoryInBytes for some apps, reported.
    const epigenomics = pool.imports[2]!;
    expect(epigenomics.workflow.tasks.some((t) => /_ID\d+$/.test(t.name ?? ''))).toBe(true);
    expect(epigenomics.report.defaultedMemoryTasks.length).toBeGreaterThan(0);
    for (const imported of pool.imports) {
      validateWorkflow(imported.workflow);
      expect(imported.report.edges).toBeGreaterThan(0);
    }
  });
});
