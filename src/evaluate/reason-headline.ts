// A failure reason in one line, for the places that show one line per candidate (the run's
// progress, `ls`). Reasons that carry a stderr tail (see run-stage.ts) end with
// "Last lines of stderr:\n…"; cutting there hides the one line that says what went wrong.
const STDERR_MARK = ' Last lines of stderr:\n';

/** Lines of a stderr tail that never say what went wrong: tracebacks' frames, code echoes, carets, locations. */
const NOISE = [
  /^\s*$/,
  /^Traceback \(most recent call last\):/,
  /^\s+at\s/, // a JavaScript stack frame
  /^\s+File "/, // a Python frame
  /^\s*\^+\s*$/, // the caret under an echoed line
  /^\s*~*\^[~^]*\s*$/,
  /^(file:\/\/|\/|[A-Za-z]:\\)\S*:\d+(:\d+)?$/, // node's "file:line" before the echoed code
  /^node:internal/,
  /^Node\.js v\d/,
  /^\s*throw\s/,
];
const ERROR = /\b(error|exception|panic|fatal|failed|failure|assert\w*|abort\w*|denied|not found|cannot|can't|no such)\b/i;

/** "<what failed>: <the first line of stderr that says why>", or the reason's first line. */
export function reasonHeadline(reason: string): string {
  const at = reason.indexOf(STDERR_MARK);
  if (at === -1) return reason.split('\n')[0];
  const head = reason.slice(0, at).replace(/\.$/, '');
  const meaningful = reason
    .slice(at + STDERR_MARK.length)
    .split('\n')
    .filter((l) => !NOISE.some((re) => re.test(l)));
  // Indented lines are echoed source or frame detail; an unindented line naming an error wins.
  const line = meaningful.find((l) => ERROR.test(l) && !/^\s/.test(l)) ?? meaningful.find((l) => !/^\s/.test(l)) ?? meaningful[0];
  return line === undefined ? head : `${head}: ${line.trim()}`;
}
