// JavaScript and TypeScript, read with the TypeScript compiler's parser: each numeric
// literal with the part of the program it sits in.
import ts from 'typescript';
import { lineIndex, ParseError, type CommentLine, type ParsedFile, type Role, type Site } from '../site.js';

const KINDS: Record<string, ts.ScriptKind> = {
  '.ts': ts.ScriptKind.TS,
  '.mts': ts.ScriptKind.TS,
  '.cts': ts.ScriptKind.TS,
  '.tsx': ts.ScriptKind.TSX,
  '.jsx': ts.ScriptKind.JSX,
};

const EXIT_CALLS = new Set(['process.exit', 'exit', 'Deno.exit']);
const OUTPUT_METHODS = new Set(['toFixed', 'toPrecision', 'toExponential', 'toString', 'padStart', 'padEnd', 'repeat', 'toLocaleString']);
const INDEX_METHODS = new Set(['slice', 'substring', 'substr', 'splice', 'at', 'charAt', 'charCodeAt', 'codePointAt', 'subarray', 'copyWithin', 'fill']);
const BITWISE = new Set([
  ts.SyntaxKind.AmpersandToken,
  ts.SyntaxKind.BarToken,
  ts.SyntaxKind.CaretToken,
  ts.SyntaxKind.LessThanLessThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
  ts.SyntaxKind.PercentToken,
  ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken,
  ts.SyntaxKind.CaretEqualsToken,
  ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.PercentEqualsToken,
]);
const LENGTH_PROPERTIES = ['length', 'size', 'byteLength'];
const ADDITIVE = new Set([ts.SyntaxKind.PlusToken, ts.SyntaxKind.MinusToken]);
/** `xs.length < 3` is a size check, as `xs.length - 1` is an index: neither is a tuning. */
const LENGTH_OPERATORS = new Set([
  ...ADDITIVE,
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
]);
const UPDATES = new Set([
  ts.SyntaxKind.PlusEqualsToken,
  ts.SyntaxKind.MinusEqualsToken,
  ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken,
  ts.SyntaxKind.AsteriskAsteriskEqualsToken,
]);

