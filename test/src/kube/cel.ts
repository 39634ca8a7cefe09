/**
 * A small subset of CEL for `x-kubernetes-validations`: literals, `self`/`oldSelf`, field
 * access, `has()`, comparison, `!`, `&&`, `||`, ternaries and parentheses — what the DKP CRDs
 * use. A rule outside the subset is reported as unsupported and not enforced.
 */
import { deepEqual, isObject } from './json.js';

/** The rule uses CEL this evaluator does not know. */
export class UnsupportedCelError extends Error {}

/** Evaluating the rule failed (e.g. `no such key`); kube-apiserver counts that as a violation. */
export class CelEvaluationError extends Error {}

type Token = { kind: 'number' | 'string' | 'ident' | 'op'; text: string; value?: unknown };

type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'ident'; name: string }
  | { kind: 'field'; target: Node; name: string }
  | { kind: 'has'; target: Node; name: string }
  | { kind: 'unary'; operator: '!' | '-'; operand: Node }
  | { kind: 'binary'; operator: string; left: Node; right: Node }
  | { kind: 'ternary'; condition: Node; then: Node; otherwise: Node };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '?', ':', '(', ')', '.', '-'];

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < rule.length) {
    const char = rule[index]!;
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(rule.slice(index));
    if (number) {
      tokens.push({ kind: 'number', text: number[0], value: Number(number[0]) });
      index += number[0].length;
      continue;
    }
    if (char === '"' || char === "'") {
      const end = rule.indexOf(char, index + 1);
      if (end === -1) throw new UnsupportedCelError(`unterminated string in ${rule}`);
      tokens.push({ kind: 'string', text: rule.slice(index, end + 1), value: rule.slice(index + 1, end) });
      index = end + 1;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rule.slice(index));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0] });
      index += ident[0].length;
      continue;
    }
    const operator = OPERATORS.find((candidate) => rule.startsWith(candidate, index));
    if (!operator) throw new UnsupportedCelError(`unsupported character '${char}' in ${rule}`);
    tokens.push({ kind: 'op', text: operator });
    index += operator.length;
  }
  return tokens;
}

const BINARY_PRECEDENCE: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4 };

class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[], private readonly rule: string) {}

  parse(): Node {
    const node = this.ternary();
    if (this.position !== this.tokens.length) throw new UnsupportedCelError(`unexpected '${this.peek()?.text}' in ${this.rule}`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private take(text?: string): Token {
    const token = this.tokens[this.position];
    if (!token || (text !== undefined && token.text !== text)) throw new UnsupportedCelError(`expected '${text ?? 'a token'}' in ${this.rule}`);
    this.position += 1;
    return token;
  }

  private ternary(): Node {
    const condition = this.binary(1);
    if (this.peek()?.text !== '?') return condition;
    this.take('?');
    const then = this.ternary();
    this.take(':');
    return { kind: 'ternary', condition, then, otherwise: this.ternary() };
  }

  private binary(minimum: number): Node {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      const precedence = token?.kind === 'op' ? BINARY_PRECEDENCE[token.text] : undefined;
      if (precedence === undefined || precedence < minimum) return left;
      this.take();
      left = { kind: 'binary', operator: token!.text, left, right: this.binary(precedence + 1) };
    }
  }

  private unary(): Node {
    const token = this.peek();
    if (token?.text === '!' || token?.text === '-') {
      this.take();
      return { kind: 'unary', operator: token.text, operand: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(node: Node): Node {
    let current = node;
    while (this.peek()?.text === '.') {
      this.take('.');
      current = { kind: 'field', target: current, name: this.take().text };
    }
    return current;
  }

  private primary(): Node {
    const token = this.take();
    if (token.kind === 'number' || token.kind === 'string') return { kind: 'literal', value: token.value };
    if (token.text === '(') {
      const inner = this.ternary();
      this.take(')');
      return inner;
    }
    if (token.kind === 'ident') {
      if (token.text === 'true' || token.text === 'false') return { kind: 'literal', value: token.text === 'true' };
      if (token.text === 'null') return { kind: 'literal', value: null };
      if (token.text === 'has') {
        this.take('(');
        const argument = this.postfix(this.primary());
        this.take(')');
        if (argument.kind !== 'field') throw new UnsupportedCelError(`has() needs a field selection in ${this.rule}`);
        return { kind: 'has', target: argument.target, name: argument.name };
      }
      if (token.text === 'self' || token.text === 'oldSelf') return { kind: 'ident', name: token.text };
    }
    throw new UnsupportedCelError(`unsupported '${token.text}' in ${this.rule}`);
  }
}

const compiled = new Map<string, Node | UnsupportedCelError>();

/** Parses a rule once per process; throws UnsupportedCelError outside the subset. */
export function compileCel(rule: string): Node {
  let node = compiled.get(rule);
  if (!node) {
    try {
      node = new Parser(tokenize(rule), rule).parse();
    } catch (error) {
      node = error instanceof UnsupportedCelError ? error : new UnsupportedCelError(String(error));
    }
    compiled.set(rule, node);
  }
  if (node instanceof UnsupportedCelError) throw node;
  return node;
}

/** True when the rule mentions `oldSelf` (a transition rule, checked on updates only). */
export function isTransitionRule(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}

export function evaluateCel(rule: string, self: unknown, oldSelf?: unknown): boolean {
  const result = evaluate(compileCel(rule), { self, oldSelf });
  if (typeof result !== 'boolean') throw new CelEvaluationError(`rule did not evaluate to a bool: ${rule}`);
  return result;
}

function evaluate(node: Node, scope: { self: unknown; oldSelf: unknown }): unknown {
  switch (node.kind) {
    case 'literal': return node.value;
    case 'ident': return node.name === 'self' ? scope.self : scope.oldSelf;
    case 'field': {
      const target = evaluate(node.target, scope);
      if (!isObject(target) || !(node.name in target)) throw new CelEvaluationError(`no such key: ${node.name}`);
      return target[node.name];
    }
    case 'has': {
      const target = evaluate(node.target, scope);
      return isObject(target) && node.name in target;
    }
    case 'unary': {
      const operand = evaluate(node.operand, scope);
      if (node.operator === '!') return !asBool(operand);
      if (typeof operand !== 'number') throw new CelEvaluationError('no such overload: -_');
      return -operand;
    }
    case 'ternary': return asBool(evaluate(node.condition, scope)) ? evaluate(node.then, scope) : evaluate(node.otherwise, scope);
    case 'binary': {
      if (node.operator === '&&') return asBool(evaluate(node.left, scope)) && asBool(evaluate(node.right, scope));
      if (node.operator === '||') return asBool(evaluate(node.left, scope)) || asBool(evaluate(node.right, scope));
      const left = evaluate(node.left, scope);
      const right = evaluate(node.right, scope);
      if (node.operator === '==') return deepEqual(left, right);
      if (node.operator === '!=') return !deepEqual(left, right);
      const comparable = (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
      if (!comparable) throw new CelEvaluationError(`no such overload: ${node.operator}`);
      const [a, b] = [left as number | string, right as number | string];
      return node.operator === '<' ? a < b : node.operator === '<=' ? a <= b : node.operator === '>' ? a > b : a >= b;
    }
  }
}

function asBool(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new CelEvaluationError('no matching overload for a non-bool condition');
  return value;
}
