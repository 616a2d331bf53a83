// The one-line summary of a proposal ("Idea: ..."), which becomes the candidate's
// description and so its lesson line.
const IDEA = /^[\s>*_#-]*idea[*_]*\s*:\s*[*_]*\s*(.+?)\s*$/im;
const MAX = 200;

/** The reply's `Idea:` line, else its first line of prose, else undefined. */
export function ideaOf(reply: string): string | undefined {
  const m = IDEA.exec(reply);
  if (m && m[1].trim()) return clip(m[1].replace(/[*_]+$/, '').trim());
  for (const line of reply.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    if (/^(```|~~~|<{5,}|={5,}|>{5,})/.test(t) || /^[\w./-]+\.\w+:?$/.test(t)) return undefined;
    return clip(t);
  }
  return undefined;
}

function clip(s: string): string {
  return s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s;
}
