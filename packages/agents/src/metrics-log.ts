import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Appends one row per epoch to `metrics.csv` and `metrics.jsonl` in `directory` as training goes, so
 * a crash loses nothing already logged. The CSV header is the first row's keys.
 *
 * The training loop writes an epoch's row before its checkpoint, so a killed run's log can run past
 * its last checkpoint (and end in a torn line). `continueFrom(epoch)` puts the log back in step with
 * the checkpoint a run resumes from before anything is appended.
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

  /**
   * Makes the log end at `epoch`, the epoch a run continues from: rows after it are dropped; at 0
   * (a run starting over) both files are removed, so a new run never appends to a dead run's rows.
   */
  async continueFrom(epoch: number): Promise<void> {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epoch: expected an integer >= 0, received ${epoch}`);
    this.columns = null;
    if (epoch === 0) {
      await rm(this.csvPath, { force: true });
      await rm(this.jsonlPath, { force: true });
      return;
    }
    await this.truncateAfter(epoch);
  }

  /**
   * Drops rows after `epoch` (resuming from a checkpoint older than the log's tail), and any torn
   * line a kill mid-append left. Each file is rewritten beside and renamed over, so a kill here
   * leaves it either as it was or truncated.
   */
  async truncateAfter(epoch: number): Promise<void> {
    const csv = await readFile(this.csvPath, 'utf8').catch(() => null);
    if (csv !== null) {
      const lines = csv.split('\n').filter((l) => l !== '');
      const header = lines[0];
      if (header !== undefined) {
        const columns = header.split(',');
        const epochColumn = columns.indexOf('epoch');
        // A torn row has fewer fields, or is the last one and logged after the checkpoint.
        const kept = lines.slice(1).filter((l) => {
          const fields = l.split(',');
          return fields.length === columns.length && Number(fields[epochColumn]) <= epoch;
        });
        await replaceFile(this.csvPath, `${[header, ...kept].join('\n')}\n`);
      }
    }
    const jsonl = await readFile(this.jsonlPath, 'utf8').catch(() => null);
    if (jsonl !== null) {
      const kept = jsonl.split('\n').filter((l) => l !== '' && (epochOf(l) ?? Number.POSITIVE_INFINITY) <= epoch);
      await replaceFile(this.jsonlPath, kept.length === 0 ? '' : `${kept.join('\n')}\n`);
    }
    this.columns = null;
  }
}

/** The `epoch` of one JSONL row, or null for a torn line. */
function epochOf(line: string): number | null {
  try {
    const row = JSON.parse(line) as { epoch?: unknown };
    return typeof row.epoch === 'number' ? row.epoch : null;
  } catch {
    return null;
  }
}

async function replaceFile(path: string, text: string): Promise<void> {
  const staging = `${path}.tmp`;
  await writeFile(staging, text);
  await rename(staging, path);
}

function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '';
  return String(value);
}
