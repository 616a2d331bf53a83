// A unified diff, line-coloured, with light syntax highlighting of the code in it
// (comments, strings, numbers, keywords — enough for JS/TS, Python, C-like and Rust).
import { html } from './live.js';

const KEYWORDS = new Set(
  (
    'async await break case catch class const continue def default do elif else enum export extends false fn for from func function if impl import in ' +
    'interface let match mut new nil None null return self static struct switch this throw true True False try type typeof var void while with yield pub use'
  ).split(' '),
);

const TOKEN =
  /(\/\/.*$|#.*$|\/\*.*?\*\/)|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|`(?:[^`\\]|\\.)*`?)|(\b\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_$][\w$]*)/g;

export function highlight(code: string) {
  const out: unknown[] = [];
  let at = 0;
  for (const m of code.matchAll(TOKEN)) {
    if (m.index! > at) out.push(code.slice(at, m.index));
    const [text, comment, str, num, word] = m;
    const cls = comment ? 'tk-c' : str ? 'tk-s' : num ? 'tk-n' : word && KEYWORDS.has(word) ? 'tk-k' : '';
    out.push(cls ? html`<span class=${cls}>${text}</span>` : text);
    at = m.index! + text.length;
  }
  if (at < code.length) out.push(code.slice(at));
  return out;
}

export function DiffView({ patch, testid }: { patch: string; testid?: string }) {
  if (!patch.trim()) return html`<p class="muted" data-testid=${testid}>no change</p>`;
  const lines = patch.replace(/\n$/, '').split('\n');
  return html`<pre class="diff" data-testid=${testid}>
${lines.map((line) => {
      if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('Index:') || line.startsWith('===='))
        return html`<div class="d-file">${line}</div>`;
      if (line.startsWith('@@')) return html`<div class="d-hunk">${line}</div>`;
      const cls = line[0] === '+' ? 'd-add' : line[0] === '-' ? 'd-del' : line[0] === '\\' ? 'd-meta' : 'd-ctx';
      return html`<div class=${cls}><span class="d-sign">${line[0] ?? ' '}</span>${highlight(line.slice(1))}</div>`;
    })}</pre>`;
}
