/**
 * DynamoDB expressions: condition, filter, key-condition, update and projection expressions, parsed
 * and evaluated as DynamoDB documents them
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html).
 *
 * Also enforced, because real DynamoDB refuses them and a Firebreak bug must show up in a game day:
 * undefined or unused placeholders, and reserved words used as bare attribute names.
 */
import { isReservedWord } from './dynamodb-reserved-words';
import { SimulatedServiceError } from './errors';
import type { AttributeValue, Item } from './model';

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

function tokenize(source: string, kind: ExpressionKind): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const rest = source.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^#[A-Za-z0-9_]+/.exec(rest))) tokens.push({ type: 'name', text: m[0], pos: i });
    else if ((m = /^:[A-Za-z0-9_]+/.exec(rest))) tokens.push({ type: 'value', text: m[0], pos: i });
    else if ((m = /^[0-9]+/.exec(rest))) tokens.push({ type: 'number', text: m[0], pos: i });
    else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) tokens.push({ type: 'ident', text: m[0], pos: i });
    else {
      const punct = PUNCTUATION.find((p) => rest.startsWith(p));
      if (!punct) throw syntaxError(kind, source, ch, i);
      tokens.push({ type: 'punct', text: punct, pos: i });
      i += punct.length;
      continue;
    }
    i += m[0].length;
  }
  tokens.push({ type: 'eof', text: '<EOF>', pos: source.length });
  return tokens;
}

function syntaxError(kind: ExpressionKind, source: string, token: string, pos: number): SimulatedServiceError {
  const near = source.slice(Math.max(0, pos - 10), pos + token.length + 10).trim();
  return validationError(`Invalid ${kind}: Syntax error; token: "${token}", near: "${near}"`);
}

// ---- parser ------------------------------------------------------------------------------------

