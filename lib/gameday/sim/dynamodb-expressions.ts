/**
 * DynamoDB expressions: condition, filter, key-condition, update and projection expressions, parsed
 * as DynamoDB documents them (evaluated in dynamodb-evaluation.ts, applied in dynamodb-updates.ts)
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html).
 *
 * Also enforced, because real DynamoDB refuses them and a Firebreak bug must show up in a game day:
 * undefined or unused placeholders, and reserved words used as bare attribute names.
 */
import { isReservedWord } from './dynamodb-reserved-words';
import { SimulatedServiceError } from './errors';
import type { AttributeValue } from './model';

export type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

export type PathElement = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'index'; readonly index: number };
export type Path = readonly PathElement[];

export type Operand =
  | { readonly kind: 'path'; readonly path: Path }
  | { readonly kind: 'value'; readonly value: AttributeValue }
  | { readonly kind: 'size'; readonly path: Path }
  | { readonly kind: 'if_not_exists'; readonly path: Path; readonly fallback: Operand }
  | { readonly kind: 'list_append'; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'arith'; readonly op: '+' | '-'; readonly left: Operand; readonly right: Operand };

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { readonly kind: 'compare'; readonly op: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'between'; readonly subject: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'in'; readonly subject: Operand; readonly list: readonly Operand[] }
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly operand: Condition }
  | { readonly kind: 'function'; readonly name: BooleanFunction; readonly args: readonly Operand[] };

type BooleanFunction = 'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains';
const BOOLEAN_FUNCTIONS: ReadonlySet<string> = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains']);

export interface UpdatePlan {
  readonly set: readonly { readonly path: Path; readonly value: Operand }[];
  readonly remove: readonly Path[];
  readonly add: readonly { readonly path: Path; readonly value: Operand }[];
  readonly delete: readonly { readonly path: Path; readonly value: Operand }[];
}

export function validationError(message: string): SimulatedServiceError {
  return new SimulatedServiceError('ValidationException', message, 400);
}

/** The placeholders of one request, and which of them the request's expressions used. */
export class ExpressionPlaceholders {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  constructor(
    private readonly names: Readonly<Record<string, string>> = {},
    private readonly values: Readonly<Record<string, AttributeValue>> = {},
  ) {}

  name(placeholder: string, kind: ExpressionKind): string {
    const name = this.names[placeholder];
    if (name === undefined) {
      throw validationError(
        `Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`,
      );
    }
    this.usedNames.add(placeholder);
    return name;
  }

  value(placeholder: string, kind: ExpressionKind): AttributeValue {
    const value = this.values[placeholder];
    if (value === undefined) {
      throw validationError(`Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${placeholder}`);
    }
    this.usedValues.add(placeholder);
    return value;
  }

