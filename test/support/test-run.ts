// The run row store tests create: one running run on a fake problem.
export const TEST_RUN = {
  id: 'r1',
  problemDir: '/p',
  repoRoot: '/p',
  baseCommit: 'a'.repeat(40),
  configJson: '{}',
  configHash: 'h',
  status: 'running' as const,
  ownerPid: 1,
};
