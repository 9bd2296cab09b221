/**
 * EventBridge event-pattern matching, as the Amazon EventBridge User Guide describes it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html). Pure.
 *
 * - Every field the pattern names must be in the event with the same nesting (AND across fields);
 *   a field's array lists alternatives (OR). Values match exactly: strings case-sensitively,
 *   numbers by value, `true`/`false`/`null` as themselves, `""` an empty string.
 * - When the event's value is an array, the field matches if any element matches; an array of
 *   objects is matched element by element (the fields of one nested pattern from one element);
 *   arrays nested in arrays count as their elements.
 * - Operators: `prefix`, `suffix` (each also with `equals-ignore-case`), `equals-ignore-case`,
 *   `wildcard` (`*`, `\*` for a literal star), `anything-but` (a value, a list, or `prefix`,
 *   `suffix`, `equals-ignore-case`, `wildcard`), `numeric` (`=`, `<`, `<=`, `>`, `>=`, one or two
 *   comparisons, numbers only), `exists` (true/false, leaf fields only), `cidr`, and `$or`.
 */
import { FirebreakError } from '../contracts/errors';

/** A pattern EventBridge would refuse (PutRule answers InvalidEventPatternException). */
export class InvalidEventPatternError extends FirebreakError {
  override readonly name = 'InvalidEventPatternError';
}

type Json = unknown;
type Leaf = string | number | boolean | null;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}

/**
 * `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. EventBridge
 * refuses two wildcards in a row and a backslash before anything else (PutRule answers
 * InvalidEventPatternException), so they are refused here too, not read as something it never runs:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching
 */
function wildcardRegex(pattern: string, where: string): RegExp {
  let body = '';
  let previousWildcard = false;
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (char === '\\') {
      const escaped = pattern[index + 1];
      if (escaped !== '*' && escaped !== '\\') throw new InvalidEventPatternError(`${where}: a backslash escapes only * and \\ in a wildcard, got ${JSON.stringify(pattern)}`);
      body += `\\${escaped}`;
      index += 1;
      previousWildcard = false;
    } else if (char === '*') {
      if (previousWildcard) throw new InvalidEventPatternError(`${where}: consecutive wildcard characters are not supported, got ${JSON.stringify(pattern)}`);
      body += '.*';
      previousWildcard = true;
    } else {
      body += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      previousWildcard = false;
    }
  }
  return new RegExp(`^${body}$`, 's');
}

