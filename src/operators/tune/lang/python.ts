// Python, read with tree-sitter-python: each int and float literal with the part of the
// program it sits in.
import { lineIndex, type ParsedFile, type Role, type Site } from '../site.js';
import { ancestors, inField, literalSite, operatorOf, withTree, within, type Node } from './tree-sitter.js';

const EXIT = new Set(['exit', 'quit', 'sys.exit', 'os._exit']);
const OUTPUT = new Set([
  'print',
  'pprint',
  'write',
  'format',
  'debug',
  'info',
  'warning',
  'error',
  'critical',
  'exception',
  'ljust',
  'rjust',
  'center',
  'zfill',
  'set_printoptions',
]);
const POWER = new Set(['pow', 'power', 'float_power']);
const DATE = new Set(['datetime', 'date']);
const SEED = new Set(['seed', 'Random', 'default_rng', 'RandomState', 'manual_seed', 'PRNGKey', 'set_seed']);
const BITWISE = new Set(['&', '|', '^', '<<', '>>', '%', '&=', '|=', '^=', '<<=', '>>=', '%=']);
const WRAPPERS = new Set(['parenthesized_expression', 'list', 'tuple', 'expression_list', 'unary_operator']);

export function parsePython(file: string, content: string): Promise<ParsedFile> {
  return withTree('python', 'Python', file, content, (root) => {
    const lineOf = lineIndex(content);
    const names: Names = { accumulators: new Set(), lengths: new Set() };
    for (const a of root.descendantsOfType(['augmented_assignment', 'assignment'])) {
      const name = a && targetName(a.childForFieldName('left'));
      const right = a?.childForFieldName('right');
      if (!name || !right) continue;
      if (a.type === 'augmented_assignment' || right.descendantsOfType('identifier').some((i) => i?.text === name)) names.accumulators.add(name);
      else if (isLength(right)) names.lengths.add(name);
    }
    const sites = root.descendantsOfType(['integer', 'float']).flatMap((n) => (n ? [siteOf(n, lineOf, names)] : []));
    const comments = root.descendantsOfType('comment').flatMap((c) => (c ? [{ line: c.startPosition.row + 1, text: c.text }] : []));
    return { language: 'Python', parser: 'tree-sitter', sites, comments };
  });
}

/** Names updated in place (counters, sums), and names that hold a length (`n = len(xs)`), in document order. */
interface Names {
  accumulators: Set<string>;
  lengths: Set<string>;
}

function siteOf(lit: Node, lineOf: (o: number) => number, names: Names): Site {
  const p = lit.parent!;
  const signed = p.type === 'unary_operator' && operatorOf(p) === '-';
  const node = signed ? p : lit;
  return literalSite(node, signed, 'binary_operator', lineOf, roleOf(node, names.lengths), settingName(node), names.accumulators);
}

function roleOf(lit: Node, lengths: Set<string>): Role | undefined {
  let direct = true;
  for (const p of ancestors(lit)) {
    switch (p.type) {
      case 'function_definition':
      case 'lambda':
      case 'class_definition':
        return undefined;
      case 'subscript':
        if (inField(lit, p, 'subscript')) return 'index';
        break;
      case 'slice':
        return 'index';
      case 'import_statement':
      case 'import_from_statement':
      case 'future_import_statement':
        return 'import';
      case 'case_pattern':
        return 'case';
      case 'type':
        return 'type';
      case 'interpolation':
        return 'output';
      case 'call': {
        const role = inField(lit, p, 'arguments') ? callRole(p, lit) : undefined;
        if (role) return role;
        break;
      }
      case 'comparison_operator':
        // len(xs) < 3: a size check, not a tuning.
        if (direct && p.namedChildren.some((c) => c && !within(lit, c) && mentionsLength(c, lengths))) return 'length';
        break;
      case 'binary_operator':
      case 'augmented_assignment': {
        const op = operatorOf(p) ?? '';
        const left = p.childForFieldName('left');
        const other = within(lit, left) ? p.childForFieldName('right') : left;
        if (op === '%' && left?.type === 'string') return 'output';
        if (BITWISE.has(op)) return 'bitwise';
        if ((op === '**' || op === '**=') && !within(lit, left)) return 'exponent';
        if (['+', '-', '//'].includes(op) && direct && other && mentionsLength(other, lengths)) return 'length';
        break;
      }
    }
    direct = false;
  }
  return undefined;
}

