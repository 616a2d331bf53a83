// Which environment variables hold secrets: never passed to a stage, scrubbed from
// evoloop's own environment, redacted from what a prompt shows. One rule for all of them.

/** OPENAI_API_KEY, OPENROUTER_KEY, *_TOKEN, *_SECRET, AWS_SECRET_ACCESS_KEY, DB_PASSWORD, … (but not TOKENIZERS_PARALLELISM). */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  const words = upper.split('_');
  return (
    /(API_?KEY|ACCESS_KEY|PRIVATE_KEY)$/.test(upper) ||
    words.some((w) => ['KEY', 'KEYS', 'TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'CREDENTIAL', 'CREDENTIALS'].includes(w))
  );
}

/**
 * Why a stage's `env` allow-list is not acceptable, or undefined when it is. Model API
 * keys and other secrets are never passed to a verifier, which runs candidate code.
 */
export function checkEnvAllowList(names: string[]): string | undefined {
  for (const name of names) {
    if (name === '*') return 'env: a bare "*" would pass the whole environment to candidate code; name the variables (a prefix such as MY_* is fine).';
    if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name)) {
      return `env: "${name}" is not a variable name (letters, digits, _; optionally ending in * to match a prefix, e.g. MY_*).`;
    }
    if (isSecretName(name.replace(/\*$/, ''))) {
      return `env: "${name}" looks like a secret (API key, token, password); secrets are never passed to verifier stages, which run candidate code. Remove it from the stage's env; if the verifier needs a credential, give it a narrowly scoped one under a neutral name.`;
    }
  }
  return undefined;
}
