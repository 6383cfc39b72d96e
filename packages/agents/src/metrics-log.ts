import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Appends one row per epoch to `metrics.csv` and `metrics.jsonl` in `directory` as training goes, so
 * a crash loses nothing already logged. The CSV header is the first row's keys.
 */
export class MetricsLog {
  private columns: string[] | null = null;

  constructor(readonly directory: string) {}

  get csvPath(): string {
    return join(this.directory, 'metrics.csv');
  }

  get jsonlPath(): string {
    return join(this.directory, 'metrics.jsonl');
  }

  async append(row: Readonly<Record<string, number>>): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    if (this.columns === null) {
      const existing = await readFile(this.csvPath, 'utf8').catch(() => '');
      const header = existing.split('\n')[0] ?? '';
      if (header !== '') this.columns = header.split(',');
      else {
        this.columns = Object.keys(row);
        await writeFile(this.csvPath, `${this.columns.join(',')}\n`);
      }
    }
    const values = this.columns.map((c) => formatNumber(row[c]));
    await appendFile(this.csvPath, `${values.join(',')}\n`);
    await appendFile(this.jsonlPath, `${JSON.stringify(row, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  }

  /** Drops rows after `epoch` (resuming from a checkpoint older than the log's tail). */
  async truncateAfter(epoch: number): Promise<void> {
    const csv = await readFile(this.csvPath, 'utf8').catch(() => null);
    if (csv !== null) {
      const lines = csv.split('\n').filter((l) => l !== '');
      const header = lines[0] as string;
      const epochColumn = header.split(',').indexOf('epoch');
      const kept = lines.slice(1).filter((l) => Number(l.split(',')[epochColumn]) <= epoch);
      await writeFile(this.csvPath, `${[header, ...kept].join('\n')}\n`);
    }
    const jsonl = await readFile(this.jsonlPath, 'utf8').catch(() => null);
    if (jsonl !== null) {
      const kept = jsonl.split('\n').filter((l) => l !== '' && (JSON.parse(l) as { epoch: number }).epoch <= epoch);
      await writeFile(this.jsonlPath, kept.length === 0 ? '' : `${kept.join('\n')}\n`);
    }
  }
}

function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '';
  return String(value);
}
