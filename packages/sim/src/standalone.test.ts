import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packages = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every package name installed under node_modules (scoped ones included). */
function installedPackages(nodeModules: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const scoped of readdirSync(join(nodeModules, entry))) names.push(`${entry}/${scoped}`);
    else names.push(entry);
  }
  return names;
}

/** Every bare package a built module imports, following its relative imports (the chunks). */
function libraryImports(dist: string, entry: string, seen = new Set<string>()): string[] {
  if (seen.has(entry)) return [];
  seen.add(entry);
  const code = readFileSync(join(dist, entry), 'utf8');
  const out: string[] = [];
  for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)/g)) {
    const specifier = (match[1] ?? match[2]) as string;
    if (specifier.startsWith('./')) out.push(...libraryImports(dist, specifier.slice(2), seen));
    else out.push(specifier);
  }
  return out;
}

describe('@scale/sim installed alone', () => {
  it('packs with its workspace dependencies, installs with npm, has no tfjs in the tree, and simulates', { timeout: 180_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'scale-sim-alone-'));
    // pnpm pack rewrites workspace: and catalog: ranges into real versions, as a publish would.
    for (const name of ['workload', 'sim']) {
      execFileSync('pnpm', ['pack', '--pack-destination', dir], { cwd: join(packages, name), stdio: 'pipe' });
    }
    const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(2);
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs.map((t) => join(dir, t))], { cwd: app, stdio: 'pipe' });

    const installed = installedPackages(join(app, 'node_modules'));
    expect(installed).toContain('@scale/sim');
    expect(installed.filter((name) => name.includes('tensorflow') || name.includes('tfjs'))).toEqual([]);
    expect(existsSync(join(app, 'node_modules/@tensorflow'))).toBe(false);

    const script = `
      import { createSimulation, makePolicy, runEpisode } from '@scale/sim';
      const sim = runEpisode(createSimulation({ nodes: 16, seed: 1, horizon: 20, drain: true }), makePolicy('eft'));
      console.log(JSON.stringify({ outcome: sim.outcome, completed: sim.metrics().completedTasks, arrived: sim.metrics().arrivedTasks }));
    `;
    writeFileSync(join(app, 'run.mjs'), script);
    const result = spawnSync(process.execPath, ['run.mjs'], { cwd: app, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { outcome: string; completed: number; arrived: number };
    expect(out.outcome).toBe('terminated');
    expect(out.completed).toBe(out.arrived);
    expect(out.completed).toBeGreaterThan(0);
    // The CLI subpath resolves from the installed tree, and the library entry never loads commander.
    const cliScript = `
      import { Command } from 'commander';
      import { addSchemaOptions, scaleSimMain } from '@scale/sim/cli';
      import { SimConfigSchema } from '@scale/sim';
      const help = addSchemaOptions(new Command('x'), SimConfigSchema).helpInformation();
      console.log(JSON.stringify({ nodes: help.includes('--nodes <n>'), main: typeof scaleSimMain }));
    `;
    writeFileSync(join(app, 'cli.mjs'), cliScript);
    const cliResult = spawnSync(process.execPath, ['cli.mjs'], { cwd: app, encoding: 'utf8' });
    expect(cliResult.stderr).toBe('');
    expect(JSON.parse(cliResult.stdout)).toEqual({ nodes: true, main: 'function' });
    expect(libraryImports(join(app, 'node_modules/@scale/sim/dist'), 'index.js')).not.toContain('commander');
    // The bin works from the installed tree too.
    const bin = spawnSync(join(app, 'node_modules/.bin/scale-sim'), ['--nodes', '4', '--horizon', '5', '--json'], { encoding: 'utf8' });
    expect(bin.status).toBe(0);
    expect(JSON.parse(bin.stdout)).toMatchObject({ nodes: 4, policy: 'eft' });
  });
});
