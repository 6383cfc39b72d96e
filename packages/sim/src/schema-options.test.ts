import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addSchemaOptions, givenSchemaOptions, readSchemaOptions, SchemaOptionError } from './schema-options.js';

const Schema = z
  .object({
    nodes: z.number().int().min(1).max(100_000).default(16).describe('cluster size'),
    rate: z.number().positive().finite().optional().describe('arrivals per second'),
    latency: z.number().min(0).default(0.01).describe('transfer latency (s)'),
    mode: z.enum(['fast', 'slow']).default('fast').describe('how to run'),
    drain: z.boolean().default(false).describe('run to the end'),
    name: z.string().optional().describe('a label'),
    failures: z
      .object({ mtbf: z.number().positive().describe('mean time between failures'), mttr: z.number().positive().describe('mean time to repair') })
      .optional(),
    events: z.array(z.number()).default([]).describe('not a flag: arrays stay in config files'),
  })
  .strict();
const meta = { 'failures.mtbf': { flag: '--mtbf', valueName: 's' }, 'failures.mttr': { flag: '--mttr', valueName: 's' }, rate: { valueName: 'rate' } };

/** Parses `argv` with the generated flags; returns commander's opts. */
function parse(argv: string[]): Record<string, unknown> {
  const command = addSchemaOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => undefined }), Schema, meta);
  command.parse(argv, { from: 'user' });
  return command.opts();
}

describe('addSchemaOptions', () => {
  it('makes one flag per scalar field, with help, range, default and choices from the schema', () => {
    const help = addSchemaOptions(new Command('t'), Schema, meta).helpInformation();
    expect(help).toMatch(/--nodes <n>\s+cluster size \(an integer from 1 to 100000\) \(default: 16\)/);
    expect(help).toMatch(/--rate <rate>\s+arrivals per second \(a number > 0\)\n/);
    expect(help).toMatch(/--latency <x>\s+transfer latency \(s\) \(a number >= 0\) \(default: 0.01\)/);
    expect(help).toMatch(/--mode <name>\s+how to run \(default: fast\) \(choices: "fast", "slow"\)/);
    expect(help).toMatch(/--drain\s+run to the end\n/);
    expect(help).toMatch(/--mtbf <s>\s+mean time between failures/);
    expect(help).toMatch(/--mttr <s>/);
    expect(help).not.toMatch(/--events/);
    expect(help).not.toMatch(/\[16\]/);
  });
});

describe('readSchemaOptions', () => {
  it('applies the schema defaults to the flags not given and nests object fields', () => {
    expect(readSchemaOptions(Schema, parse(['--mtbf', '5', '--mttr', '1', '--drain']), meta)).toEqual({
      nodes: 16,
      latency: 0.01,
      mode: 'fast',
      drain: true,
      failures: { mtbf: 5, mttr: 1 },
      events: [],
    });
    expect(givenSchemaOptions(Schema, parse(['--nodes', '4', '--name', 'x']), meta)).toEqual({ nodes: 4, name: 'x' });
  });

  it('names the flag, what it allows and what it got', () => {
    const error = (() => {
      try {
        readSchemaOptions(Schema, parse(['--nodes', '0']), meta);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(SchemaOptionError);
    expect(error).toMatchObject({ flag: '--nodes', allowed: 'an integer from 1 to 100000', received: 0 });
    expect((error as Error).message).toBe('--nodes: expected an integer from 1 to 100000, got 0');
    expect(() => readSchemaOptions(Schema, parse(['--nodes', '2.5']), meta)).toThrow('--nodes: expected an integer from 1 to 100000, got 2.5');
    expect(() => readSchemaOptions(Schema, parse(['--rate', '0']), meta)).toThrow('--rate: expected a number > 0, got 0');
    expect(() => readSchemaOptions(Schema, parse(['--mtbf', '3']), meta)).toThrow('--mttr: expected a number > 0, got nothing');
  });

  it('rejects a non-number and a choice outside the enum while parsing the command line', () => {
    expect(() => parse(['--nodes', 'many'])).toThrow(/--nodes must be a number, got "many"/);
    expect(() => parse(['--mode', 'warp'])).toThrow(/Allowed choices are fast, slow/);
  });
});
