// The objective: one metric, or an arithmetic expression over metrics such as
// `fmax * coremark_per_cycle`. A tiny recursive-descent parser, no eval().
import type { Goal, Metrics } from './types.js';

export interface Objective {
  metric?: string;
  expr?: string;
  goal: Goal;
}

type Node =
  | { type: 'num'; value: number }
  | { type: 'var'; name: string }
  | { type: 'neg'; arg: Node }
  | { type: 'bin'; op: string; left: Node; right: Node }
  | { type: 'call'; fn: string; args: Node[] };

const FUNCTIONS: Record<string, (...a: number[]) => number> = {
  min: Math.min,
  max: Math.max,
  abs: Math.abs,
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  exp: Math.exp,
  pow: Math.pow,
};

export function parseExpression(src: string): Node {
  const tokens = src.match(/\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+|[A-Za-z_][\w.]*|\*\*|[-+*/^(),]|\S/gi) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    throw new Error(`objective.expr "${src}": ${what}. Fix: use metric names, numbers, + - * / ^, parentheses and ${Object.keys(FUNCTIONS).join('/')}(...)`);
  };
  const expect = (t: string) => (tokens[pos] === t ? pos++ : fail(`expected "${t}" at "${tokens[pos] ?? 'end'}"`));

  const primary = (): Node => {
    const t = tokens[pos++];
    if (t === undefined) return fail('unexpected end');
    if (t === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (t === '-') return { type: 'neg', arg: power() };
    if (/^[\d.]/.test(t)) return { type: 'num', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() !== '(') return { type: 'var', name: t };
      if (!(t in FUNCTIONS)) fail(`unknown function ${t}`);
      pos++;
      const args: Node[] = [sum()];
      while (peek() === ',') {
        pos++;
        args.push(sum());
      }
      expect(')');
      return { type: 'call', fn: t, args };
    }
    return fail(`unexpected "${t}"`);
  };
  const power = (): Node => {
    const base = primary();
    if (peek() === '^' || peek() === '**') {
      pos++;
      return { type: 'bin', op: '^', left: base, right: power() };
    }
    return base;
  };
  const product = (): Node => {
    let left = power();
    while (peek() === '*' || peek() === '/') left = { type: 'bin', op: tokens[pos++], left, right: power() };
    return left;
  };
  const sum = (): Node => {
    let left = product();
    while (peek() === '+' || peek() === '-') left = { type: 'bin', op: tokens[pos++], left, right: product() };
    return left;
  };
  const tree = sum();
  if (pos < tokens.length) fail(`unexpected "${tokens[pos]}"`);
  return tree;
}

function evaluate(node: Node, metrics: Metrics): number {
  switch (node.type) {
    case 'num':
      return node.value;
    case 'var':
      return metrics[node.name];
    case 'neg':
      return -evaluate(node.arg, metrics);
    case 'call':
      return FUNCTIONS[node.fn](...node.args.map((a) => evaluate(a, metrics)));
    case 'bin': {
      const l = evaluate(node.left, metrics);
      const r = evaluate(node.right, metrics);
      if (node.op === '+') return l + r;
      if (node.op === '-') return l - r;
      if (node.op === '*') return l * r;
      if (node.op === '/') return l / r;
      return l ** r;
    }
  }
}

function variables(node: Node, out = new Set<string>()): Set<string> {
  if (node.type === 'var') out.add(node.name);
  else if (node.type === 'neg') variables(node.arg, out);
  else if (node.type === 'bin') [node.left, node.right].forEach((n) => variables(n, out));
  else if (node.type === 'call') node.args.forEach((n) => variables(n, out));
  return out;
}

/** Compiles an objective to a score function; throws on a bad expression (checked at config load). */
export function compileObjective(objective: Objective): {
  metrics: string[];
  score: (m: Metrics) => { score: number } | { missing: string[] } | { nonFinite: true };
} {
  const tree: Node = objective.metric ? { type: 'var', name: objective.metric } : parseExpression(objective.expr ?? '');
  const needed = [...variables(tree)];
  return {
    metrics: needed,
    score(m) {
      const missing = needed.filter((name) => typeof m[name] !== 'number');
      if (missing.length > 0) return { missing };
      const value = evaluate(tree, m);
      return Number.isFinite(value) ? { score: value } : { nonFinite: true };
    },
  };
}

/** Positive when `a` is better than `b` under the goal. */
export function improvement(a: number, b: number, goal: Goal): number {
  return goal === 'maximize' ? a - b : b - a;
}