  /** DynamoDB refuses placeholders that no expression of the request uses. */
  assertAllUsed(): void {
    const unusedValues = Object.keys(this.values).filter((k) => !this.usedValues.has(k));
    if (unusedValues.length > 0) {
      throw validationError(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
    }
    const unusedNames = Object.keys(this.names).filter((k) => !this.usedNames.has(k));
    if (unusedNames.length > 0) {
      throw validationError(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    }
  }
}

// ---- tokens ------------------------------------------------------------------------------------

interface Token {
  readonly type: 'ident' | 'name' | 'value' | 'number' | 'punct' | 'eof';
  readonly text: string;
  readonly pos: number;
}

const PUNCTUATION = ['<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '.', '[', ']', '+', '-'];

// Sticky patterns: each matches at lastIndex only, so a token is read where it starts without
// copying the rest of the expression (a slice per token made tokenizing quadratic in its length).
const NAME_TOKEN = /#[A-Za-z0-9_]+/y;
const VALUE_TOKEN = /:[A-Za-z0-9_]+/y;
const NUMBER_TOKEN = /[0-9]+/y;
const IDENT_TOKEN = /[A-Za-z_][A-Za-z0-9_]*/y;
const WHITESPACE = /\s/;

function stickyMatch(pattern: RegExp, source: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(source)?.[0];
}

function readTokens(source: string, kind: ExpressionKind): readonly Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (WHITESPACE.test(ch)) {
      i += 1;
      continue;
    }
    let text: string | undefined;
    if ((text = stickyMatch(NAME_TOKEN, source, i)) !== undefined) tokens.push({ type: 'name', text, pos: i });
    else if ((text = stickyMatch(VALUE_TOKEN, source, i)) !== undefined) tokens.push({ type: 'value', text, pos: i });
    else if ((text = stickyMatch(NUMBER_TOKEN, source, i)) !== undefined) tokens.push({ type: 'number', text, pos: i });
    else if ((text = stickyMatch(IDENT_TOKEN, source, i)) !== undefined) tokens.push({ type: 'ident', text, pos: i });
    else {
      const punct = PUNCTUATION.find((p) => source.startsWith(p, i));
      if (!punct) throw syntaxError(kind, source, ch, i);
      text = punct;
      tokens.push({ type: 'punct', text, pos: i });
    }
    i += text.length;
  }
  tokens.push({ type: 'eof', text: '<EOF>', pos: source.length });
  return tokens;
}

// The same few expressions come back on every call (a responder's UpdateExpression is a constant
// with placeholders): their tokens are read once. Tokens depend on the text and the kind only (a
// syntax error is thrown again each time, not cached); the parser never changes them.
const TOKEN_CACHE_LIMIT = 2_000;
const tokenCache = new Map<string, readonly Token[]>();

function tokenize(source: string, kind: ExpressionKind): readonly Token[] {
  const key = `${kind}\u0000${source}`;
  let tokens = tokenCache.get(key);
  if (tokens === undefined) {
    tokens = readTokens(source, kind);
    if (tokenCache.size >= TOKEN_CACHE_LIMIT) tokenCache.clear();
    tokenCache.set(key, tokens);
  }
  return tokens;
}

function syntaxError(kind: ExpressionKind, source: string, token: string, pos: number): SimulatedServiceError {
  const near = source.slice(Math.max(0, pos - 10), pos + token.length + 10).trim();
  return validationError(`Invalid ${kind}: Syntax error; token: "${token}", near: "${near}"`);
}

// ---- parser ------------------------------------------------------------------------------------

class Parser {
  private index = 0;
  private readonly tokens: readonly Token[];

  constructor(
    private readonly source: string,
    private readonly kind: ExpressionKind,
    private readonly placeholders: ExpressionPlaceholders,
  ) {
    if (source.trim() === '') throw validationError(`Invalid ${kind}: The expression can not be empty;`);
    this.tokens = tokenize(source, kind);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    this.index = Math.min(this.index + 1, this.tokens.length - 1);
    return token;
  }

  private fail(token = this.peek()): SimulatedServiceError {
    return syntaxError(this.kind, this.source, token.text, token.pos);
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'ident' && token.text.toUpperCase() === word;
  }

  private isPunct(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'punct' && token.text === text;
  }

  private expectPunct(text: string): void {
    if (!this.isPunct(text)) throw this.fail();
    this.next();
  }

  expectEnd(): void {
    if (this.peek().type !== 'eof') throw this.fail();
  }

  atEnd(): boolean {
    return this.peek().type === 'eof';
  }

