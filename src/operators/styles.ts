// Prompt styles: the instruction a model proposal is asked in. The proposer varies it (the style
// bandit learns which pay off in this run); the style is recorded on the candidate row.

export const PROMPT_STYLES = {
  focused: 'Propose one small, focused change that improves the objective.',
  bold: 'Propose one bold change that improves the objective: restructure the program or switch to a different algorithm.',
  unlikely:
    'Propose the change you consider least likely to help, yet still plausible: an idea nobody would try first. Improving the objective is still the aim.',
  weakness: 'Read the verifier feedback and the lessons, find the weakness they show, and propose the one change that fixes it to improve the objective.',
} as const;

export type PromptStyle = keyof typeof PROMPT_STYLES;

export const STYLE_NAMES = Object.keys(PROMPT_STYLES) as PromptStyle[];
