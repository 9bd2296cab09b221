/**
 * DynamoDB expressions evaluated against an item: attribute values compared and resolved by path,
 * operands and conditions (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html).
 */
import { validationError } from './dynamodb-expressions';
import type { Condition, Operand, Path } from './dynamodb-expressions';
import type { AttributeValue, Item } from './model';

export type AttributeType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'SS' | 'NS' | 'BS' | 'L' | 'M';

export function typeOf(value: AttributeValue): AttributeType {
  return Object.keys(value)[0] as AttributeType;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
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

export function sizeOf(value: AttributeValue): number | undefined {
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