  path(): Path {
    const elements: PathElement[] = [this.pathName()];
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        elements.push(this.pathName());
      } else if (this.isPunct('[')) {
        this.next();
        const token = this.next();
        if (token.type !== 'number') throw this.fail(token);
        elements.push({ kind: 'index', index: Number(token.text) });
        this.expectPunct(']');
      } else {
        return elements;
      }
    }
  }

  private pathName(): PathElement {
    const token = this.next();
    if (token.type === 'name') return { kind: 'name', name: this.placeholders.name(token.text, this.kind) };
    if (token.type === 'ident') {
      if (isReservedWord(token.text)) {
        throw validationError(`Invalid ${this.kind}: Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
      }
      return { kind: 'name', name: token.text };
    }
    throw this.fail(token);
  }

  operand(): Operand {
    const token = this.peek();
    if (token.type === 'value') {
      this.next();
      return { kind: 'value', value: this.placeholders.value(token.text, this.kind) };
    }
    if (token.type === 'ident' && this.isPunct('(', 1)) {
      const fn = token.text;
      if (fn === 'size') {
        this.next();
        this.next();
        const path = this.path();
        this.expectPunct(')');
        return { kind: 'size', path };
      }
      if (this.kind === 'UpdateExpression' && (fn === 'if_not_exists' || fn === 'list_append')) {
        this.next();
        this.next();
        if (fn === 'if_not_exists') {
          const path = this.path();
          this.expectPunct(',');
          const fallback = this.updateValue(false);
          this.expectPunct(')');
          return { kind: 'if_not_exists', path, fallback };
        }
        const left = this.updateValue(false);
        this.expectPunct(',');
        const right = this.updateValue(false);
        this.expectPunct(')');
        return { kind: 'list_append', left, right };
      }
      throw validationError(`Invalid ${this.kind}: Invalid function name; function: ${fn}`);
    }
    return { kind: 'path', path: this.path() };
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', operand: this.negation() };
    }
    return this.primary();
  }

  private primary(): Condition {
    if (this.isPunct('(')) {
      this.next();
      const inner = this.condition();
      this.expectPunct(')');
      return inner;
    }
    const token = this.peek();
    if (token.type === 'ident' && BOOLEAN_FUNCTIONS.has(token.text) && this.isPunct('(', 1)) {
      this.next();
      this.next();
      const args: Operand[] = [this.operand()];
      while (this.isPunct(',')) {
        this.next();
        args.push(this.operand());
      }
      this.expectPunct(')');
      const name = token.text as BooleanFunction;
      const arity = name === 'attribute_exists' || name === 'attribute_not_exists' ? 1 : 2;
      if (args.length !== arity || args[0]?.kind !== 'path') {
        throw validationError(`Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`);
      }
      return { kind: 'function', name, args };
    }
    const left = this.operand();
    const op = this.peek();
    if (op.type === 'punct' && ['=', '<>', '<', '<=', '>', '>='].includes(op.text)) {
      this.next();
      return { kind: 'compare', op: op.text as Comparator, left, right: this.operand() };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.operand();
      if (!this.isKeyword('AND')) throw this.fail();
      this.next();
      return { kind: 'between', subject: left, low, high: this.operand() };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.expectPunct('(');
      const list: Operand[] = [this.operand()];
      while (this.isPunct(',')) {
        this.next();
        list.push(this.operand());
      }
      this.expectPunct(')');
      return { kind: 'in', subject: left, list };
    }
    throw this.fail();
  }

  private updateValue(allowArithmetic = true): Operand {
    const left = this.operand();
    if (allowArithmetic && (this.isPunct('+') || this.isPunct('-'))) {
      const op = this.next().text as '+' | '-';
      return { kind: 'arith', op, left, right: this.operand() };
    }
    return left;
  }

  update(): UpdatePlan {
    const plan = { set: [] as UpdatePlan['set'][number][], remove: [] as Path[], add: [] as UpdatePlan['add'][number][], delete: [] as UpdatePlan['delete'][number][] };
    const seen = new Set<string>();
    while (!this.atEnd()) {
      const token = this.next();
      const clause = token.type === 'ident' ? token.text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(clause)) throw this.fail(token);
      if (seen.has(clause)) {
        throw validationError(`Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`);
      }
      seen.add(clause);
      do {
        const path = this.path();
        if (clause === 'SET') {
          this.expectPunct('=');
          plan.set.push({ path, value: this.updateValue() });
        } else if (clause === 'REMOVE') {
          plan.remove.push(path);
        } else {
          const value = this.operand();
          (clause === 'ADD' ? plan.add : plan.delete).push({ path, value });
        }
        if (!this.isPunct(',')) break;
        this.next();
      } while (!this.atEnd());
    }
    return plan;
  }

  projection(): Path[] {
    const paths = [this.path()];
    while (this.isPunct(',')) {
      this.next();
      paths.push(this.path());
    }
    return paths;
  }
}

export function parseCondition(source: string, kind: ExpressionKind, placeholders: ExpressionPlaceholders): Condition {
  const parser = new Parser(source, kind, placeholders);
  const condition = parser.condition();
  parser.expectEnd();
  return condition;
}

export function parseUpdate(source: string, placeholders: ExpressionPlaceholders): UpdatePlan {
  const parser = new Parser(source, 'UpdateExpression', placeholders);
  return parser.update();
}

export function parseProjection(source: string, placeholders: ExpressionPlaceholders): Path[] {
  const parser = new Parser(source, 'ProjectionExpression', placeholders);
  const paths = parser.projection();
  parser.expectEnd();
  return paths;
}
