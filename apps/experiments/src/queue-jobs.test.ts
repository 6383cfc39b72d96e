import { describe, expect, it } from 'vitest';
import { type EvaluateJob, QUICK_BUDGET, type TrainJob } from './plan.js';
import { parseEvaluatePayload, parseJobResult, parseReleasePayload, parseTrainPayload, QueuePayloadError, queueJobId, releaseJobId } from './queue-jobs.js';
import { planJobs } from './targets.js';

const jobs = planJobs({ targets: ['table3'], seeds: [42], budget: QUICK_BUDGET, backend: 'wasm', workload: null });
const train = jobs.find((job): job is TrainJob => job.kind === 'train' && job.dir === 'runs/paper/scale-seed42') as TrainJob;
const learned = jobs.find((job): job is EvaluateJob => job.kind === 'evaluate' && job.after.includes(train.id)) as EvaluateJob;
const heuristic = jobs.find((job): job is EvaluateJob => job.kind === 'evaluate' && 'heuristic' in job.policy) as EvaluateJob;
const model = [
  { path: `${train.dir}/config.json`, data: Buffer.from('{}').toString('base64') },
  { path: `${train.dir}/model/weights.bin`, data: Buffer.from([1, 2, 3]).toString('base64') },
];

function rejection(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(QueuePayloadError);
    return (error as Error).message;
  }
  throw new Error('accepted a malformed payload');
}

describe('queue payloads', () => {
  it('accepts the plan\'s own jobs, as they are', () => {
    expect(parseTrainPayload({ job: train }).job).toBe(train);
    expect(parseEvaluatePayload({ job: learned, backend: 'wasm', run: model }).job).toBe(learned);
    expect(parseEvaluatePayload({ job: heuristic, backend: 'wasm', run: [] }).job).toBe(heuristic);
    expect(parseReleasePayload({ train, evaluations: [{ job: learned, backend: 'wasm' }] }).train).toBe(train);
  });

  it('refuses paths outside the job\'s own artifacts, naming the field', () => {
    expect(rejection(() => parseTrainPayload({ job: { ...train, dir: 'runs/../../etc' } }))).toMatch(/^malformed train job: data\.job\.dir: expected a relative path runs\/REGIME\/RUN without "\.\." segments$/);
    expect(rejection(() => parseTrainPayload({ job: { ...train, dir: '/tmp/x/y' } }))).toContain('data.job.dir');
    expect(rejection(() => parseEvaluatePayload({ job: { ...heuristic, file: 'evaluations/../x.json' }, backend: 'wasm', run: [] }))).toContain('data.job.file');
    expect(rejection(() => parseEvaluatePayload({ job: learned, backend: 'wasm', run: [{ path: `${train.dir}/../other/model.json`, data: '' }] }))).toContain('data.run.0.path');
    expect(rejection(() => parseEvaluatePayload({ job: learned, backend: 'wasm', run: [{ path: 'runs/paper/other-seed1/model.json', data: '' }] }))).toContain('data.run.0.path');
    expect(rejection(() => parseEvaluatePayload({ job: learned, backend: 'wasm', run: [] }))).toContain('data.run');
    expect(rejection(() => parseEvaluatePayload({ job: heuristic, backend: 'wasm', run: model }))).toContain('no files (a heuristic)');
    const workload = { ...heuristic, env: { ...heuristic.env, workload: 'wfformat:../../secrets' } };
    expect(rejection(() => parseEvaluatePayload({ job: workload, backend: 'wasm', run: [] }))).toContain('data.job.env.workload');
    expect(rejection(() => parseReleasePayload({ train, evaluations: [{ job: { ...learned, policy: { run: 'runs/paper/sac-seed42', method: 'sac', seed: 42 } }, backend: 'wasm' }] }))).toContain(
      'data.evaluations.0.job.policy.run',
    );
  });

  it('refuses other kinds, unknown fields and configs the CLI would refuse', () => {
    expect(rejection(() => parseTrainPayload({ job: { ...train, kind: 'shell' } }))).toContain('data.job.kind');
    expect(rejection(() => parseTrainPayload({ job: train, command: 'rm -rf /' }))).toContain('no unknown keys (got command)');
    expect(rejection(() => parseTrainPayload({ job: { ...train, config: { ...train.config, epochs: 0 } } }))).toBe('malformed train job: data.job.config.epochs: expected a number >= 1');
    expect(rejection(() => parseEvaluatePayload({ job: learned, backend: 'gpu', run: model }))).toContain('data.backend');
    expect(rejection(() => parseTrainPayload('{"job":1}'))).toContain('malformed train job: data');
  });

  it('takes back only results under the job\'s artifacts (a run\'s files outside its checkpoint, an evaluation\'s file)', () => {
    expect(parseJobResult({ files: model }, train).files).toHaveLength(2);
    expect(rejection(() => parseJobResult({ files: [{ path: `${train.dir}/checkpoint/weights.bin`, data: '' }] }, train))).toContain('outside checkpoint/');
    expect(rejection(() => parseJobResult({ files: [{ path: '../../home/x', data: '' }] }, train))).toContain('files.0.path');
    expect(rejection(() => parseJobResult({ files: [{ path: `${train.dir}/model.json`, data: 'not base64!' }] }, train))).toContain('files.0.data');
    expect(rejection(() => parseJobResult({ files: [{ path: 'evaluations/paper/eft-n16.json', data: '' }] }, learned))).toContain(`exactly ${learned.file}`);
  });

  it('gives a job the same queue id whenever it is planned (no ":" in it), and each job its own', () => {
    const again = planJobs({ targets: ['table3'], seeds: [42], budget: QUICK_BUDGET, backend: 'wasm', workload: null });
    expect(again.map(queueJobId)).toEqual(jobs.map(queueJobId));
    expect(new Set(jobs.map(queueJobId)).size).toBe(jobs.length);
    for (const id of [...jobs.map(queueJobId), releaseJobId(train)]) expect(id).toMatch(/^(train|evaluate|release)-[0-9a-f]{32}$/);
    expect(queueJobId({ ...train, config: { ...train.config, seed: 43 } })).not.toBe(queueJobId(train));
  });
});
