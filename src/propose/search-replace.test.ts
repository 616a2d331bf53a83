import { describe, expect, it } from 'vitest';
import { applyEdits, parseSearchReplace, type EditBlock } from './search-replace.js';

const solver = `import math


def pack(n):
    circles = []
    for i in range(n):
        x = (i % 5) / 5 + 0.1
        y = (i // 5) / 5 + 0.1
        circles.append((x, y, 0.05))
    return circles


def score(circles):
    return sum(r for _, _, r in circles)
`;

const files: Record<string, string> = {
  'src/solver.py': solver,
  'src/util.js': 'export function add(a, b) {\n  return a + b;\n}\n\nexport function sub(a, b) {\n  return a - b;\n}\n',
};
const read = (p: string) => files[p];

function blocks(reply: string): EditBlock[] {
  const r = parseSearchReplace(reply);
  if ('error' in r) throw new Error(r.error);
  return r.blocks;
}

/** Parse and apply; the changed files or the error text. */
function run(reply: string, defaultPath?: string): Record<string, string> | string {
  const parsed = parseSearchReplace(reply);
  if ('error' in parsed) return parsed.error;
  const applied = applyEdits(read, parsed.blocks, defaultPath);
  return 'error' in applied ? applied.error : applied.changes;
}

describe('parseSearchReplace', () => {
  it('parses a plain block with its path', () => {
    const reply = 'src/solver.py\n<<<<<<< SEARCH\n        y = (i // 5) / 5 + 0.1\n=======\n        y = (i // 5) / 5 + 0.12\n>>>>>>> REPLACE\n';
    expect(blocks(reply)).toEqual([{ path: 'src/solver.py', search: '        y = (i // 5) / 5 + 0.1\n', replace: '        y = (i // 5) / 5 + 0.12\n' }]);
  });

  it.each([
    ['src/solver.py'],
    ['`src/solver.py`'],
    ['**src/solver.py**'],
    ['**`src/solver.py`**'],
    ['# src/solver.py'],
    ['### File: src/solver.py'],
    ['File: src/solver.py'],
    ['**File:** src/solver.py'],
    ['Path: `src/solver.py`'],
    ['src/solver.py:'],
    ['./src/solver.py'],
    ['Change the spacing in `src/solver.py`:'],
  ])('reads the path line %j', (pathLine) => {
    const reply = `Here is my change.\n\n${pathLine}\n\`\`\`python\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n\`\`\`\n`;
    expect(blocks(reply)[0].path).toBe('src/solver.py');
  });

  it('reads the path from the fence info string', () => {
    expect(blocks('```python src/solver.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```')[0].path).toBe('src/solver.py');
    expect(blocks('```src/solver.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```')[0].path).toBe('src/solver.py');
    expect(blocks('```py:src/solver.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```')[0].path).toBe('src/solver.py');
    expect(blocks('Makefile\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE')[0].path).toBe('Makefile');
  });

  it('does not mistake prose or a language tag for a path', () => {
    expect(blocks('I will change this:\n```python\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```')[0].path).toBeUndefined();
    expect(blocks('Changes\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE')[0].path).toBeUndefined();
  });

  it('tolerates CRLF, 5–9 marker characters, lowercase and a missing final newline', () => {
    const reply = 'a.js\r\n<<<<< SEARCH\r\nold\r\n=========\r\nnew\r\n>>>>>>>>> replace';
    expect(blocks(reply)).toEqual([{ path: 'a.js', search: 'old\n', replace: 'new\n' }]);
  });

  it('keeps later blocks in the file named before them', () => {
    const reply = [
      'src/a.js',
      '<<<<<<< SEARCH',
      '1',
      '=======',
      '2',
      '>>>>>>> REPLACE',
      '',
      '<<<<<<< SEARCH',
      '3',
      '=======',
      '4',
      '>>>>>>> REPLACE',
      '',
      'src/b.js',
      '<<<<<<< SEARCH',
      '',
      '=======',
      'new file',
      '>>>>>>> REPLACE',
    ].join('\n');
    expect(blocks(reply).map((b) => [b.path, b.search, b.replace])).toEqual([
      ['src/a.js', '1\n', '2\n'],
      ['src/a.js', '3\n', '4\n'],
      ['src/b.js', '', 'new file\n'],
    ]);
  });

  it('keeps a ======= line inside the replacement', () => {
    expect(blocks('a.md\n<<<<<<< SEARCH\nTitle\n=======\nTitle\n=======\n>>>>>>> REPLACE')[0].replace).toBe('Title\n=======\n');
  });

  it('reports no blocks, stray markers and cut-off replies', () => {
    expect(parseSearchReplace('I think the code is already optimal.')).toEqual({
      error: 'no SEARCH/REPLACE blocks found; write each edit as the file path, <<<<<<< SEARCH, the old lines, =======, the new lines, >>>>>>> REPLACE',
    });
    expect(parseSearchReplace('')).toHaveProperty('error');
    expect(parseSearchReplace('x\n=======\ny\n>>>>>>> REPLACE')).toEqual({
      error:
        "no SEARCH/REPLACE blocks found (line 4 has '>>>>>>> REPLACE' but no '<<<<<<< SEARCH' line comes before it); write each edit as the file path, <<<<<<< SEARCH, the old lines, =======, the new lines, >>>>>>> REPLACE",
    });
    expect(parseSearchReplace('a.js\n<<<<<<< SEARCH\nold\n=======\nnew lines that go on and')).toEqual({
      error: "block 1 (line 2) is not closed by '>>>>>>> REPLACE' (the reply may have been cut off); end each block with >>>>>>> REPLACE",
    });
    expect(parseSearchReplace('a.js\n<<<<<<< SEARCH\nold\n>>>>>>> REPLACE')).toEqual({
      error:
        "block 1 (line 2) has no '=======' line after its SEARCH section; each block is <<<<<<< SEARCH, the old lines, =======, the new lines, >>>>>>> REPLACE",
    });
  });
});

