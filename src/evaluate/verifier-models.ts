// The models a verifier calls itself: the judge of `kind: judge` stages and the task models of
// `model_run` stages. A run, `audit` and `reverify` measure through the same ones. Built before
// the environment is scrubbed, so their clients hold the keys and no stage ever does.
import { modelKeyNames, type Config } from '../config/schema.js';
import { isSecretName } from '../core/secret-names.js';
import { scrubSecretsFromEnvironment } from '../core/scrub-environment.js';
import type { PauseOptions } from '../llm/gateway.js';
import type { BackoffOptions } from '../llm/index.js';
import type { Store } from '../store/store.js';
import { judgeFor, type Judge } from './judge/judge.js';
import { modelRunFor, type ModelRun } from './model-run/model-run.js';

export interface VerifierModels {
  judge?: Judge;
  modelRun?: ModelRun;
}

/**
 * The verifier's models; with `scrub`, every secret-looking variable and every configured
 * model key then leaves this process's environment (every other client must already exist).
 */
export function verifierModels(
  config: Config,
  o: {
    store: Store;
    runId: string;
    env?: NodeJS.ProcessEnv;
    backoff?: BackoffOptions;
    pause?: PauseOptions;
    notice: (message: string) => void;
    scrub: boolean;
  },
): VerifierModels {
  const models = { judge: judgeFor(config, o), modelRun: modelRunFor(config, o) };
  if (o.scrub) {
    const keys = modelKeyNames(config);
    scrubSecretsFromEnvironment((name) => isSecretName(name) || keys.includes(name));
  }
  return models;
}
