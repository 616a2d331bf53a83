// Shell scripts, read with tree-sitter-bash: numbers in assignments, command arguments
// (`sleep 0.5`, `--iters 100`, `--lr=0.01`) and arithmetic, with the part of the script
// they sit in. Shell has no float type, so a decimal argument is a word to the grammar.
import { lineIndex, type ParsedFile, type Role, type Site } from '../site.js';
import { ancestors, inField, operatorOf, withTree, within, type Node } from './tree-sitter.js';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const OPTION_VALUE = /^(--?[A-Za-z][\w-]*)=([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;
const COMMAND_ROLES: Record<string, Role> = {
  exit: 'exit',
  return: 'exit',
  kill: 'exit',
  trap: 'exit',
  echo: 'output',
  printf: 'output',
  chmod: 'mode',
  umask: 'mode',
  shift: 'index',
  cut: 'index',
  sort: 'index',
  awk: 'index',
  date: 'date',
};
const STRINGS = new Set(['string', 'raw_string', 'ansi_c_string', 'translated_string', 'heredoc_body']);
const REDIRECTS = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect', 'file_descriptor']);
const BITWISE = new Set(['&', '|', '^', '<<', '>>', '%', '&=', '|=', '^=', '<<=', '>>=', '%=']);

export function parseBash(file: string, content: string): Promise<ParsedFile> {
  return withTree('bash', 'shell', file, content, (root) => {
    const lineOf = lineIndex(content);
    const accumulators = updatedNames(root);
    const sites: Site[] = [];
    for (const n of root.descendantsOfType(['number', 'word'])) {
      if (!n) continue;
      const option = n.type === 'word' ? OPTION_VALUE.exec(n.text) : null;
      if (option) {
        const start = n.startIndex + option[1].length + 1;
        sites.push({
          start,
          end: n.endIndex,
          text: option[2],
          line: lineOf(start),
          signable: false,
          role: roleOf(n),
          setting: { name: option[1].replace(/^-+/, ''), accumulator: false },
        });
      } else if (n.type === 'number' || DECIMAL.test(n.text)) {
        sites.push(siteOf(n, lineOf, accumulators));
      }
    }
    const comments = root.descendantsOfType('comment').flatMap((c) => (c ? [{ line: c.startPosition.row + 1, text: c.text }] : []));
    return { language: 'shell', parser: 'tree-sitter', sites, comments };
  });
}

function siteOf(n: Node, lineOf: (o: number) => number, accumulators: Set<string>): Site {
  const name = settingName(n);
  const signed = /^-/.test(n.text);
  const arithmetic = [...ancestors(n)].some((a) => a.type === 'arithmetic_expansion' || a.type === 'compound_statement' || a.type === 'c_style_for_statement');
  const up = n.parent;
  const afterOperator = up?.type === 'binary_expression' && inField(n, up, 'right') && ['+', '-'].includes(operatorOf(up) ?? '');
  return {
    start: n.startIndex,
    end: n.endIndex,
    text: n.text,
    line: lineOf(n.startIndex),
    // A '-' before a command's argument makes it an option; only assignments and arithmetic take signs.
    signable: signed || ((arithmetic || up?.type === 'variable_assignment') && !afterOperator),
    role: roleOf(n),
    setting: name === undefined ? undefined : { name, accumulator: accumulators.has(name) },
  };
}

function roleOf(n: Node): Role | undefined {
  let child = n;
  for (const p of ancestors(n)) {
    if (p.type === 'subscript' && inField(n, p, 'index')) return 'index';
    if (REDIRECTS.has(p.type)) return 'redirect';
    if (p.type === 'case_item' && inField(n, p, 'value')) return 'case';
    if (STRINGS.has(p.type)) return 'string';
    if (p.type === 'binary_expression' || p.type === 'unary_expression') {
      const op = operatorOf(p) ?? '';
      if (BITWISE.has(op)) return 'bitwise';
      if (op === '**' && inField(n, p, 'right')) return 'exponent';
    }
    if (p.type === 'c_style_for_statement' && inField(n, p, 'update') && ['+=', '-='].includes(operatorOf(child) ?? '')) return 'index';
    if (p.type === 'command' && inField(n, p, 'argument')) {
      const command = p.childForFieldName('name')?.text ?? '';
      const role = COMMAND_ROLES[command.slice(command.lastIndexOf('/') + 1)];
      if (role) return role;
    }
    child = p;
  }
  return undefined;
}

/** `N=100`, `local n=5`, or an option's value: `--iters 100`, `-n 5`. */
function settingName(n: Node): string | undefined {
  let node = n;
  if (node.parent?.type === 'array') node = node.parent;
  const p = node.parent;
  if (p?.type === 'variable_assignment' && inField(node, p, 'value')) return p.childForFieldName('name')?.text;
  if (p?.type === 'command') {
    const args = p.childrenForFieldName('argument').filter((a): a is Node => !!a);
    const k = args.findIndex((a) => within(n, a));
    const option = args[k - 1]?.text;
    if (option && /^--?[A-Za-z][\w-]*$/.test(option)) return option.replace(/^-+/, '');
  }
  return undefined;
}

/** Variables counted or summed in place: `((i++))`, `((s += 3))`, `x=$((x + 1))`. */
function updatedNames(root: Node): Set<string> {
  const names = new Set<string>();
  for (const e of root.descendantsOfType(['postfix_expression', 'unary_expression', 'binary_expression'])) {
    const op = e && operatorOf(e);
    if (!e || !op || !['++', '--', '+=', '-=', '*=', '/='].includes(op)) continue;
    const target = e.namedChildren.find((c) => c && ['variable_name', 'word'].includes(c.type));
    if (target) names.add(target.text);
  }
  for (const a of root.descendantsOfType('variable_assignment')) {
    const name = a?.childForFieldName('name')?.text;
    const value = a?.childForFieldName('value');
    if (name && value?.descendantsOfType('variable_name').some((v) => v?.text === name)) names.add(name);
  }
  return names;
}
