// Gate: every reply in the folder is exactly one JSON object with vendor, date and total, so the
// score stages and the judge (whose calls cost money) only see replies that could win.
// Usage: node verifier/check-shape.mjs out/dev
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const bad = [];
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
for (const f of files) {
  const text = readFileSync(path.join(dir, f), 'utf8').trim();
  let reply;
  try {
    reply = JSON.parse(text);
  } catch {
    bad.push(`${f}: not a JSON object (${JSON.stringify(text.slice(0, 60))})`);
    continue;
  }
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) bad.push(`${f}: not a JSON object`);
  else {
    const missing = ['vendor', 'date', 'total'].filter((k) => !(k in reply));
    if (missing.length) bad.push(`${f}: no ${missing.join(', ')}`);
  }
}
if (files.length === 0) bad.push(`no replies in ${dir}`);
if (bad.length) {
  console.error(`${bad.length} of ${files.length} replies have the wrong shape (the reply must be one JSON object, nothing else):\n${bad.slice(0, 8).join('\n')}`);
  process.exit(1);
}
console.log(`${files.length} replies are JSON objects with vendor, date and total`);
