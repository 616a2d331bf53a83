import { describe, expect, it } from 'vitest';
import { mergeOnto } from './merge-onto.js';

const reader = (files: Record<string, string>) => async (p: string) => files[p];
const BASE = 'a = 1\nb = 2\nc = 3\nd = 4\n';

describe('mergeOnto', () => {
  it('lays the change onto a commit that changed other lines', async () => {
    const r = await mergeOnto({ 'p.py': 'a = 1\nb = 20\nc = 3\nd = 4\n' }, reader({ 'p.py': BASE }), reader({ 'p.py': 'a = 1\nb = 2\nc = 3\nd = 40\n' }));
    expect(r).toEqual({ files: { 'p.py': 'a = 1\nb = 20\nc = 3\nd = 40\n' } });
  });

  it('takes the change as is where the target has the base content or already the same change', async () => {
    const change = { 'p.py': 'a = 9\nb = 2\nc = 3\nd = 4\n', 'q.py': 'new\n' };
    expect(await mergeOnto(change, reader({ 'p.py': BASE }), reader({ 'p.py': BASE }))).toEqual({ files: change });
    expect(await mergeOnto(change, reader({ 'p.py': BASE }), reader({ 'p.py': change['p.py'], 'q.py': 'new\n' }))).toEqual({ files: change });
  });

  it('reports every conflict and returns no files', async () => {
    const r = await mergeOnto(
      { 'p.py': 'a = 1\nb = 20\nc = 3\nd = 4\n', 'gone.py': 'x = 2\n', 'both.py': 'mine\n', 'ok.py': 'fine\n' },
      reader({ 'p.py': BASE, 'gone.py': 'x = 1\n', 'ok.py': 'old\n' }),
      reader({ 'p.py': 'a = 1\nb = 21\nc = 3\nd = 4\n', 'both.py': 'theirs\n', 'ok.py': 'old\n' }),
    );
    expect(r).toEqual({
      conflicts: [
        { path: 'p.py', why: 'both changed line 2 of the base' },
        { path: 'gone.py', why: 'deleted in the target commit, changed by the candidate' },
        { path: 'both.py', why: 'added both by the candidate and in the target commit, differently' },
      ],
    });
  });
});
