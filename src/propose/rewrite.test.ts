import { describe, expect, it } from 'vitest';
import { checkChanges } from './edit-rules.js';
import { parseRewrite } from './rewrite.js';

const plain = `def pack(n):
    circles = []
    for i in range(n):
        circles.append((i / n, 0.5, 0.01))
    return circles


def score(circles):
    return sum(r for _, _, r in circles)
`;

const marked = `import math

# EVOLVE-BLOCK-START
def pack(n):
    return [(i / n, 0.5, 0.01) for i in range(n)]
# EVOLVE-BLOCK-END


def score(circles):
    return sum(r for _, _, r in circles)
`;

const newPack =
  'def pack(n):\n    side = math.ceil(math.sqrt(n))\n    return [((i % side + 0.5) / side, (i // side + 0.5) / side, 0.5 / side) for i in range(n)]\n';

function content(r: ReturnType<typeof parseRewrite>): string {
  if ('error' in r) throw new Error(r.error);
  return r.content;
}

describe('parseRewrite: whole file', () => {
  it('takes the fenced file and keeps the trailing newline', () => {
    const body = plain.replace('0.01', '0.02');
    const reply = `Here is the improved version:\n\n\`\`\`python\n${body.trimEnd()}\n\`\`\`\n\nThis uses bigger circles.`;
    expect(content(parseRewrite(reply, 'src/solver.py', plain, false))).toBe(body);
  });

  it('prefers the block labelled with the path, else the largest', () => {
    const body = plain.replace('0.01', '0.03');
    const labelled = `\`\`\`bash\npython -m pytest && echo this is a long command line that is not the file at all, longer than the file itself, really quite long indeed to be sure it is the largest block here................................................................................................................................................................................................\n\`\`\`\n\`\`\`python src/solver.py\n${body}\`\`\``;
    expect(content(parseRewrite(labelled, 'src/solver.py', plain, false))).toBe(body);
    const largest = `Usage:\n\`\`\`\npack(5)\n\`\`\`\nFile:\n\`\`\`python\n${body}\`\`\``;
    expect(content(parseRewrite(largest, 'src/solver.py', plain, false))).toBe(body);
  });

  it('keeps CRLF line endings of the current file and handles ~~~ fences and longer fences', () => {
    const crlf = plain.replace(/\n/g, '\r\n');
    expect(content(parseRewrite(`~~~\n${plain}~~~`, 'a.py', crlf, false))).toBe(crlf);
    const md = '# Title\n\n```js\ncode()\n```\n';
    expect(content(parseRewrite(`\`\`\`\`markdown\n${md}\`\`\`\``, 'README.md', '# Old\n', false))).toBe(md);
  });

  it('rejects replies without a code block, empty blocks and cut-off replies', () => {
    expect(parseRewrite('I would use a hexagonal packing.', 'src/solver.py', plain, false)).toEqual({
      error: 'no fenced code block found in the reply; reply with the complete new src/solver.py inside one ``` code block',
    });
    expect(parseRewrite('```python\n\n```', 'src/solver.py', plain, false)).toHaveProperty('error');
    expect(parseRewrite(`\`\`\`python\n${plain.slice(0, 60)}`, 'src/solver.py', plain, false)).toEqual({
      error: 'the code block for src/solver.py is not closed by ```: the reply was cut off; reply with shorter but complete code',
    });
  });

  it('rejects placeholders that stand for left-out code', () => {
    const lazy = '```python\ndef pack(n):\n    return []\n\n# ... rest of the code unchanged\n```';
    expect(parseRewrite(lazy, 'src/solver.py', plain, false)).toEqual({
      error:
        'the rewrite of src/solver.py looks truncated: line 4 ("# ... rest of the code unchanged") stands for code that was left out; write out every line of the new code, nothing elided',
    });
    expect(parseRewrite('```js\nfunction f() {\n  // existing code\n}\n```', 'f.js', 'function f() {\n  return 1 + 2 + 3;\n}\n', false)).toHaveProperty(
      'error',
    );
    const short = '```python\ndef pack(n):\n    ...\n```';
    expect(parseRewrite(short, 'src/solver.py', plain, false)).toHaveProperty('error');
  });

  it("rejects '... rest unchanged' style elisions too", () => {
    for (const marker of ['// ... rest unchanged', '# remainder omitted', '/* rest as before */']) {
      const lazy = '```python\ndef pack(n):\n    return []\n\n' + marker + '\n```';
      expect(parseRewrite(lazy, 'src/solver.py', 'def pack(n):\n    pass\n' + 'x = 1\n'.repeat(40), false), marker).toEqual({
        error: expect.stringMatching(/looks truncated/),
      });
    }
  });

  it('accepts a short rewrite without placeholders and a placeholder-like line the file already had', () => {
    const tiny = 'def pack(n):\n    return []\n';
    expect(content(parseRewrite('```python\n' + tiny + '```', 'src/solver.py', plain, false))).toBe(tiny);
    const own = '# rest of the file is generated\nx = 1\n';
    expect(content(parseRewrite('```\n# rest of the file is generated\nx = 2\n```', 'g.py', own, false))).toBe('# rest of the file is generated\nx = 2\n');
  });

  it('rejects a SEARCH/REPLACE reply', () => {
    const r = parseRewrite('```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```', 'a.py', 'a\n', false);
    expect(r).toEqual({ error: 'the reply holds SEARCH/REPLACE blocks, but this operator needs the complete new a.py in one code block' });
  });
});

