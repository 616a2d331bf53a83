// The smallest valid config, and the message a rejected one gets: the config tests' shared set-up.
import { expect } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/load.js';

export const minimalConfig = {
  edit: ['program.py'],
  verifier: { stages: [{ name: 'score', kind: 'score', run: 'python score.py' }] },
  objective: { metric: 'score', goal: 'maximize' },
};

/** The message validateConfig throws for `input`; fails the test when it is accepted. */
export function configErrorOf(input: unknown): string {
  try {
    validateConfig(input, 'evoloop.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
}
