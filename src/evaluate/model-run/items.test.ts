import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PROMPT_BYTES, parseItems, readPrompt, render } from './items.js';

const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-items-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model_run items', () => {
  it('reads one {id, text} per line and ignores the labels beside them', () => {
    const items = parseItems('{"id": "a1", "text": "hello", "expected": {"x": 1}}\n\n{"id": "b-2", "text": "bye"}\n', 'dev.jsonl');
    expect(items).toEqual([
      { id: 'a1', text: 'hello' },
      { id: 'b-2', text: 'bye' },
    ]);
  });

  it.each([
    ['{"id": "a", "text": "x"}\nnot json', 'dev.jsonl line 2 is not JSON'],
    ['{"id": 3, "text": "x"}', 'needs a string "id" and a string "text"'],
    ['{"id": "../x", "text": "x"}', 'names a reply file; use letters, digits'],
    ['{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}', 'id "a" is used twice'],
    ['\n', 'has no items'],
  ])('refuses %j', (source, message) => {
    expect(() => parseItems(source, 'dev.jsonl')).toThrow(message);
  });

  it('puts only the text in place of {{text}}: a prompt naming other fields gets them verbatim, never the labels', () => {
    expect(render('Read: {{text}}\nAgain: {{text}}\nLabel: {{expected}}', { id: 'a', text: 'T' })).toBe('Read: T\nAgain: T\nLabel: {{expected}}');
  });
});

describe('the prompt file', () => {
  it('must hold {{text}}, be a regular file and not be huge', () => {
    writeFileSync(path.join(dir, 'ok.md'), 'Extract: {{text}}');
    expect(readPrompt(dir, 'ok.md')).toBe('Extract: {{text}}');
    writeFileSync(path.join(dir, 'none.md'), 'Extract the fields.');
    expect(() => readPrompt(dir, 'none.md')).toThrow("has no {{text}}, so no item's text would reach the model");
    writeFileSync(path.join(dir, 'secret'), 'a host file {{text}}');
    symlinkSync(path.join(dir, 'secret'), path.join(dir, 'link.md'));
    expect(() => readPrompt(dir, 'link.md')).toThrow('is a symbolic link');
    writeFileSync(path.join(dir, 'big.md'), `{{text}}${'x'.repeat(MAX_PROMPT_BYTES)}`);
    expect(() => readPrompt(dir, 'big.md')).toThrow('is over 64 KB');
    expect(() => readPrompt(dir, 'missing.md')).toThrow('does not exist');
    mkdirSync(path.join(dir, 'folder.md'));
    expect(() => readPrompt(dir, 'folder.md')).toThrow('is not a regular file');
  });
});