class Parser {
  private index = 0;
  private readonly tokens: Token[];

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

// ---- values ------------------------------------------------------------------------------------

export type AttributeType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'SS' | 'NS' | 'BS' | 'L' | 'M';

export function typeOf(value: AttributeValue): AttributeType {
  return Object.keys(value)[0] as AttributeType;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}

/** Deep equality of two attribute values (sets compare unordered, numbers numerically). */
export function attributeEquals(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  const va = (a as Record<string, unknown>)[type];
  const vb = (b as Record<string, unknown>)[type];
  switch (type) {
    case 'S':
    case 'BOOL':
    case 'NULL':
      return va === vb;
    case 'N':
      return Number(va) === Number(vb);
    case 'B':
      return bytesEqual(va as Uint8Array, vb as Uint8Array);
    case 'SS':
    case 'NS': {
      const norm = (s: readonly string[]) => new Set(type === 'NS' ? s.map((x) => String(Number(x))) : s);
      const sa = norm(va as string[]);
      const sb = norm(vb as string[]);
      return sa.size === sb.size && [...sa].every((x) => sb.has(x));
    }
    case 'BS': {
      const la = va as Uint8Array[];
      const lb = vb as Uint8Array[];
      return la.length === lb.length && la.every((x) => lb.some((y) => bytesEqual(x, y)));
    }
    case 'L': {
      const la = va as AttributeValue[];
      const lb = vb as AttributeValue[];
      return la.length === lb.length && la.every((x, i) => attributeEquals(x, lb[i] as AttributeValue));
    }
    case 'M': {
      const ma = va as Record<string, AttributeValue>;
      const mb = vb as Record<string, AttributeValue>;
      const keys = Object.keys(ma);
      return keys.length === Object.keys(mb).length && keys.every((k) => mb[k] !== undefined && attributeEquals(ma[k] as AttributeValue, mb[k] as AttributeValue));
    }
  }
}

/** Ordering for S (UTF-8 bytes), N and B of the same type; undefined when not comparable. */
export function attributeCompare(a: AttributeValue, b: AttributeValue): number | undefined {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  if ('N' in a && 'N' in b) return Number(a.N) - Number(b.N);
  if ('S' in a && 'S' in b) return Buffer.compare(Buffer.from(a.S, 'utf8'), Buffer.from(b.S, 'utf8'));
  if ('B' in a && 'B' in b) return compareBytes(a.B, b.B);
  return undefined;
}

export function resolvePath(item: Item, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined;
  path.forEach((element, i) => {
    if (i === 0) {
      current = element.kind === 'name' ? item[element.name] : undefined;
      return;
    }
    if (current === undefined) return;
    if (element.kind === 'name') current = 'M' in current ? current.M[element.name] : undefined;
    else current = 'L' in current ? current.L[element.index] : undefined;
  });
  return current;
}

function sizeOf(value: AttributeValue): number | undefined {
  if ('S' in value) return Buffer.byteLength(value.S, 'utf8');
  if ('B' in value) return value.B.length;
  if ('SS' in value) return value.SS.length;
  if ('NS' in value) return value.NS.length;
  if ('BS' in value) return value.BS.length;
  if ('L' in value) return value.L.length;
  if ('M' in value) return Object.keys(value.M).length;
  return undefined;
}

export function evaluateOperand(operand: Operand, item: Item): AttributeValue | undefined {
  switch (operand.kind) {
    case 'path':
      return resolvePath(item, operand.path);
    case 'value':
      return operand.value;
    case 'size': {
      const value = resolvePath(item, operand.path);
      const size = value === undefined ? undefined : sizeOf(value);
      return size === undefined ? undefined : { N: String(size) };
    }
    case 'if_not_exists':
      return resolvePath(item, operand.path) ?? evaluateOperand(operand.fallback, item);
    case 'list_append': {
      const left = evaluateOperand(operand.left, item);
      const right = evaluateOperand(operand.right, item);
      if (left === undefined || right === undefined) {
        throw validationError('The provided expression refers to an attribute that does not exist in the item');
      }
      if (!('L' in left) || !('L' in right)) {
        throw validationError('Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: ' + typeOf('L' in left ? right : left));
      }
      return { L: [...left.L, ...right.L] };
    }
    case 'arith': {
      const left = evaluateOperand(operand.left, item);
      const right = evaluateOperand(operand.right, item);
      if (left === undefined || right === undefined) {
        throw validationError('The provided expression refers to an attribute that does not exist in the item');
      }
      if (!('N' in left) || !('N' in right)) {
        throw validationError(`An operand in the update expression has an incorrect data type`);
      }
      return { N: normalizeNumber(String(operand.op === '+' ? Number(left.N) + Number(right.N) : Number(left.N) - Number(right.N))) };
    }
  }
}

/** DynamoDB stores numbers normalized (no leading zeros, no trailing fractional zeros). */
export function normalizeNumber(raw: string): string {
  const n = Number(raw);
  if (!Number.isFinite(n)) throw validationError(`The parameter cannot be converted to a numeric value: ${raw}`);
  return String(n);
}

export function evaluateCondition(condition: Condition, item: Item): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluateCondition(condition.left, item) && evaluateCondition(condition.right, item);
    case 'or':
      return evaluateCondition(condition.left, item) || evaluateCondition(condition.right, item);
    case 'not':
      return !evaluateCondition(condition.operand, item);
    case 'compare': {
      const left = evaluateOperand(condition.left, item);
      const right = evaluateOperand(condition.right, item);
      if (condition.op === '=') return left !== undefined && right !== undefined && attributeEquals(left, right);
      // A missing attribute is "not equal" to any value.
      if (condition.op === '<>') return left === undefined || right === undefined || !attributeEquals(left, right);
      if (left === undefined || right === undefined) return false;
      const order = attributeCompare(left, right);
      if (order === undefined) return false;
      switch (condition.op) {
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        case '>=':
          return order >= 0;
      }
      return false;
    }
    case 'between': {
      const subject = evaluateOperand(condition.subject, item);
      const low = evaluateOperand(condition.low, item);
      const high = evaluateOperand(condition.high, item);
      if (subject === undefined || low === undefined || high === undefined) return false;
      const lowOrder = attributeCompare(low, high);
      if (lowOrder !== undefined && lowOrder > 0) {
        throw validationError('Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound');
      }
      const a = attributeCompare(subject, low);
      const b = attributeCompare(subject, high);
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    }
    case 'in': {
      const subject = evaluateOperand(condition.subject, item);
      if (subject === undefined) return false;
      return condition.list.some((operand) => {
        const value = evaluateOperand(operand, item);
        return value !== undefined && attributeEquals(subject, value);
      });
    }
    case 'function': {
      const [first, second] = condition.args;
      const target = first ? evaluateOperand(first, item) : undefined;
      switch (condition.name) {
        case 'attribute_exists':
          return target !== undefined;
        case 'attribute_not_exists':
          return target === undefined;
        case 'attribute_type': {
          const wanted = second ? evaluateOperand(second, item) : undefined;
          return target !== undefined && wanted !== undefined && 'S' in wanted && typeOf(target) === wanted.S;
        }
        case 'begins_with': {
          const prefix = second ? evaluateOperand(second, item) : undefined;
          if (target === undefined || prefix === undefined) return false;
          if ('S' in target && 'S' in prefix) return target.S.startsWith(prefix.S);
          if ('B' in target && 'B' in prefix) return compareBytes(target.B.slice(0, prefix.B.length), prefix.B) === 0;
          return false;
        }
        case 'contains': {
          const needle = second ? evaluateOperand(second, item) : undefined;
          if (target === undefined || needle === undefined) return false;
          if ('S' in target && 'S' in needle) return target.S.includes(needle.S);
          if ('SS' in target && 'S' in needle) return target.SS.includes(needle.S);
          if ('NS' in target && 'N' in needle) return target.NS.some((n) => Number(n) === Number(needle.N));
          if ('BS' in target && 'B' in needle) return target.BS.some((b) => bytesEqual(b, needle.B));
          if ('L' in target) return target.L.some((v) => attributeEquals(v, needle));
          return false;
        }
      }
    }
  }
}

