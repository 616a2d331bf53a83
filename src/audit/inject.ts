// Puts an attack into the user's own program: one line in the program's language, placed
// where a proposal may edit (just inside the first EVOLVE-BLOCK, indented like the code
// there; else at the top, after a shebang, encoding line or `from __future__` imports).
// JavaScript and TypeScript run the kit in their own process; Python and shell run it as
// a node child and stop when it says so; output rewriting hooks stdout (or, for shell,
// re-runs the script through a pipe).
import { childSource, inProcessSource, pipeSource, pythonReplay, pythonTransform, type KitParams, type Transform } from './kit.js';

export type Language = 'javascript' | 'python' | 'shell';
export const LANGUAGES: Language[] = ['javascript', 'python', 'shell'];

export function languageOf(file: string, content: string): Language | undefined {
  if (/\.(m|c)?[jt]sx?$/.test(file)) return 'javascript';
  if (/\.pyw?$/.test(file)) return 'python';
  if (/\.(sh|bash)$/.test(file)) return 'shell';
  const shebang = content.startsWith('#!') ? content.slice(0, content.indexOf('\n')) : '';
  if (/\bpython/.test(shebang)) return 'python';
  if (/\bnode\b/.test(shebang)) return 'javascript';
  if (/\b(ba|da|z)?sh\b/.test(shebang)) return 'shell';
  return undefined;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The line that runs the attack, in the program's language (without indentation). */
export function attackLine(language: Language, kit: KitParams, transform: Transform | undefined, content: string): string {
  const node = process.execPath;
  if (language === 'javascript') return `new Function(atob(${JSON.stringify(b64(inProcessSource(kit, transform)))}))();`;
  if (language === 'python') {
    // Python replays in Python: a hit must cost no more than a real attacker's (no node start-up).
    const replay = kit.steps.find((s) => s.do === 'replay');
    const rest = { ...kit, steps: kit.steps.filter((s) => s.do !== 'replay') };
    const child = `eval(Buffer.from("${b64(childSource(rest))}","base64").toString())`;
    const py = `${replay ? pythonReplay(kit, replay.records) : ''}import os, subprocess, sys
sys.stdout.flush(); sys.stderr.flush()
try:
    _r = subprocess.run([${JSON.stringify(node)}, '-e', ${JSON.stringify(child)}], close_fds=False).returncode
except OSError:
    _r = 0
if _r >= 40:
    sys.stdout.flush(); os._exit(_r - 40)
${transform ? pythonTransform(kit.marker, transform) : ''}`;
    return `exec(__import__('base64').b64decode('${b64(py)}').decode(), {'__name__': '__evoloop_audit__'})`;
  }
  const child = `eval(Buffer.from("${b64(childSource(kit))}","base64").toString())`;
  const run = `__ea=0; '${node}' -e '${child}' || __ea=$?; if [ "$__ea" -ge 40 ]; then exit $((__ea - 40)); fi`;
  if (!transform) return run;
  const shell = /^#!.*\bbash\b/.test(content) ? 'bash' : 'sh';
  const pipe = `eval(Buffer.from("${b64(pipeSource(kit.marker, transform))}","base64").toString())`;
  return `${run}; if [ -z "\${__EA_T:-}" ] && [ -f "$0" ]; then __EA_T=1; export __EA_T; { ${shell} "$0" "$@"; } | '${node}' -e '${pipe}'; exit $?; fi`;
}

/** The program with `line` inserted where an edit is allowed. */
export function insertLine(content: string, language: Language, line: string): string {
  const lines = content.split('\n');
  const start = lines.findIndex((l) => l.includes('EVOLVE-BLOCK-START'));
  let at: number;
  if (start >= 0) {
    at = start + 1;
  } else {
    at = 0;
    if (lines[0]?.startsWith('#!')) at = 1;
    if (language === 'python') {
      if (/coding[:=]/.test(lines[at] ?? '')) at++;
      const future = lines.map((l, i) => (/^from __future__ import/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (future.length > 0) at = future[future.length - 1] + 1;
    }
  }
  const next = lines.slice(at).find((l) => l.trim() !== '' && !l.includes('EVOLVE-BLOCK-END')) ?? '';
  const indent = start >= 0 ? (/^\s*/.exec(next)?.[0] ?? '') : '';
  return [...lines.slice(0, at), indent + line, ...lines.slice(at)].join('\n');
}
