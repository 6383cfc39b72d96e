import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** What a command's action sets for `main` to return (the action's own outcome: 0, 1 or 130). */
export interface ExitStatus {
  code: number;
}

/** A commander argument parser for an integer flag. */
export function integer(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`${flag} must be an integer, got "${value}"`);
    return parsed;
  };
}

/** A commander argument parser for a comma-separated list of integers. */
export function integerList(flag: string): (value: string) => number[] {
  return (value) => value.split(',').map((part) => integer(flag)(part.trim()));
}

/** Versions of the packages a run used (recorded in config.json and reproduce.json). */
export function versions(): Record<string, string> {
  // The built CLI's chunks sit in dist/, this file in src/internal/ when run from source.
  for (const path of ['../package.json', '../../package.json']) {
    try {
      return { '@scale/experiments': (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version };
    } catch {
      // Not here: try the next place.
    }
  }
  return {};
}