function ipv4ToBigInt(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return undefined;
  return parts.reduce((sum, part) => (sum << 8n) + BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(text: string): bigint | undefined {
  if (!text.includes(':')) return undefined;
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headParts.length - tailParts.length;
  if (tail === undefined ? headParts.length !== 8 : missing < 0) return undefined;
  const groups = [...headParts, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailParts];
  if (groups.some((group) => !/^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return groups.reduce((sum, group) => (sum << 16n) + BigInt(parseInt(group, 16)), 0n);
}

/**
 * A CIDR block: an IPv4 or IPv6 network and a prefix no longer than the address. Anything else is
 * refused, as PutRule refuses it, rather than kept as a rule that never matches
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-ip-matching).
 */
function cidrBlock(cidr: unknown, where: string): { readonly base: bigint; readonly v4: boolean; readonly shift: bigint } {
  const [network = '', bits = '', ...rest] = typeof cidr === 'string' ? cidr.split('/') : [];
  const v4 = ipv4ToBigInt(network);
  const base = v4 ?? ipv6ToBigInt(network);
  const width = v4 !== undefined ? 32 : 128;
  if (base === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > width) {
    throw new InvalidEventPatternError(`${where}: expects a CIDR block (an IPv4 or IPv6 network and a prefix length), got ${JSON.stringify(cidr)}`);
  }
  return { base, v4: v4 !== undefined, shift: BigInt(width - Number(bits)) };
}

function inCidr(block: { readonly base: bigint; readonly v4: boolean; readonly shift: bigint }, value: string): boolean {
  const address = block.v4 ? ipv4ToBigInt(value) : ipv6ToBigInt(value);
  return address !== undefined && block.base >> block.shift === address >> block.shift;
}

/** A string or a `{ equals-ignore-case: string }` operand of prefix/suffix. */
function textOperand(operand: unknown, where: string): { text: string; ignoreCase: boolean } {
  if (typeof operand === 'string') return { text: operand, ignoreCase: false };
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string' && Object.keys(operand).length === 1) {
    return { text: operand['equals-ignore-case'], ignoreCase: true };
  }
  throw new InvalidEventPatternError(`${where}: expects a string or { "equals-ignore-case": string }`);
}

function strings(operand: unknown, where: string): string[] {
  const list = Array.isArray(operand) ? operand : [operand];
  if (list.length === 0 || list.some((item) => typeof item !== 'string')) throw new InvalidEventPatternError(`${where}: expects a string or a list of strings`);
  return list as string[];
}

const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

/** One matcher of a leaf array: does it accept this scalar event value? */
function matcherAccepts(matcher: unknown, value: Leaf, where: string): boolean {
  if (!isObject(matcher)) {
    if (typeof matcher === 'number') return typeof value === 'number' && value === matcher;
    return matcher === value;
  }
  const keys = Object.keys(matcher);
  if (keys.length !== 1) throw new InvalidEventPatternError(`${where}: a matcher object has exactly one operator, got ${keys.join(', ') || 'none'}`);
  const operator = keys[0] as string;
  const operand = matcher[operator];
  const text = typeof value === 'string' ? value : undefined;
  switch (operator) {
    case 'prefix': {
      const { text: prefix, ignoreCase } = textOperand(operand, `${where}.prefix`);
      if (text === undefined) return false;
      return ignoreCase ? text.toLowerCase().startsWith(prefix.toLowerCase()) : text.startsWith(prefix);
    }
    case 'suffix': {
      const { text: suffix, ignoreCase } = textOperand(operand, `${where}.suffix`);
      if (text === undefined) return false;
      return ignoreCase ? text.toLowerCase().endsWith(suffix.toLowerCase()) : text.endsWith(suffix);
    }
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new InvalidEventPatternError(`${where}.equals-ignore-case: expects a string`);
      return text !== undefined && text.toLowerCase() === operand.toLowerCase();
    case 'wildcard':
      if (typeof operand !== 'string') throw new InvalidEventPatternError(`${where}.wildcard: expects a string`);
      return text !== undefined && wildcardRegex(operand, `${where}.wildcard`).test(text);
    case 'numeric': {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
        throw new InvalidEventPatternError(`${where}.numeric: expects [op, number] or [op, number, op, number]`);
      }
      const comparisons: [string, number][] = [];
      for (let index = 0; index < operand.length; index += 2) {
        const op = operand[index];
        const bound = operand[index + 1];
        if (typeof op !== 'string' || !NUMERIC_OPERATORS.has(op) || typeof bound !== 'number') {
          throw new InvalidEventPatternError(`${where}.numeric: '${String(op)}' ${String(bound)} is not a comparison (=, <, <=, >, >= and a number)`);
        }
        comparisons.push([op, bound]);
      }
      // `=`, `<` and `<=` stand alone; two comparisons are a lower bound then an upper one, as
      // EventBridge's rule compiler reads them (anything else is refused at PutRule):
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-numeric-matching
      const [first, second] = comparisons;
      if (second !== undefined && !((first?.[0] === '>' || first?.[0] === '>=') && (second[0] === '<' || second[0] === '<='))) {
        throw new InvalidEventPatternError(`${where}.numeric: two comparisons are a lower bound (>, >=) then an upper bound (<, <=), got ${JSON.stringify(operand)}`);
      }
      if (typeof value !== 'number') return false;
      return comparisons.every(([op, bound]) =>
        op === '=' ? value === bound : op === '<' ? value < bound : op === '<=' ? value <= bound : op === '>' ? value > bound : value >= bound,
      );
    }
    case 'cidr': {
      const block = cidrBlock(operand, `${where}.cidr`);
      return text !== undefined && inCidr(block, text);
    }
    case 'anything-but':
      return !anythingButExcludes(operand, value, `${where}.anything-but`);
    case 'exists':
      // Handled by the caller (it depends on presence, not on one value).
      return operand === true;
    default:
      throw new InvalidEventPatternError(`${where}: unknown operator '${operator}'`);
  }
}

/** True when `value` is one of the values anything-but excludes. */
function anythingButExcludes(operand: unknown, value: Leaf, where: string): boolean {
  const text = typeof value === 'string' ? value : undefined;
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1) throw new InvalidEventPatternError(`${where}: expects one of prefix, suffix, equals-ignore-case, wildcard`);
    const operator = keys[0] as string;
    const values = strings(operand[operator], `${where}.${operator}`);
    // EventBridge refuses an empty prefix or suffix here (it would exclude every string).
    if ((operator === 'prefix' || operator === 'suffix') && values.includes('')) throw new InvalidEventPatternError(`${where}.${operator}: an empty ${operator} is refused`);
    if (text === undefined) return false;
    switch (operator) {
      case 'prefix':
        return values.some((prefix) => text.startsWith(prefix));
      case 'suffix':
        return values.some((suffix) => text.endsWith(suffix));
      case 'equals-ignore-case':
        return values.some((candidate) => candidate.toLowerCase() === text.toLowerCase());
      case 'wildcard':
        return values.some((candidate) => wildcardRegex(candidate, `${where}.wildcard`).test(text));
      default:
        throw new InvalidEventPatternError(`${where}: unknown operator '${operator}'`);
    }
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
  // Only strings, or only numbers: a list mixing them is refused
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-anything-but).
  if (excluded.length === 0 || !(excluded.every((item) => typeof item === 'string') || excluded.every((item) => typeof item === 'number'))) {
    throw new InvalidEventPatternError(`${where}: expects a string, a number, a list of only strings or only numbers, or an operator object`);
  }
  return excluded.some((item) => item === value);
}

