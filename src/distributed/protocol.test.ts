import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import { requiredLabels } from '../evaluate/backends/redis.js';
import { checkRedisUrl, maskRedisUrl, redisUrlFrom } from './connection.js';
import { jobId, queueName, servedLabelSets } from './protocol.js';

describe('label routing', () => {
  it('a job goes to the queue of exactly its labels, whatever their order', () => {
    expect(queueName([])).toBe('evaluate');
    expect(queueName(['gpu', 'fpga'])).toBe(queueName(['fpga', 'gpu', 'gpu']));
    expect(queueName(['gpu'])).not.toBe(queueName(['gpu', 'fpga']));
  });

  it('a worker serves every subset of its labels, and only those', () => {
    const served = servedLabelSets(['gpu', 'fpga']).map(queueName).sort();
    expect(served).toEqual([queueName([]), queueName(['fpga']), queueName(['gpu']), queueName(['fpga', 'gpu'])].sort());
    expect(servedLabelSets([]).map(queueName)).toEqual(['evaluate']);
    expect(served).not.toContain(queueName(['tpu']));
  });

  it('a plan needs the labels of every stage it runs (holdout stages only for holdout plans)', () => {
    const config = validateConfig({
      edit: ['f.js'],
      verifier: {
        stages: [
          { name: 'gate', kind: 'gate', run: 'true' },
          { name: 'speed', kind: 'score', run: 'x', requires: ['gpu'], exclusive: true },
          { name: 'hold', kind: 'holdout', run: 'y', requires: ['big'] },
        ],
      },
      objective: { metric: 'y', goal: 'maximize' },
    });
    expect(requiredLabels(config.verifier.stages, 'search')).toEqual(['gpu']);
    expect(requiredLabels(config.verifier.stages, 'holdout')).toEqual(['big']);
  });
});

describe('stage keys requires and exclusive', () => {
  const stage = (extra: Record<string, unknown>) => ({
    edit: ['f.js'],
    verifier: { stages: [{ name: 's', kind: 'score', run: 'x', ...extra }] },
    objective: { metric: 'y', goal: 'maximize' },
  });
  it('are validated, with the fix in the message', () => {
    expect(() => validateConfig(stage({ requires: ['a,b'] }), 'evoloop.yaml')).toThrow(/requires.*letters, digits/s);
    expect(() => validateConfig(stage({ requires: [] }), 'evoloop.yaml')).toThrow(/requires/);
    expect(() => validateConfig(stage({ exclusive: 'yes' }), 'evoloop.yaml')).toThrow(/exclusive/);
    expect(validateConfig(stage({ requires: ['gpu'], exclusive: true })).verifier.stages[0]).toMatchObject({ requires: ['gpu'], exclusive: true });
  });
  it('leave a config without them as it was (same verifier digest as before the keys existed)', () => {
    expect(JSON.stringify(validateConfig(stage({})).verifier)).not.toMatch(/requires|exclusive/);
  });
});

describe('job ids', () => {
  it('the same measurement request has the same id (a restarted coordinator re-attaches), another plan another', () => {
    const job = { runId: 'r', candidateId: 7, epoch: 0, kinds: 'search' as const, repeats: 3 };
    expect(jobId(job)).toBe(jobId({ ...job }));
    expect(jobId({ ...job, repeats: 4 })).not.toBe(jobId(job));
    expect(jobId(job)).not.toMatch(/:/); // BullMQ ids may not hold a colon
  });
});

describe('Redis URLs', () => {
  it('the password never shows', () => {
    expect(maskRedisUrl('redis://:hunter2@host:6379/0')).toBe('redis://:***@host:6379/0');
    expect(maskRedisUrl('rediss://user:hunter2@host:6380')).toBe('rediss://user:***@host:6380');
    expect(maskRedisUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(maskRedisUrl('::not a url hunter2')).not.toContain('hunter2');
  });
  it('a bad --redis names the problem and the fix, without the password', () => {
    expect(() => checkRedisUrl('localhost:6379')).toThrow(/not a Redis URL; use redis:\/\/host:6379/);
    expect(() => checkRedisUrl('http://:hunter2@host')).toThrow(/http:\/\/:\*\*\*@host/);
    expect(() => checkRedisUrl('nonsense hunter2')).toThrow(/expected a URL such as redis:\/\/host:6379/);
    try {
      checkRedisUrl('http://:hunter2@host');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(checkRedisUrl('rediss://:pw@host:6380')).toBe('rediss://:pw@host:6380');
  });
  it('EVOLOOP_REDIS_URL stands in for --redis (kept out of the process list), is checked as such, and leaves the environment', () => {
    const env: NodeJS.ProcessEnv = { EVOLOOP_REDIS_URL: 'redis://:hunter2@host:6379' };
    expect(redisUrlFrom(undefined, env)).toBe('redis://:hunter2@host:6379');
    expect(env).toEqual({}); // no stage started later inherits it
    expect(redisUrlFrom('redis://flag:1', { EVOLOOP_REDIS_URL: 'redis://env:2' })).toBe('redis://flag:1');
    expect(redisUrlFrom(undefined, {})).toBeUndefined();
    expect(() => redisUrlFrom(undefined, { EVOLOOP_REDIS_URL: 'http://:hunter2@host' })).toThrow(
      /^EVOLOOP_REDIS_URL: http:\/\/:\*\*\*@host\/ is not a Redis URL/,
    );
  });
});
