// tree-sitter for the languages the TypeScript compiler does not read: the runtime and
// each grammar are WebAssembly files shipped in their npm packages (web-tree-sitter,
// tree-sitter-python, -bash, -c), loaded once per process; nothing is built or downloaded.
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { ParseError, type Role, type Site } from '../site.js';

export type Grammar = 'python' | 'bash' | 'c';
export type { Node };

const require = createRequire(import.meta.url);
let runtime: Promise<void> | undefined;
const grammars = new Map<Grammar, Promise<Language>>();

function grammar(name: Grammar): Promise<Language> {
  let loaded = grammars.get(name);
  if (!loaded) {
    runtime ??= Parser.init();
    loaded = runtime.then(() => Language.load(require.resolve(`tree-sitter-${name}/tree-sitter-${name}.wasm`)));
    grammars.set(name, loaded);
  }
  return loaded;
}

/** Parses the file and gives its syntax tree to `read`; a file with a syntax error is a ParseError naming the line. */
export async function withTree<T>(name: Grammar, languageName: string, file: string, content: string, read: (root: Node) => T): Promise<T> {
  const language = await grammar(name);
  const parser = new Parser();
  try {
    parser.setLanguage(language);
    const tree = parser.parse(content);
    if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
    try {
      const bad = firstError(tree.rootNode);
      if (bad) {
        const what = bad.isMissing ? `missing ${bad.type}` : `unexpected ${JSON.stringify(bad.text.slice(0, 30))}`;
        throw new ParseError(file, languageName, bad.startPosition.row + 1, what);
      }
      return read(tree.rootNode);
    } finally {
      tree.delete();
    }
  } finally {
    parser.delete();
  }
}

function firstError(node: Node): Node | undefined {
  if (node.isError || node.isMissing) return node;
  if (!node.hasError) return undefined;
  for (const child of node.children) {
    const bad = child && firstError(child);
    if (bad) return bad;
  }
  return node;
}

/** Whether `node` lies inside `container` (by position: nodes are fresh objects on every access). */
export function within(node: Node, container: Node | null | undefined): boolean {
  return !!container && container.startIndex <= node.startIndex && node.endIndex <= container.endIndex;
}

/** Whether `node` lies inside the given field of `parent`. */
export function inField(node: Node, parent: Node, field: string): boolean {
  return parent.childrenForFieldName(field).some((c) => within(node, c));
}

/** The ancestors of a node, innermost first. */
export function* ancestors(node: Node): Generator<Node> {
  for (let p = node.parent; p; p = p.parent) yield p;
}

/** The operator token of a binary or compound node (`+`, `<<=`, `**`), from its `operator` field or its first unnamed child. */
export function operatorOf(node: Node): string | undefined {
  const field = node.childForFieldName('operator');
  if (field) return field.type;
  return node.children.find((c) => c && !c.isNamed)?.type;
}

/**
 * The site of a numeric literal, for grammars that write a negative number as a unary minus
 * and a difference as a binary operator node (Python, C). `node` is the literal, or the
 * unary minus holding it when `signed`; a literal right of `+`/`-` keeps its sign (moving
 * it across zero would flip the operator's meaning).
 */
export function literalSite(
  node: Node,
  signed: boolean,
  binaryType: string,
  lineOf: (offset: number) => number,
  role: Role | undefined,
  settingName: string | undefined,
  accumulators: Set<string>,
): Site {
  const up = node.parent;
  const afterOperator = up?.type === binaryType && inField(node, up, 'right') && ['+', '-'].includes(operatorOf(up) ?? '');
  return {
    start: node.startIndex,
    end: node.endIndex,
    text: node.text,
    line: lineOf(node.startIndex),
    signable: signed || !afterOperator,
    role,
    setting: settingName === undefined ? undefined : { name: settingName, accumulator: accumulators.has(settingName) },
  };
}