/**
 * The elements of an event array with every nested array crushed out: EventBridge matches `[["a"]]`
 * as it matches `["a"]` ("JSON Array Matching" of aws/event-ruler, the engine EventBridge runs;
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html).
 */
function crushed(value: readonly unknown[]): unknown[] {
  return value.flatMap((item) => (Array.isArray(item) ? crushed(item) : [item]));
}

/** The scalar values of an event field: the value itself, or every scalar element of an array (at any depth). */
function scalars(value: Json): Leaf[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return crushed(value).flatMap((item) => (isObject(item) ? [] : [item as Leaf]));
  if (isObject(value)) return [];
  return [value as Leaf];
}

/** Why a leaf field does not match, or undefined when it does. */
function leafMismatch(matchers: readonly unknown[], value: Json, path: string): string | undefined {
  if (matchers.length === 0) throw new InvalidEventPatternError(`${path}: an empty list matches nothing; EventBridge refuses it`);
  const values = scalars(value);
  const present = values !== undefined && values.length > 0;
  for (const matcher of matchers) {
    if (isObject(matcher) && 'exists' in matcher) {
      if (typeof matcher.exists !== 'boolean' || Object.keys(matcher).length !== 1) throw new InvalidEventPatternError(`${path}.exists: expects true or false`);
      if (matcher.exists === present) return undefined;
      continue;
    }
    if (present && values.some((item) => matcherAccepts(matcher, item, path))) return undefined;
  }
  return `${path}: ${describe(value)} does not match ${JSON.stringify(matchers)}`;
}

/** Why `event` (an object, or undefined for an absent one) does not match `pattern`, or undefined. */
function objectMismatch(pattern: Record<string, unknown>, event: Json, path: string): string | undefined {
  const object = isObject(event) ? event : {};
  for (const [key, expected] of Object.entries(pattern)) {
    const where = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(expected) || expected.length < 2 || expected.some((branch) => !isObject(branch))) {
        throw new InvalidEventPatternError(`${where}: expects a list of at least two patterns`);
      }
      const reasons = expected.map((branch) => objectMismatch(branch as Record<string, unknown>, event, path));
      if (reasons.every((reason) => reason !== undefined)) return `${where}: no alternative matches (${reasons.join('; ')})`;
      continue;
    }
    const value = object[key];
    if (Array.isArray(expected)) {
      const reason = leafMismatch(expected, value, where);
      if (reason !== undefined) return reason;
    } else if (isObject(expected)) {
      // An array of objects: one element must match the whole nested pattern.
      if (Array.isArray(value)) {
        const elements = crushed(value).filter(isObject);
        const reasons = elements.map((element) => objectMismatch(expected, element, where));
        if (elements.length === 0 || reasons.every((reason) => reason !== undefined)) {
          return reasons[0] ?? objectMismatch(expected, undefined, where);
        }
      } else {
        const reason = objectMismatch(expected, value, where);
        if (reason !== undefined) return reason;
      }
    } else {
      throw new InvalidEventPatternError(`${where}: a pattern value is a list of matchers or a nested pattern, got ${JSON.stringify(expected)}`);
    }
  }
  return undefined;
}

const validated = new WeakSet<object>();

/** Throws InvalidEventPatternError for a pattern EventBridge would refuse (checked once per pattern object). */
export function validateEventPattern(pattern: unknown, path = ''): void {
  if (path === '' && isObject(pattern) && validated.has(pattern)) return;
  if (!isObject(pattern)) throw new InvalidEventPatternError(`${path || 'the pattern'}: an event pattern is a JSON object`);
  for (const [key, expected] of Object.entries(pattern)) {
    const where = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(expected) || expected.length < 2) throw new InvalidEventPatternError(`${where}: expects a list of at least two patterns`);
      expected.forEach((branch, index) => validateEventPattern(branch, `${where}.${index}`));
    } else if (Array.isArray(expected)) {
      // Evaluating every matcher against a value checks its operator and operand.
      leafMismatch(expected, '', where);
      expected.forEach((matcher) => {
        if (!(isObject(matcher) && 'exists' in matcher)) matcherAccepts(matcher, '', where);
      });
    } else if (isObject(expected)) {
      validateEventPattern(expected, where);
    } else {
      throw new InvalidEventPatternError(`${where}: a pattern value is a list of matchers or a nested pattern, got ${JSON.stringify(expected)}`);
    }
  }
  if (path === '') validated.add(pattern);
}

/** Why an event does not match an EventBridge pattern (the first field that fails), or undefined when it matches. */
export function patternMismatch(pattern: Record<string, unknown>, event: Json): string | undefined {
  validateEventPattern(pattern);
  return objectMismatch(pattern, event, '');
}

/** True when an EventBridge pattern matches the event. */
export function matchesEventPattern(pattern: Record<string, unknown>, event: Json): boolean {
  return patternMismatch(pattern, event) === undefined;
}
