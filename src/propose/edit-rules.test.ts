import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkChanges, checkInsideWorktree, evolveRegions, isEditable, normalizeRelPath, type EditRules } from './edit-rules.js';

const rules: EditRules = { edit: ['src/**/*.py', '*.js'], protect: ['verifier', 'data/', 'tests/**'], alwaysProtected: ['evoloop.yaml'] };

describe('normalizeRelPath', () => {
  it.each([
    ['src/a.py', 'src/a.py'],
    ['./src/a.py', 'src/a.py'],
    ['src\\sub\\a.py', 'src/sub/a.py'],
    ['src//a.py', 'src/a.py'],
    ['src/./x/../a.py', 'src/a.py'],
    [' src/a.py ', 'src/a.py'],
  ])('%s → %s', (input, want) => {
    expect(normalizeRelPath(input)).toEqual({ path: want });
  });

  it.each([
    ['../x', 'escapes the problem folder'],
    ['a/../../x', 'escapes the problem folder'],
    ['..\\..\\x', 'escapes the problem folder'],
    ['/etc/passwd', 'is absolute'],
    ['\\\\server\\share\\x', 'is absolute'],
    ['C:\\Windows\\x', 'drive letter'],
    ['c:x', 'drive letter'],
    ['a\0b', 'NUL byte'],
    ['', 'empty file path'],
    ['a/..', 'names the problem folder itself'],
  ])('rejects %j', (input, why) => {
    const r = normalizeRelPath(input);
    expect('error' in r && r.error).toContain(why);
  });
});

describe('globs (gitignore-like)', () => {
  it('bare names match at any depth, slashed patterns from the root', () => {
    expect(isEditable('app.js', rules)).toBe(true);
    expect(isEditable('lib/deep/app.js', rules)).toBe(true);
    expect(isEditable('src/a.py', rules)).toBe(true);
    expect(isEditable('src/x/y/a.py', rules)).toBe(true);
    expect(isEditable('other/a.py', rules)).toBe(false);
    expect(isEditable('.hidden/x.js', rules)).toBe(true);
  });

  it('protect wins over edit; a protected folder covers its files; trailing / means folders only', () => {
    expect(isEditable('verifier/check.js', rules)).toBe(false);
    expect(isEditable('src/verifier/a.py', rules)).toBe(false);
    expect(isEditable('data/x.js', rules)).toBe(false);
    expect(isEditable('tests/t.js', rules)).toBe(false);
    expect(isEditable('evoloop.yaml', { ...rules, edit: ['*'] })).toBe(false);
    expect(isEditable('data', { ...rules, edit: ['*'] })).toBe(true);
    expect(isEditable('mydata/x.js', rules)).toBe(true);
  });

  it('protect ignores case, git internals and the store are never editable', () => {
    expect(isEditable('Verifier/check.js', rules)).toBe(false);
    expect(isEditable('EVOLOOP.YAML', { ...rules, edit: ['*'] })).toBe(false);
    expect(isEditable('.git/hooks/pre-commit', { ...rules, edit: ['**'] })).toBe(false);
    expect(isEditable('.evoloop/evoloop.db', { ...rules, edit: ['**'] })).toBe(false);
    expect(isEditable('.gitignore', { ...rules, edit: ['**'] })).toBe(true);
  });
});

