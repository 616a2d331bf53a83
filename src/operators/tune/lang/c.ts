// C, read with tree-sitter-c: each number literal with the part of the program it sits
// in. A `#define NAME 42` body is text to the grammar; a body that is one number is read
// as that setting, any other body is left alone.
import { lineIndex, type ParsedFile, type Role, type Site } from '../site.js';
import { ancestors, inField, literalSite, operatorOf, withTree, within, type Node } from './tree-sitter.js';

const EXIT = new Set(['exit', '_exit', '_Exit', 'quick_exit', 'abort']);
const OUTPUT = new Set(['printf', 'fprintf', 'sprintf', 'snprintf', 'puts', 'fputs', 'putchar', 'fputc', 'perror', 'fwrite', 'write']);
const POWER = new Set(['pow', 'powf', 'powl']);
const BITWISE = new Set(['&', '|', '^', '<<', '>>', '%', '~', '&=', '|=', '^=', '<<=', '>>=', '%=']);
const LENGTH = /\b(sizeof|strlen|len|length|size|count)\b/;
const DEFINE_BODY = /^(\s*\(?\s*)([-+]?\s*(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[uUlLfF]*)\s*\)?\s*$/;

export function parseC(file: string, content: string): Promise<ParsedFile> {
  return withTree('c', 'C', file, content, (root) => {
    const lineOf = lineIndex(content);
    const accumulators = updatedNames(root);
    // `size_t n = strlen(s);`: arithmetic on n is arithmetic on a length.
    const lengths = new Set<string>();
    for (const d of root.descendantsOfType('init_declarator')) {
      const value = d?.childForFieldName('value');
      const name = value && /^(sizeof|strlen)\b/.test(value.text) ? declaredName(d!.childForFieldName('declarator')) : undefined;
      if (name) lengths.add(name);
    }
    const sites = root.descendantsOfType('number_literal').flatMap((n) => (n ? [siteOf(n, lineOf, accumulators, lengths)] : []));
    const comments = root.descendantsOfType('comment').flatMap((c) => (c ? [{ line: c.startPosition.row + 1, text: c.text }] : []));
    for (const def of root.descendantsOfType('preproc_def')) {
      const value = def?.childForFieldName('value');
      if (!def || !value) continue;
      // The grammar keeps a `// comment` after a #define inside its body.
      const cut = value.text.search(/\/\/|\/\*/);
      if (cut !== -1) comments.push({ line: lineOf(value.startIndex + cut), text: value.text.slice(cut) });
      const m = DEFINE_BODY.exec(cut === -1 ? value.text : value.text.slice(0, cut));
      if (!m) continue;
      const start = value.startIndex + m[1].length;
      sites.push({
        start,
        end: start + m[2].length,
        text: m[2],
        line: lineOf(start),
        signable: true,
        setting: { name: def.childForFieldName('name')?.text ?? '', accumulator: false },
      });
    }
    return { language: 'C', parser: 'tree-sitter', sites: sites.sort((a, b) => a.start - b.start), comments };
  });
}

function siteOf(lit: Node, lineOf: (o: number) => number, accumulators: Set<string>, lengths: Set<string>): Site {
  const p = lit.parent!;
  // The grammar takes `-7` as one literal in some places and as a unary minus in others.
  const signed = lit.text.startsWith('-') || (p.type === 'unary_expression' && operatorOf(p) === '-');
  const node = signed && !lit.text.startsWith('-') ? p : lit;
  return literalSite(node, signed, 'binary_expression', lineOf, roleOf(node, lengths), settingName(node), accumulators);
}

function roleOf(lit: Node, lengths: Set<string>): Role | undefined {
  let child = lit;
  for (const p of ancestors(lit)) {
    switch (p.type) {
      case 'subscript_expression':
        if (inField(lit, p, 'index')) return 'index';
        break;
      case 'subscript_designator':
        return 'index';
      case 'array_declarator':
        if (inField(lit, p, 'size')) return 'size';
        break;
      case 'bitfield_clause':
        return 'size';
      case 'case_statement':
        if (inField(lit, p, 'value')) return 'case';
        break;
      case 'enumerator':
        return 'enum';
      case 'preproc_if':
      case 'preproc_elif':
        if (inField(lit, p, 'condition')) return 'preprocessor';
        break;
      case 'preproc_include':
        return 'import';
      case 'for_statement':
        if (inField(lit, p, 'update') && ['+=', '-='].includes(operatorOf(child) ?? '')) return 'index';
        break;
      case 'return_statement':
        if (enclosingFunction(p) === 'main') return 'exit';
        break;
      case 'call_expression': {
        const callee = p.childForFieldName('function')?.text ?? '';
        const args = p.childForFieldName('arguments')?.namedChildren ?? [];
        const at = args.findIndex((a) => a && within(lit, a));
        if (EXIT.has(callee)) return 'exit';
        if (OUTPUT.has(callee)) return 'output';
        if (POWER.has(callee) && at === 1) return 'exponent';
        if (callee === 'srand' || callee === 'srandom' || callee === 'srand48') return 'seed';
        break;
      }
      case 'binary_expression':
      case 'assignment_expression':
      case 'unary_expression': {
        const op = operatorOf(p) ?? '';
        if (BITWISE.has(op)) return 'bitwise';
        const left = p.childForFieldName('left');
        const other = within(lit, left) ? p.childForFieldName('right') : left;
        const holdsLength =
          !!other &&
          (LENGTH.test(other.text) || [other, ...other.descendantsOfType('identifier')].some((i) => i?.type === 'identifier' && lengths.has(i.text)));
        if (['+', '-', '<', '<=', '>', '>=', '==', '!='].includes(op) && child === lit && holdsLength) return 'length';
        break;
      }
    }
    child = p;
  }
  return undefined;
}

function enclosingFunction(node: Node): string | undefined {
  for (const p of ancestors(node)) {
    if (p.type !== 'function_definition') continue;
    let d = p.childForFieldName('declarator');
    while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
    return d?.text;
  }
  return undefined;
}

/** `double rate = 0.3;`, `static const int N[] = {1, 2};`, `x = 5;`, `.w = 2`. */
function settingName(lit: Node): string | undefined {
  let node = lit;
  while (node.parent && ['parenthesized_expression', 'initializer_list', 'cast_expression'].includes(node.parent.type)) node = node.parent;
  const p = node.parent;
  if (p?.type === 'init_declarator' && inField(node, p, 'value')) return declaredName(p.childForFieldName('declarator'));
  if (p?.type === 'initializer_pair' && inField(node, p, 'value')) return p.childForFieldName('designator')?.text.replace(/^\./, '');
  if (p?.type === 'assignment_expression' && operatorOf(p) === '=' && inField(node, p, 'right')) return declaredName(p.childForFieldName('left'));
  return undefined;
}

function declaredName(d: Node | null): string | undefined {
  let node = d;
  while (node && !['identifier', 'field_identifier'].includes(node.type))
    node = node.childForFieldName('declarator') ?? node.childForFieldName('field') ?? null;
  return node?.text;
}

/** Variables counted or summed in place: `i++`, `s += x`. */
function updatedNames(root: Node): Set<string> {
  const names = new Set<string>();
  for (const e of root.descendantsOfType(['update_expression', 'assignment_expression'])) {
    const op = e && operatorOf(e);
    if (!e || !op || op === '=') continue;
    const target = e.childForFieldName('argument') ?? e.childForFieldName('left');
    const name = declaredName(target);
    if (name) names.add(name);
  }
  return names;
}