describe('applyEdits', () => {
  it('applies an exact edit and returns only the changed file', () => {
    const reply = 'src/solver.py\n<<<<<<< SEARCH\n        circles.append((x, y, 0.05))\n=======\n        circles.append((x, y, 0.09))\n>>>>>>> REPLACE\n';
    expect(run(reply)).toEqual({ 'src/solver.py': solver.replace('0.05', '0.09') });
  });

  it('applies a fenced, multi-file reply in order, later blocks seeing earlier edits', () => {
    const reply = [
      'I will widen the circles and add a helper.',
      '',
      '```python',
      'src/solver.py',
      '<<<<<<< SEARCH',
      '        circles.append((x, y, 0.05))',
      '=======',
      '        circles.append((x, y, 0.06))',
      '>>>>>>> REPLACE',
      '```',
      '',
      '```python',
      'src/solver.py',
      '<<<<<<< SEARCH',
      '        circles.append((x, y, 0.06))',
      '=======',
      '        circles.append((x, y, radius(i)))',
      '>>>>>>> REPLACE',
      '```',
      '',
      '```js',
      'src/util.js',
      '<<<<<<< SEARCH',
      '  return a - b;',
      '=======',
      '  return b - a;',
      '>>>>>>> REPLACE',
      '```',
    ].join('\n');
    expect(run(reply)).toEqual({
      'src/solver.py': solver.replace('0.05', 'radius(i)'),
      'src/util.js': files['src/util.js'].replace('a - b', 'b - a'),
    });
  });

  it('re-indents when the SEARCH text lost its indentation', () => {
    const reply = [
      'src/solver.py',
      '<<<<<<< SEARCH',
      'for i in range(n):',
      '    x = (i % 5) / 5 + 0.1',
      '=======',
      'for i in range(n):',
      '    # jitter x',
      '    x = (i % 5) / 5 + 0.1 + 0.01 * (i % 2)',
      '>>>>>>> REPLACE',
    ].join('\n');
    const out = run(reply) as Record<string, string>;
    expect(out['src/solver.py']).toContain('    for i in range(n):\n        # jitter x\n        x = (i % 5) / 5 + 0.1 + 0.01 * (i % 2)\n        y =');
  });

  it('re-indents when the SEARCH text has too much indentation, and tolerates trailing spaces', () => {
    const reply = 'src/util.js\n<<<<<<< SEARCH\n      return a + b;   \n=======\n      return (a + b) | 0;\n>>>>>>> REPLACE';
    expect(run(reply)).toEqual({ 'src/util.js': files['src/util.js'].replace('return a + b;', 'return (a + b) | 0;') });
    const trailing = 'src/util.js\n<<<<<<< SEARCH\n  return a + b;  \n=======\n  return a+b;\n>>>>>>> REPLACE';
    expect(run(trailing)).toEqual({ 'src/util.js': files['src/util.js'].replace('return a + b;', 'return a+b;') });
  });

  it('refuses a SEARCH whose lines are re-indented unevenly, which could change Python nesting', () => {
    const py = { 'f.py': 'def f(x):\n    if x > 0:\n        return 1\n    return 0\n' };
    // First line at the file's indentation, the others at 2-space steps: no single shift fits.
    const block = { path: 'f.py', search: '    if x > 0:\n      return 1\n  return 0\n', replace: '    if x > 1:\n      return 2\n  return 0\n' };
    const r = applyEdits((p) => py[p as 'f.py'], [block], undefined);
    expect(r).toEqual({ error: expect.stringMatching(/re-indented by different amounts.*exact indentation/s) });
  });

  it('ignores blank lines around the SEARCH text when they prevent a match', () => {
    const reply = 'src/util.js\n<<<<<<< SEARCH\n\n  return a - b;\n\n=======\n\n  return a - b - 0;\n\n>>>>>>> REPLACE';
    expect(run(reply)).toEqual({ 'src/util.js': files['src/util.js'].replace('return a - b;', 'return a - b - 0;') });
  });

  it('refuses an ambiguous match, naming the file and the first search line', () => {
    const amb = 'src/util.js\n<<<<<<< SEARCH\n}\n=======\n};\n>>>>>>> REPLACE';
    expect(run(amb)).toBe(
      'the SEARCH/REPLACE block for src/util.js is ambiguous: its SEARCH text (first line: "}") matches 2 places (lines 3, 7); include more surrounding lines in SEARCH so that it matches exactly one place',
    );
  });

  it('refuses a fuzzy match that occurs twice', () => {
    const twice = { 'a.py': 'def f():\n    pass\n\nclass A:\n        pass\n' };
    const r = applyEdits((p) => twice[p as 'a.py'], [{ path: 'a.py', search: 'pass\n', replace: 'return 1\n' }], undefined);
    expect(r).toEqual({
      error:
        'the SEARCH/REPLACE block for a.py is ambiguous: its SEARCH text (first line: "pass") matches 2 places (lines 2, 5); include more surrounding lines in SEARCH so that it matches exactly one place',
    });
  });

  it('explains a mismatch with the closest lines of the file', () => {
    const reply = 'src/solver.py\n<<<<<<< SEARCH\n        circles.append((x, y, 0.5))\n        count += 1\n=======\n        pass\n>>>>>>> REPLACE';
    expect(run(reply)).toBe(
      [
        'the SEARCH/REPLACE block for src/solver.py does not match: no lines in the file equal its SEARCH text (even ignoring indentation):',
        '            circles.append((x, y, 0.5))',
        '            count += 1',
        'the closest lines in src/solver.py (from line 9) are:',
        '            circles.append((x, y, 0.05))',
        '        return circles',
        'Copy the SEARCH lines exactly from the current file.',
      ].join('\n'),
    );
  });

  it('numbers the failing block among several and applies nothing', () => {
    const reply =
      'src/util.js\n<<<<<<< SEARCH\n  return a + b;\n=======\n  return 0;\n>>>>>>> REPLACE\n<<<<<<< SEARCH\n  return a * b;\n=======\n  return 1;\n>>>>>>> REPLACE';
    expect(run(reply)).toMatch(/^block 2 of 2 for src\/util\.js does not match/);
  });

  it('uses the default path for blocks that name none, and the target when the folder was dropped', () => {
    const reply = '<<<<<<< SEARCH\n  return a - b;\n=======\n  return a - b - 1;\n>>>>>>> REPLACE';
    expect(run(reply, 'src/util.js')).toEqual({ 'src/util.js': files['src/util.js'].replace('a - b;', 'a - b - 1;') });
    expect(run(reply)).toBe('the SEARCH/REPLACE block names no file; put the file path on its own line just before <<<<<<< SEARCH');
    expect(run('util.js\n' + reply, 'src/util.js')).toEqual({ 'src/util.js': files['src/util.js'].replace('a - b;', 'a - b - 1;') });
  });

  it('creates a new file from an empty SEARCH, and refuses an empty SEARCH on an existing file', () => {
    expect(run('src/helpers.py\n<<<<<<< SEARCH\n=======\ndef radius(i):\n    return 0.05\n>>>>>>> REPLACE')).toEqual({
      'src/helpers.py': 'def radius(i):\n    return 0.05\n',
    });
    expect(run('src/solver.py\n<<<<<<< SEARCH\n=======\nx = 1\n>>>>>>> REPLACE')).toBe(
      'the SEARCH/REPLACE block has an empty SEARCH section but src/solver.py already exists and is not empty; an empty SEARCH only creates a new file, so copy the lines to change into SEARCH',
    );
  });

  it('refuses a missing file and escaping paths', () => {
    expect(run('src/nope.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE')).toBe(
      'the SEARCH/REPLACE block: file src/nope.py does not exist; to create a new file use an empty SEARCH section, to edit a file use its exact path',
    );
    expect(run('../../etc/passwd\n<<<<<<< SEARCH\n=======\nroot::0:0\n>>>>>>> REPLACE')).toBe(
      "the SEARCH/REPLACE block: path '../../etc/passwd' escapes the problem folder; only files inside it may be changed",
    );
    expect(run('/etc/passwd\n<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE')).toContain("path '/etc/passwd' is absolute");
  });

  it('keeps CRLF line endings and a missing final newline', () => {
    const crlf = { 'w.txt': 'one\r\ntwo\r\nthree' };
    const r = applyEdits((p) => crlf[p as 'w.txt'], [{ path: 'w.txt', search: 'two\nthree\n', replace: 'TWO\n2\nTHREE\n' }], undefined);
    expect(r).toEqual({ changes: { 'w.txt': 'one\r\nTWO\r\n2\r\nTHREE' } });
    const del = applyEdits((p) => crlf[p as 'w.txt'], [{ path: 'w.txt', search: 'three\n', replace: '' }], undefined);
    expect(del).toEqual({ changes: { 'w.txt': 'one\r\ntwo' } });
  });

  it('deletes lines with an empty REPLACE, and reports a no-op edit as no change', () => {
    const reply = 'src/util.js\n<<<<<<< SEARCH\n\nexport function sub(a, b) {\n  return a - b;\n}\n=======\n>>>>>>> REPLACE';
    expect(run(reply)).toEqual({ 'src/util.js': 'export function add(a, b) {\n  return a + b;\n}\n' });
    expect(run('src/util.js\n<<<<<<< SEARCH\n  return a - b;\n=======\n  return a - b;\n>>>>>>> REPLACE')).toEqual({});
  });

  it('rejects garbage', () => {
    expect(run('<<<<<<< SEARCH\n\u0000\u0001garbage')).toContain("has no '=======' line");
    expect(run('{"edits": [{"file": "a.py"}]}')).toMatch(/^no SEARCH\/REPLACE blocks found/);
    expect(applyEdits(read, [], 'a.py')).toEqual({ error: 'no SEARCH/REPLACE blocks found' });
  });
});