describe('parseRewrite: EVOLVE-BLOCK regions', () => {
  const rules = { edit: ['src/*.py'], protect: [], alwaysProtected: [] };
  const ok = (after: string) => checkChanges({ 'src/solver.py': after }, () => marked, rules);

  it('splices the block code between the markers, keeping the rest identical', () => {
    const out = content(parseRewrite(`\`\`\`python\n${newPack}\`\`\``, 'src/solver.py', marked, true));
    expect(out).toBe(marked.replace('def pack(n):\n    return [(i / n, 0.5, 0.01) for i in range(n)]\n', newPack));
    expect(ok(out)).toEqual({ ok: true });
  });

  it('accepts the block with its markers kept, or the whole file', () => {
    const withMarkers = `\`\`\`python\n# EVOLVE-BLOCK-START\n${newPack}# EVOLVE-BLOCK-END\n\`\`\``;
    const expected = content(parseRewrite(`\`\`\`python\n${newPack}\`\`\``, 'src/solver.py', marked, true));
    expect(content(parseRewrite(withMarkers, 'src/solver.py', marked, true))).toBe(expected);
    const whole = marked.replace('    return [(i / n, 0.5, 0.01) for i in range(n)]\n', newPack.split('\n').slice(1).join('\n'));
    // trailing spaces the model added to frozen lines are dropped: the frozen code stays byte-identical
    const sloppy = whole.replace('import math', 'import math  ').replace('def score(circles):', 'def score(circles):\t');
    expect(content(parseRewrite(`\`\`\`python\n${sloppy}\`\`\``, 'src/solver.py', marked, true))).toBe(expected);
  });

  it('hands a whole file that changed frozen code to the edit rules, which reject it', () => {
    const whole = marked.replace('import math', 'import numpy as np');
    const out = content(parseRewrite(`\`\`\`python\n${whole}\`\`\``, 'src/solver.py', marked, true));
    expect(ok(out)).toEqual({
      ok: false,
      reason:
        'src/solver.py: changes frozen code before the first EVOLVE-BLOCK-START (line 1: "import math" became "import numpy as np"); only the code between EVOLVE-BLOCK-START and EVOLVE-BLOCK-END may change',
    });
  });

  it('rejects a whole file with the markers dropped', () => {
    const dropped = marked.replace('# EVOLVE-BLOCK-START\n', '').replace('# EVOLVE-BLOCK-END\n', '');
    expect(parseRewrite(`\`\`\`python\n${dropped}\`\`\``, 'src/solver.py', marked, true)).toEqual({
      error:
        'the reply looks like the whole src/solver.py with the EVOLVE-BLOCK markers removed; reply with only the code between EVOLVE-BLOCK-START and EVOLVE-BLOCK-END, or the whole file with the marker lines kept',
    });
  });

  it('re-indents an indented region and fills several regions in order (// markers)', () => {
    const js =
      'class A {\n  // EVOLVE-BLOCK-START\n  f() { return 1; }\n  // EVOLVE-BLOCK-END\n}\nconst k = 2;\n// EVOLVE-BLOCK-START\nconst g = 3;\n// EVOLVE-BLOCK-END\n';
    const reply = 'First:\n```js\nf() { return 10; }\n```\nSecond:\n```js\nconst g = 30;\n```';
    expect(content(parseRewrite(reply, 'a.js', js, true))).toBe(js.replace('f() { return 1; }', 'f() { return 10; }').replace('g = 3', 'g = 30'));
    expect(parseRewrite('```js\nconst g = 30;\n```', 'a.js', js, true)).toEqual({
      error:
        'a.js has 2 EVOLVE-BLOCK regions but the reply has 1 code block(s); reply with one code block per region, in order, or one code block with the EVOLVE-BLOCK-START/END marker lines kept',
    });
  });

  it('rejects an empty or elided block and unbalanced markers in the reply', () => {
    expect(parseRewrite('```python\n# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n```', 'src/solver.py', marked, true)).toEqual({
      error: 'the rewrite of the EVOLVE-BLOCK of src/solver.py is empty; reply with the complete new code in one fenced code block',
    });
    expect(parseRewrite('```python\ndef pack(n):\n    # ... same as before\n```', 'src/solver.py', marked, true)).toHaveProperty('error');
    expect(parseRewrite('```python\n# EVOLVE-BLOCK-START\nx = 1\n```', 'src/solver.py', marked, true)).toEqual({
      error: "src/solver.py: the reply's EVOLVE-BLOCK-START on line 1 has no EVOLVE-BLOCK-END after it; keep each marker line exactly once",
    });
  });

  it('rewrites the whole file when evolveBlocks is off', () => {
    const whole = marked.replace('0.01', '0.02');
    expect(content(parseRewrite(`\`\`\`python\n${whole}\`\`\``, 'src/solver.py', marked, false))).toBe(whole);
  });
});
