// What a `model_run` stage sends: the candidate's prompt file with each item's text put in
// place of {{text}}. Only `text` is ever substituted: the items file also holds the labels
// the score stages check, and a prompt that names {{expected}} must not get them.
import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Item {
  id: string;
  text: string;
}

/** The prompt file is the candidate's; past this it is not sent (a prompt that big is a mistake or an attack on the budget). */
export const MAX_PROMPT_BYTES = 64 * 1024;

export const PLACEHOLDER = '{{text}}';

/** A regular file inside the problem folder: a link could carry a host file (a key, the holdout labels) to the model. */
export function readRegularFile(cwd: string, rel: string, what: string): string {
  const file = path.join(cwd, rel);
  let st;
  try {
    st = lstatSync(file);
  } catch {
    throw new Error(`${what} ${rel} does not exist in the candidate's worktree`);
  }
  if (st.isSymbolicLink()) throw new Error(`${what} ${rel} is a symbolic link; only a regular file is read (a link could send a host file to the model)`);
  if (!st.isFile()) throw new Error(`${what} ${rel} is not a regular file`);
  return readFileSync(file, 'utf8');
}

/** The candidate's prompt template; an error when it cannot be sent. */
export function readPrompt(cwd: string, rel: string): string {
  const prompt = readRegularFile(cwd, rel, 'the prompt file');
  if (Buffer.byteLength(prompt) > MAX_PROMPT_BYTES) throw new Error(`the prompt file ${rel} is over ${MAX_PROMPT_BYTES / 1024} KB`);
  if (!prompt.includes(PLACEHOLDER)) throw new Error(`the prompt file ${rel} has no ${PLACEHOLDER}, so no item's text would reach the model`);
  return prompt;
}

/** Items from a JSON Lines file: one {"id": "...", "text": "..."} object per line; other fields (labels) are ignored here. */
export function parseItems(source: string, rel: string): Item[] {
  const items: Item[] = [];
  const ids = new Set<string>();
  source.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${rel} line ${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Error(`${where} is not JSON. Fix: one object per line, e.g. {"id": "a1", "text": "..."}`);
    }
    const o = v as { id?: unknown; text?: unknown };
    if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || typeof o.text !== 'string') {
      throw new Error(`${where} needs a string "id" and a string "text", e.g. {"id": "a1", "text": "..."}`);
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(o.id) || o.id.startsWith('.'))
      throw new Error(`${where}: id ${JSON.stringify(o.id)} names a reply file; use letters, digits, _ . -`);
    if (ids.has(o.id)) throw new Error(`${where}: id ${JSON.stringify(o.id)} is used twice`);
    ids.add(o.id);
    items.push({ id: o.id, text: o.text });
  });
  if (items.length === 0) throw new Error(`${rel} has no items. Fix: one {"id": ..., "text": ...} object per line`);
  return items;
}

export function render(prompt: string, item: Item): string {
  return prompt.split(PLACEHOLDER).join(item.text);
}