// ---- updates -----------------------------------------------------------------------------------

function invalidPath(): SimulatedServiceError {
  return validationError('The document path provided in the update expression is invalid for update');
}

function setPath(item: Item, path: Path, value: AttributeValue): void {
  const [first, ...rest] = path;
  if (!first || first.kind !== 'name') throw invalidPath();
  if (rest.length === 0) {
    item[first.name] = value;
    return;
  }
  const container = item[first.name];
  if (container === undefined) throw invalidPath();
  item[first.name] = setInside(container, rest, value);
}

function setInside(container: AttributeValue, path: Path, value: AttributeValue): AttributeValue {
  const [head, ...rest] = path;
  if (!head) return value;
  if (head.kind === 'name') {
    if (!('M' in container)) throw invalidPath();
    const child = container.M[head.name];
    if (rest.length > 0 && child === undefined) throw invalidPath();
    return { M: { ...container.M, [head.name]: rest.length === 0 ? value : setInside(child as AttributeValue, rest, value) } };
  }
  if (!('L' in container)) throw invalidPath();
  const list = [...container.L];
  if (rest.length === 0) {
    // An index past the end appends, as DynamoDB does.
    if (head.index >= list.length) list.push(value);
    else list[head.index] = value;
  } else {
    const child = list[head.index];
    if (child === undefined) throw invalidPath();
    list[head.index] = setInside(child, rest, value);
  }
  return { L: list };
}

function removePath(item: Item, path: Path): void {
  const [first, ...rest] = path;
  if (!first || first.kind !== 'name') throw invalidPath();
  if (rest.length === 0) {
    delete item[first.name];
    return;
  }
  const container = item[first.name];
  if (container === undefined) return;
  item[first.name] = removeInside(container, rest);
}

function removeInside(container: AttributeValue, path: Path): AttributeValue {
  const [head, ...rest] = path;
  if (!head) return container;
  if (head.kind === 'name') {
    if (!('M' in container)) return container;
    const map = { ...container.M };
    if (rest.length === 0) delete map[head.name];
    else if (map[head.name] !== undefined) map[head.name] = removeInside(map[head.name] as AttributeValue, rest);
    return { M: map };
  }
  if (!('L' in container)) return container;
  const list = [...container.L];
  if (rest.length === 0) list.splice(head.index, 1);
  else if (list[head.index] !== undefined) list[head.index] = removeInside(list[head.index] as AttributeValue, rest);
  return { L: list };
}

/**
 * Applies an update to a copy of `item`. Every right-hand side is evaluated against the item as it
 * was before the update, as DynamoDB does.
 */
