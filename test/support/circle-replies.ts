// Scripted model replies for examples/circle-packing (pack.mjs), with the outcome each
// one must have under `accept: {rule: better}` (the verifier is deterministic).
export const CIRCLE_CONFIG = (extra: Record<string, unknown> = {}) => ({
  edit: ['pack.mjs'],
  protect: ['verifier/**'],
  verifier: {
    stages: [
      { name: 'validate', kind: 'gate', run: 'node verifier/validate.mjs', timeout: '30s' },
      { name: 'score', kind: 'score', run: 'node verifier/score.mjs', timeout: '30s' },
    ],
  },
  objective: { metric: 'sum_radii', goal: 'maximize' },
  accept: { rule: 'better', baseline_repeats: 1 },
  sandbox: 'off',
  operators: { 'llm-diff': 1 },
  model: { provider: 'openai', name: 'scripted', max_retries: 1, price: { input_per_mtok: 1, output_per_mtok: 2 } },
  ...extra,
});

const block = (path: string, search: string, replace: string) => `${path}\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n`;

/** sum_radii 2.0934 → 2.1723 */
export const GOOD_LOWER_ROW = `Idea: lower the bottom row to y=0.1 so its circles can grow
${block('pack.mjs', 'const ROW_Y = [\n  0.15, // evoloop: 0..1', 'const ROW_Y = [\n  0.1, // evoloop: 0..1')}`;

/** after GOOD_LOWER_ROW: 2.1723 → 2.1110 (worse) */
export const WORSE_SQUEEZE = `Idea: squeeze the second row down to 0.27
${block('pack.mjs', '  0.325, // evoloop: 0..1', '  0.27, // evoloop: 0..1')}`;

/** after GOOD_LOWER_ROW: 2.1723 → 2.1972 */
export const GOOD_SECOND_ROW = `Idea: move the second row to 0.31
\`\`\`
${block('pack.mjs', '  0.325, // evoloop: 0..1', '  0.31, // evoloop: 0..1')}\`\`\`
`;

export const MALFORMED = 'Idea: move the circles around\nI would shift every row a little to the left, which should help.';

export const PROTECTED = `Idea: count near-contacts generously
${block('verifier/score.mjs', 'const CONTACT = 1e-6; // a gap this small counts as touching', 'const CONTACT = 1; // a gap this small counts as touching')}`;

export const FROZEN = `Idea: use five rows of five
${block('pack.mjs', 'const ROW_COUNTS = [5, 5, 6, 5, 5]; // 26 circles; the verifier requires exactly 26', 'const ROW_COUNTS = [5, 5, 5, 5, 5]; // 26 circles; the verifier requires exactly 26')}`;

export const NO_MATCH = `Idea: nudge the middle row
${block('pack.mjs', '  0.333, // evoloop: 0..1', '  0.5, // evoloop: 0..1')}`;