describe('checkChanges', () => {
  const none = () => undefined;
  const reason = (r: ReturnType<typeof checkChanges>) => (r.ok ? '' : r.reason);

  it('accepts editable files, including new ones', () => {
    expect(checkChanges({ 'src/a.py': 'x = 1\n', 'b.js': '' }, none, rules)).toEqual({ ok: true });
  });

  it('names the path and rule for a protected file', () => {
    expect(reason(checkChanges({ 'tests/test_a.js': '' }, none, rules))).toBe(
      "tests/test_a.js is protected (matches 'tests/**') and must not be changed; change only files matching edit: src/**/*.py, *.js",
    );
    expect(reason(checkChanges({ 'evoloop.yaml': 'x' }, none, rules))).toContain("evoloop.yaml is protected (matches 'evoloop.yaml')");
  });

  it('names the path and the edit globs for a non-editable file', () => {
    expect(reason(checkChanges({ 'README.md': 'hi' }, none, rules))).toBe(
      'README.md is not editable (matches no edit glob: src/**/*.py, *.js); change only files matching them',
    );
    expect(reason(checkChanges({ 'a.js': '' }, none, { edit: [], protect: [], alwaysProtected: [] }))).toContain('none configured');
  });

  it('rejects escaping and non-normal paths', () => {
    expect(reason(checkChanges({ '../evil.js': '' }, none, rules))).toContain("path '../evil.js' escapes the problem folder");
    expect(reason(checkChanges({ '/etc/passwd': '' }, none, rules))).toContain('is absolute');
    expect(reason(checkChanges({ './a.js': '' }, none, rules))).toBe("path './a.js' is not in normal form; write it as 'a.js'");
  });

  const hashFile = ['import math', '# EVOLVE-BLOCK-START', 'def f(x):', '    return x', '# EVOLVE-BLOCK-END', 'print(f(2))', ''].join('\n');
  const read = (p: string) => (p === 'src/f.py' ? hashFile : undefined);

  it('allows changes between # markers', () => {
    const after = hashFile.replace('    return x', '    return x * x\n    # faster');
    expect(checkChanges({ 'src/f.py': after }, read, rules)).toEqual({ ok: true });
  });

  it('rejects changes outside # markers, naming where', () => {
    expect(reason(checkChanges({ 'src/f.py': hashFile.replace('import math', 'import numpy') }, read, rules))).toBe(
      'src/f.py: changes frozen code before the first EVOLVE-BLOCK-START (line 1: "import math" became "import numpy"); only the code between EVOLVE-BLOCK-START and EVOLVE-BLOCK-END may change',
    );
    const grown = hashFile.replace('    return x', '    y = x\n    return y');
    expect(reason(checkChanges({ 'src/f.py': grown.replace('print(f(2))', 'print(f(3))') }, read, rules))).toContain(
      'after the last EVOLVE-BLOCK-END (line 7: "print(f(2))" became "print(f(3))")',
    );
  });

  it('rejects removed, added or broken markers', () => {
    const removed = hashFile.replace('# EVOLVE-BLOCK-START\n', '').replace('# EVOLVE-BLOCK-END\n', '');
    expect(reason(checkChanges({ 'src/f.py': removed }, read, rules))).toBe(
      'src/f.py: has 1 EVOLVE-BLOCK region(s) but the change leaves 0; keep every EVOLVE-BLOCK-START/END marker line and change only the code between them',
    );
    const broken = hashFile.replace('# EVOLVE-BLOCK-END\n', '');
    expect(reason(checkChanges({ 'src/f.py': broken }, read, rules))).toBe(
      'src/f.py: EVOLVE-BLOCK-START on line 2 has no EVOLVE-BLOCK-END after it; keep the EVOLVE-BLOCK-START/END marker lines exactly as they are and change only the code between them',
    );
    const added = 'x = 1\n# EVOLVE-BLOCK-START\ny = 2\n# EVOLVE-BLOCK-END\n';
    expect(reason(checkChanges({ 'src/g.py': added }, () => 'x = 1\n', rules))).toBe(
      'src/g.py: adds EVOLVE-BLOCK markers, which only the user may place; remove them',
    );
  });

  it('handles // markers with several regions', () => {
    const js =
      'const a = 1;\n// EVOLVE-BLOCK-START\nlet b = 2;\n// EVOLVE-BLOCK-END\nconst mid = 0;\n/* EVOLVE-BLOCK-START */\nlet c = 3;\n/* EVOLVE-BLOCK-END */\n';
    const r = (p: string) => (p === 'm.js' ? js : undefined);
    expect(checkChanges({ 'm.js': js.replace('let b = 2;', 'let b = 20;').replace('let c = 3;', '') }, r, rules)).toEqual({ ok: true });
    expect(reason(checkChanges({ 'm.js': js.replace('const mid = 0;', 'const mid = 1;') }, r, rules))).toContain('between EVOLVE-BLOCK regions 1 and 2');
  });
});