export function applyUpdate(item: Item, plan: UpdatePlan): Item {
  const before = item;
  const after: Item = structuredClone(item);
  const sets = plan.set.map((action) => {
    const value = evaluateOperand(action.value, before);
    if (value === undefined) throw validationError('The provided expression refers to an attribute that does not exist in the item');
    return { path: action.path, value };
  });
  for (const { path, value } of sets) setPath(after, path, value);
  for (const path of plan.remove) removePath(after, path);
  for (const action of plan.add) {
    const value = evaluateOperand(action.value, before);
    const current = resolvePath(before, action.path);
    if (value === undefined) throw validationError('The provided expression refers to an attribute that does not exist in the item');
    let next: AttributeValue;
    if ('N' in value) {
      if (current !== undefined && !('N' in current)) throw validationError('An operand in the update expression has an incorrect data type');
      next = { N: normalizeNumber(String(Number(current && 'N' in current ? current.N : '0') + Number(value.N))) };
    } else if ('SS' in value || 'NS' in value || 'BS' in value) {
      if (current !== undefined && typeOf(current) !== typeOf(value)) throw validationError('An operand in the update expression has an incorrect data type');
      next = unionSets(current, value);
    } else {
      throw validationError(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${typeOf(value)}`);
    }
    setPath(after, action.path, next);
  }
  for (const action of plan.delete) {
    const value = evaluateOperand(action.value, before);
    const current = resolvePath(before, action.path);
    if (value === undefined || !('SS' in value || 'NS' in value || 'BS' in value)) {
      throw validationError(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${value ? typeOf(value) : 'NULL'}`);
    }
    if (current === undefined) continue;
    if (typeOf(current) !== typeOf(value)) throw validationError('An operand in the update expression has an incorrect data type');
    const remaining = subtractSets(current, value);
    if (remaining === undefined) removePath(after, action.path);
    else setPath(after, action.path, remaining);
  }
  return after;
}

function unionSets(current: AttributeValue | undefined, added: AttributeValue): AttributeValue {
  if ('SS' in added) return { SS: [...new Set([...(current && 'SS' in current ? current.SS : []), ...added.SS])] };
  if ('NS' in added) {
    const existing = current && 'NS' in current ? current.NS : [];
    return { NS: [...existing, ...added.NS.filter((n) => !existing.some((e) => Number(e) === Number(n)))] };
  }
  if ('BS' in added) {
    const existing = current && 'BS' in current ? current.BS : [];
    return { BS: [...existing, ...added.BS.filter((b) => !existing.some((e) => bytesEqual(e, b)))] };
  }
  return added;
}

function subtractSets(current: AttributeValue, removed: AttributeValue): AttributeValue | undefined {
  let out: AttributeValue;
  if ('SS' in current && 'SS' in removed) out = { SS: current.SS.filter((s) => !removed.SS.includes(s)) };
  else if ('NS' in current && 'NS' in removed) out = { NS: current.NS.filter((n) => !removed.NS.some((r) => Number(r) === Number(n))) };
  else if ('BS' in current && 'BS' in removed) out = { BS: current.BS.filter((b) => !removed.BS.some((r) => bytesEqual(r, b))) };
  else return current;
  return sizeOf(out) === 0 ? undefined : out;
}

/** The attributes of `item` named by a projection, nested maps kept as nested maps. */
export function project(item: Item, paths: readonly Path[]): Item {
  const out: Item = {};
  for (const path of paths) {
    const value = resolvePath(item, path);
    if (value === undefined) continue;
    const names = path.filter((e): e is { kind: 'name'; name: string } => e.kind === 'name');
    if (names.length !== path.length || names.length === 1) {
      // Top-level attribute (or a path through a list): keep the whole top-level attribute.
      const top = path[0];
      if (top?.kind === 'name' && item[top.name] !== undefined) out[top.name] = item[top.name] as AttributeValue;
      continue;
    }
    const [first, ...rest] = names;
    if (!first) continue;
    let container = out[first.name];
    const build = (node: AttributeValue | undefined, remaining: typeof names): AttributeValue => {
      const [head, ...tail] = remaining;
      if (!head) return value;
      const map = node && 'M' in node ? { ...node.M } : {};
      map[head.name] = build(map[head.name], tail);
      return { M: map };
    };
    container = build(container, rest);
    out[first.name] = container;
  }
  return out;
}
