// Score: field accuracy over the labelled items (those with "expected"): vendor (same text, any
// case), date (exactly YYYY-MM-DD), total (a number, to the cent) and currency (the ISO 4217 code).
// Usage: node verifier/accuracy.mjs out/dev verifier/dev.jsonl   → {"accuracy": 0..1, "feedback": "..."}
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, itemsFile] = process.argv.slice(2);
const FIELDS = ['vendor', 'date', 'total', 'currency'];
const labelled = readFileSync(itemsFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))
  .filter((item) => item.expected);

const same = {
  vendor: (got, want) => typeof got === 'string' && got.trim().toLowerCase() === want.toLowerCase(),
  date: (got, want) => got === want,
  total: (got, want) => typeof got === 'number' && Math.abs(got - want) < 0.005,
  currency: (got, want) => got === want,
};
let right = 0;
const wrong = {};
for (const item of labelled) {
  const reply = JSON.parse(readFileSync(path.join(dir, `${item.id}.txt`), 'utf8'));
  for (const field of FIELDS) {
    if (same[field](reply[field], item.expected[field])) right++;
    else wrong[field] ??= `${item.id} ${field}: got ${JSON.stringify(reply[field])}, expected ${JSON.stringify(item.expected[field])}`;
  }
}
const accuracy = right / (labelled.length * FIELDS.length);
const feedback = `field accuracy ${(100 * accuracy).toFixed(1)}% over ${labelled.length} labelled items` + (Object.keys(wrong).length ? `; for example ${Object.values(wrong).join('; ')}` : '');
console.log(JSON.stringify({ accuracy, feedback }));