describe('evolveRegions', () => {
  it('returns the ranges strictly between the marker lines, in any comment syntax', () => {
    const text = 'a\n-- EVOLVE-BLOCK-START\nb\nc\n-- EVOLVE-BLOCK-END\nd\n<!-- EVOLVE-BLOCK-START -->\ne\n<!-- EVOLVE-BLOCK-END -->';
    const regions = evolveRegions(text);
    expect(regions.map((r) => text.slice(r.start, r.end))).toEqual(['b\nc\n', 'e\n']);
  });

  it('ignores the marker inside code, and an empty region is a range of length 0', () => {
    const text = 'print("EVOLVE-BLOCK-START")\n    # EVOLVE-BLOCK-START: tune this\n    # EVOLVE-BLOCK-END\n';
    const regions = evolveRegions(text);
    expect(regions).toHaveLength(1);
    expect(regions[0].start).toBe(regions[0].end);
    expect(evolveRegions('no markers\n')).toEqual([]);
  });

  it('throws on unbalanced or nested markers', () => {
    expect(() => evolveRegions('# EVOLVE-BLOCK-END\n')).toThrow('EVOLVE-BLOCK-END on line 1 has no EVOLVE-BLOCK-START before it');
    expect(() => evolveRegions('# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n')).toThrow('blocks cannot nest');
    expect(() => evolveRegions('x\n// EVOLVE-BLOCK-START\n')).toThrow('EVOLVE-BLOCK-START on line 2 has no EVOLVE-BLOCK-END after it');
  });
});

describe('checkInsideWorktree', () => {
  let base: string;
  let root: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'evoloop-rules-'));
    root = path.join(base, 'wt');
    await mkdir(path.join(root, 'src', 'real'), { recursive: true });
    await mkdir(path.join(base, 'outside'));
    await writeFile(path.join(root, 'src', 'a.py'), 'x = 1\n');
    await writeFile(path.join(root, 'verifier.py'), 'check\n');
    await symlink(path.join(base, 'outside'), path.join(root, 'src', 'out'));
    await symlink('../verifier.py', path.join(root, 'src', 'v.py'));
    await symlink('real', path.join(root, 'src', 'alias'));
    await symlink(path.join(base, 'missing'), path.join(root, 'dangling'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('accepts plain existing and new paths', async () => {
    expect(await checkInsideWorktree(root, 'src/a.py')).toBeUndefined();
    expect(await checkInsideWorktree(root, 'src/new/deep/file.py')).toBeUndefined();
  });

  it('rejects a symlinked folder leading outside the root', async () => {
    expect(await checkInsideWorktree(root, 'src/out/x.py')).toMatch(
      /^src\/out is a symlink to .*outside, outside the problem folder; src\/out\/x\.py must not be written through it$/,
    );
  });

  it('rejects symlinks inside the root, naming the real path to edit', async () => {
    expect(await checkInsideWorktree(root, 'src/v.py')).toBe('src/v.py is a symlink inside the problem folder; edit verifier.py instead of src/v.py');
    expect(await checkInsideWorktree(root, 'src/alias/k.py')).toBe(
      'src/alias is a symlink inside the problem folder; edit src/real/k.py instead of src/alias/k.py',
    );
    expect(await checkInsideWorktree(root, 'dangling')).toContain('dangling is a dangling symlink');
  });

  it('rejects traversal before touching the file system', async () => {
    expect(await checkInsideWorktree(root, '../outside/x')).toContain('escapes the problem folder');
    expect(await checkInsideWorktree(root, '/etc/passwd')).toContain('is absolute');
    expect(await checkInsideWorktree(path.join(base, 'nope'), 'a.py')).toContain('cannot be resolved');
  });
});