export function parseTypeScript(file: string, content: string): ParsedFile {
  const ext = file.slice(file.lastIndexOf('.'));
  const language = ext.includes('t') && !ext.includes('j') ? 'TypeScript' : 'JavaScript';
  const source = ts.createSourceFile(file, content, ts.ScriptTarget.Latest, true, KINDS[ext] ?? ts.ScriptKind.JS);
  const lineOf = lineIndex(content);
  const error = syntaxErrors(source)[0];
  if (error) throw new ParseError(file, language, lineOf(error.start ?? 0), ts.flattenDiagnosticMessageText(error.messageText, ' '));
  const accumulators = new Set<string>();
  const lengths = new Set<string>();
  const literals: ts.NumericLiteral[] = [];
  const comments = new Map<number, CommentLine>();
  const visit = (node: ts.Node) => {
    if (ts.isNumericLiteral(node)) literals.push(node);
    const updated = updatedName(node);
    if (updated) accumulators.add(updated);
    // `const n = xs.length`: arithmetic on n is arithmetic on a length.
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      ts.isPropertyAccessExpression(node.initializer) &&
      LENGTH_PROPERTIES.includes(node.initializer.name.text)
    ) {
      lengths.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // Comments are trivia around tokens (`0.5, // evoloop: 0..1` trails the comma), so walk the tokens too.
  const tokens = (node: ts.Node) => {
    for (const r of [...(ts.getLeadingCommentRanges(content, node.pos) ?? []), ...(ts.getTrailingCommentRanges(content, node.end) ?? [])]) {
      comments.set(r.pos, { line: lineOf(r.pos), text: content.slice(r.pos, r.end) });
    }
    for (const child of node.getChildren(source)) tokens(child);
  };
  tokens(source);
  const sites = literals.map((lit) => siteOf(lit, content, lineOf, accumulators, lengths));
  return { language, parser: 'TypeScript compiler', sites, comments: [...comments.values()] };
}

/** Syntax errors only (no type checking): a one-file program that loads nothing else. */
function syntaxErrors(source: ts.SourceFile): readonly ts.Diagnostic[] {
  const options: ts.CompilerOptions = { noLib: true, noResolve: true, allowJs: true, types: [] };
  const host = ts.createCompilerHost(options);
  host.getSourceFile = (name) => (name === source.fileName ? source : undefined);
  const program = ts.createProgram({ rootNames: [source.fileName], options, host });
  return program.getSyntacticDiagnostics(source);
}

function siteOf(lit: ts.NumericLiteral, content: string, lineOf: (o: number) => number, accumulators: Set<string>, lengths: Set<string>): Site {
  const p = lit.parent;
  const signed = ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.MinusToken;
  const node: ts.Node = signed ? p : lit;
  const start = node.getStart();
  const name = settingName(node);
  const up = node.parent;
  // `a - 3` could be written `a - -3`, but a sign where the program had none reads as a bug.
  const afterOperator = ts.isBinaryExpression(up) && up.right === node && ADDITIVE.has(up.operatorToken.kind);
  return {
    start,
    end: node.end,
    text: content.slice(start, node.end),
    line: lineOf(start),
    signable: signed || !afterOperator,
    role: roleOf(node, lengths),
    setting: name === undefined ? undefined : { name, accumulator: accumulators.has(name) },
  };
}

/** The innermost enclosing construct that makes this number structure. */
function roleOf(lit: ts.Node, lengths: Set<string>): Role | undefined {
  let child = lit;
  for (let p = lit.parent; p && !ts.isSourceFile(p); child = p, p = p.parent) {
    if (ts.isFunctionLike(p) || ts.isClassLike(p)) return undefined;
    if (ts.isElementAccessExpression(p) && p.argumentExpression === child) return 'index';
    if (ts.isTypeNode(p)) return 'type';
    if (ts.isEnumMember(p)) return 'enum';
    if (ts.isCaseClause(p) && p.expression === child) return 'case';
    if (ts.isTemplateSpan(p)) return 'output';
    if (ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isImportEqualsDeclaration(p)) return 'import';
    if (
      ts.isForStatement(p) &&
      p.incrementor === child &&
      ts.isBinaryExpression(child) &&
      [ts.SyntaxKind.PlusEqualsToken, ts.SyntaxKind.MinusEqualsToken].includes(child.operatorToken.kind)
    )
      return 'index';
    if (ts.isNewExpression(p) && p.expression.getText() === 'Date') return 'date';
    if (ts.isCallExpression(p) && p.arguments.includes(child as ts.Expression)) {
      const role = callRole(p, p.arguments.indexOf(child as ts.Expression));
      if (role) return role;
    }
    if (ts.isBinaryExpression(p)) {
      const op = p.operatorToken.kind;
      if (BITWISE.has(op)) return 'bitwise';
      if (op === ts.SyntaxKind.AsteriskAsteriskToken && p.right === child) return 'exponent';
      if (LENGTH_OPERATORS.has(op) && child === lit && mentionsLength(p.left === child ? p.right : p.left, lengths)) return 'length';
    }
  }
  return undefined;
}

function callRole(call: ts.CallExpression, arg: number): Role | undefined {
  const callee = call.expression.getText();
  const method = ts.isPropertyAccessExpression(call.expression) ? call.expression.name.text : callee;
  if (EXIT_CALLS.has(callee)) return 'exit';
  if (callee === 'require' || call.expression.kind === ts.SyntaxKind.ImportKeyword) return 'import';
  if (callee.startsWith('console.') || callee === 'process.stdout.write' || callee === 'process.stderr.write' || OUTPUT_METHODS.has(method)) return 'output';
  if ((callee === 'JSON.stringify' || callee === 'parseInt' || callee === 'Number.parseInt') && arg > 0) return 'output';
  // fill(value, start, end) and splice(start, count, ...items) also take values.
  const position = method === 'fill' ? arg > 0 : method === 'splice' ? arg < 2 : true;
  if (INDEX_METHODS.has(method) && ts.isPropertyAccessExpression(call.expression) && position) return 'index';
  if (callee === 'Math.pow' && arg === 1) return 'exponent';
  if (callee === 'Date.UTC') return 'date';
  if (/(^|\.)(seed|seedrandom|setSeed)$/i.test(callee)) return 'seed';
  return undefined;
}

/** Whether an expression holds a length: `.length`, `.size`, or a name assigned one. */
function mentionsLength(node: ts.Node, lengths: Set<string>): boolean {
  if (ts.isPropertyAccessExpression(node) && LENGTH_PROPERTIES.includes(node.name.text)) return true;
  if (ts.isIdentifier(node) && lengths.has(node.text)) return true;
  return ts.forEachChild(node, (c) => mentionsLength(c, lengths) || undefined) ?? false;
}

/** The setting a literal is the value of (or an element of a list that is): `const rate = 0.3`, `{ w: 2 }`, `f(k = 5)`, `this.x = 1`. */
function settingName(lit: ts.Node): string | undefined {
  let node = lit;
  while (
    ts.isParenthesizedExpression(node.parent) ||
    ts.isArrayLiteralExpression(node.parent) ||
    ts.isAsExpression(node.parent) ||
    ts.isSatisfiesExpression(node.parent)
  )
    node = node.parent;
  const p = node.parent;
  if ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isBindingElement(p) || ts.isPropertyDeclaration(p)) && p.initializer === node)
    return nameText(p.name);
  if (ts.isPropertyAssignment(p) && p.initializer === node) return nameText(p.name);
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === node) return targetName(p.left);
  return undefined;
}

function nameText(name: ts.Node): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name) ? name.text : undefined;
}

function targetName(node: ts.Node): string | undefined {
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  return undefined;
}

/** A name this node updates in place (`x += 1`, `n++`, `s = s + d`): what starts there is a counter, not a setting. */
function updatedName(node: ts.Node): string | undefined {
  if (
    (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
    [ts.SyntaxKind.PlusPlusToken, ts.SyntaxKind.MinusMinusToken].includes(node.operator)
  ) {
    return targetName(node.operand);
  }
  if (!ts.isBinaryExpression(node)) return undefined;
  if (UPDATES.has(node.operatorToken.kind)) return targetName(node.left);
  if (node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const name = targetName(node.left);
    if (name !== undefined && mentionsName(node.right, name)) return name;
  }
  return undefined;
}

function mentionsName(node: ts.Node, name: string): boolean {
  if (ts.isIdentifier(node) && node.text === name) return true;
  return ts.forEachChild(node, (c) => mentionsName(c, name) || undefined) ?? false;
}