function callRole(call: Node, lit: Node): Role | undefined {
  const callee = call.childForFieldName('function')?.text ?? '';
  const last = callee.slice(callee.lastIndexOf('.') + 1);
  const args = call.childForFieldName('arguments')!.namedChildren.filter((a): a is Node => !!a);
  const at = args.findIndex((a) => within(lit, a));
  const keyword = args[at]?.type === 'keyword_argument';
  const positional = args.filter((a) => a.type !== 'keyword_argument').length;
  if (EXIT.has(callee)) return 'exit';
  if (OUTPUT.has(last) || (last === 'round' && at === 1) || (callee === 'int' && at === 1)) return 'output';
  if (DATE.has(last)) return 'date';
  if (SEED.has(last)) return 'seed';
  if (POWER.has(last) && at === 1) return 'exponent';
  // range(start, stop, step): the start and the stride index; the stop is a count.
  if (callee === 'range' && !keyword && positional >= 2 && (at === 0 || at === 2)) return 'index';
  if ((callee === 'enumerate' || last === 'islice') && at >= 1) return 'index';
  if (['pop', 'insert', 'group', 'span'].includes(last) && at === 0) return 'index';
  if (['split', 'rsplit', 'replace'].includes(last) && at === args.length - 1 && at >= 1) return 'index';
  return undefined;
}

/** `len(xs)`, `xs.shape[0]`, `xs.size`: the whole expression is a length. */
function isLength(node: Node): boolean {
  if (node.type === 'call') return node.childForFieldName('function')?.text === 'len';
  if (node.type === 'subscript') return isLength(node.childForFieldName('value')!);
  return node.type === 'attribute' && ['shape', 'size'].includes(node.childForFieldName('attribute')?.text ?? '');
}

/** Whether an expression holds a length: len(…), .shape, .size, or a name assigned one. */
function mentionsLength(node: Node, lengths: Set<string>): boolean {
  if ([node, ...node.descendantsOfType('identifier')].some((i) => i?.type === 'identifier' && lengths.has(i.text))) return true;
  const calls = [node, ...node.descendantsOfType('call')].filter((c) => c?.type === 'call');
  if (calls.some((c) => c!.childForFieldName('function')?.text === 'len')) return true;
  return [node, ...node.descendantsOfType('attribute')].some(
    (a) => a?.type === 'attribute' && ['shape', 'size'].includes(a.childForFieldName('attribute')?.text ?? ''),
  );
}

/** The name a literal sets: `rate = 0.3`, `self.rate = 0.3`, `def f(n=10)`, `f(k=5)`, `{"w": 2}`, `bounds = (-5, 5)`. */
function settingName(lit: Node): string | undefined {
  let node = lit;
  while (node.parent && WRAPPERS.has(node.parent.type)) node = node.parent;
  const p = node.parent;
  if (!p) return undefined;
  if (p.type === 'assignment' && inField(node, p, 'right')) {
    const left = p.childForFieldName('left');
    // a, b = 1, 2: the element in the same place.
    if (left?.type === 'pattern_list' && node.type === 'expression_list') {
      const k = node.namedChildren.findIndex((e) => e && within(lit, e));
      return targetName(left.namedChildren[k] ?? null);
    }
    return targetName(left);
  }
  if (['default_parameter', 'typed_default_parameter', 'keyword_argument'].includes(p.type) && inField(node, p, 'value'))
    return p.childForFieldName('name')?.text;
  if (p.type === 'pair' && inField(node, p, 'value')) {
    const key = p.childForFieldName('key');
    return key?.type === 'string' ? key.text.replace(/^[a-zA-Z]*['"]+|['"]+$/g, '') : key?.text;
  }
  return undefined;
}

function targetName(node: Node | null): string | undefined {
  if (node?.type === 'identifier') return node.text;
  if (node?.type === 'attribute') return node.childForFieldName('attribute')?.text;
  return undefined;
}
