// Which parser reads a file: by extension, else by its #! line. A file in any other
// language is scanned as text, as tune always did, and the user is told so. Parsers load
// on first use: the TypeScript compiler alone would slow every evoloop command's start.
import path from 'node:path';
import { scanText } from './lang/text-scan.js';
import type { Syntax } from './number-text.js';
import type { ParsedFile } from './site.js';

interface Reader {
  syntax: Syntax;
  parse(file: string, content: string): ParsedFile | Promise<ParsedFile>;
}

const JS: Reader = { syntax: 'js', parse: async (f, c) => (await import('./lang/typescript.js')).parseTypeScript(f, c) };
const PYTHON: Reader = { syntax: 'python', parse: async (f, c) => (await import('./lang/python.js')).parsePython(f, c) };
const BASH: Reader = { syntax: 'bash', parse: async (f, c) => (await import('./lang/bash.js')).parseBash(f, c) };
const C: Reader = { syntax: 'c', parse: async (f, c) => (await import('./lang/c.js')).parseC(f, c) };
const TEXT: Reader = { syntax: 'plain', parse: (_file, content) => scanText(content) };

const BY_EXTENSION: Record<string, Reader> = {
  '.js': JS,
  '.mjs': JS,
  '.cjs': JS,
  '.jsx': JS,
  '.ts': JS,
  '.mts': JS,
  '.cts': JS,
  '.tsx': JS,
  '.py': PYTHON,
  '.pyw': PYTHON,
  '.sh': BASH,
  '.bash': BASH,
  '.c': C,
  '.h': C,
};

/** The languages with a parser, for messages. */
export const PARSED_LANGUAGES = 'JavaScript/TypeScript, Python, shell (sh/bash) and C';

export function readerFor(file: string, content: string): Reader {
  const byExtension = BY_EXTENSION[path.extname(file).toLowerCase()];
  if (byExtension) return byExtension;
  const shebang = /^#!.*\b(python[\d.]*|bash|sh|node)\b/.exec(content.slice(0, 200))?.[1];
  if (shebang?.startsWith('python')) return PYTHON;
  if (shebang === 'bash' || shebang === 'sh') return BASH;
  if (shebang === 'node') return JS;
  return TEXT;
}
