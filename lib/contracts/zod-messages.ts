/**
 * zod's English issue messages, word for word, for the issues the Lambdas' schemas can raise
 * (lib/contracts/zod-mini.ts configures them). zod's own English locale (`zod/locales` `en`) also
 * names some thirty string formats (e-mail, UUID, JWT, IBAN…) that no Lambda schema checks; this
 * copy keeps only the formats the Lambdas use and is about 1 KB smaller in every bundle. An
 * unlisted format still reads `Invalid <format>`.
 */
import type { core } from 'zod/mini';

/** What zod's English locale calls the string formats the Lambdas' schemas check. */
const FORMAT_NAMES: Readonly<Record<string, string>> = { datetime: 'ISO datetime', template_literal: 'input' };

/** The string checks whose message quotes their argument: what the string must do, and the issue field holding the argument. */
const AFFIX_CHECKS: Readonly<Record<string, readonly [string, string]>> = { starts_with: ['start with', 'prefix'], ends_with: ['end with', 'suffix'], includes: ['include', 'includes'] };

/** The units of a size limit, by what is measured (zod's English locale). */
const SIZE_UNITS: Readonly<Record<string, string>> = { string: 'characters', file: 'bytes', array: 'items', set: 'items', map: 'entries' };

/** What zod calls the type of a value it received (zod's `util.parsedType`, with `nan` shown as `NaN`). */
function receivedType(input: unknown): string {
  if (typeof input === 'number') return Number.isNaN(input) ? 'NaN' : Number.isFinite(input) ? 'number' : String(input);
  if (typeof input !== 'object') return typeof input;
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  const constructor = (input as { constructor?: { name?: string } }).constructor;
  return Object.getPrototypeOf(input) !== Object.prototype && constructor ? String(constructor.name) : 'object';
}

const quoted = (value: unknown): string => (typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? `"${value}"` : String(value));

/** The message of one issue, as zod's English locale words it. */
export function englishMessage(issue: core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${issue.expected === 'nan' ? 'NaN' : issue.expected}, received ${receivedType(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `Invalid input: expected ${quoted(issue.values[0])}` : `Invalid option: expected one of ${issue.values.map(quoted).join('|')}`;
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const adjective = issue.exact ? 'exactly ' : `${big ? '<' : '>'}${issue.inclusive ? '=' : ''}`;
      const limit = String(big ? issue.maximum : issue.minimum);
      const unit = SIZE_UNITS[issue.origin];
      const origin = big ? (issue.origin ?? 'value') : issue.origin;
      return `Too ${big ? 'big' : 'small'}: expected ${origin} to ${unit ? `have ${adjective}${limit} ${unit}` : `be ${adjective}${limit}`}`;
    }
    case 'invalid_format': {
      const format = issue as core.$ZodIssueInvalidStringFormat & Readonly<Record<string, unknown>>;
      const affix = AFFIX_CHECKS[format.format];
      if (affix) return `Invalid string: must ${affix[0]} "${String(format[affix[1]])}"`;
      if (format.format === 'regex') return `Invalid string: must match pattern ${String(format.pattern)}`;
      return `Invalid ${FORMAT_NAMES[format.format] ?? format.format}`;
    }
    case 'not_multiple_of':
      return `Invalid number: must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.map(quoted).join(', ')}`;
    case 'invalid_key':
      return `Invalid key in ${issue.origin}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown }).options;
      if (Array.isArray(options) && options.length > 0) return `Invalid discriminator value. Expected ${options.map((option) => `'${String(option)}'`).join(' | ')}`;
      return (issue as { inclusive?: boolean }).inclusive === false ? 'Invalid input: more than one option matched' : 'Invalid input';
    }
    case 'invalid_element':
      return `Invalid value in ${issue.origin}`;
    default:
      return 'Invalid input';
  }
}
