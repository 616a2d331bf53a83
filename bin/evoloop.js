#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci` via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('evoloop: dist/ is missing. Run `npm run build` (or `npm ci`) in the evoloop package first.\n');
  process.exit(1);
}
await import(entry.href);
