import { describe, expect, it } from 'vitest';
import { en } from 'zod/locales';
import * as z from '../../lib/contracts/zod-mini';
import { englishMessage } from '../../lib/contracts/zod-messages';

/** Every raw issue zod raises for `input` against `schema` (what a locale is handed). */
function rawIssues(schema: z.core.$ZodType, input: unknown): z.core.$ZodRawIssue[] {
  const issues: z.core.$ZodRawIssue[] = [];
  const result = z.safeParse(schema, input, {
    error: (issue) => {
      issues.push(issue);
      return undefined;
    },
  });
  // zod words an issue when its error is read.
  void result.error?.issues;
  return issues;
}

const CASES: readonly [string, z.core.$ZodType, unknown][] = [
  ['a number for a string', z.string(), 5],
  ['NaN for a number', z.number(), Number.NaN],
  ['Infinity for a number', z.number(), Number.POSITIVE_INFINITY],
  ['null, an array, a Date, a Map for an object', z.array(z.looseObject({})), [null, [], new Date(0), new Map()]],
  ['a bigint and a boolean', z.tuple([z.string(), z.string()]), [1n, true]],
  ['undefined for a required field', z.strictObject({ timeoutSeconds: z.number() }), {}],
  ['an unknown enum value', z.enum(['enforce', 'dry-run']), 'loud'],
  ['a literal', z.literal('ec2-instance'), 'other'],
  ['a short and a long string', z.array(z.string().check(z.minLength(1), z.maxLength(3))), ['', 'long']],
  ['an exact length', z.string().check(z.length(2)), 'abc'],
  ['number bounds', z.array(z.number().check(z.gte(0), z.lt(10), z.gt(1), z.lte(5))), [-1, 11, 1, 6]],
  ['array bounds', z.array(z.array(z.string()).check(z.minLength(1), z.maxLength(1))), [[], ['a', 'b']]],
  ['a multiple of', z.number().check(z.multipleOf(5)), 7],
  ['a regex', z.string().check(z.regex(/^\d{12}$/)), 'abc'],
  ['starts with, ends with, includes', z.array(z.string().check(z.startsWith('arn:'), z.endsWith(':x'), z.includes('::'))), ['bad']],
  ['an ISO datetime', z.iso.datetime({ offset: true }), 'yesterday'],
  ['unrecognized keys', z.strictObject({ a: z.string() }), { a: 'x', b: 1, c: 2 }],
  ['one unrecognized key', z.strictObject({}), { b: 1 }],
  ['a bad record key', z.record(z.enum(['a']), z.string()), { b: 'x' }],
  ['a union', z.union([z.string(), z.number()]), true],
  ['a discriminated union', z.discriminatedUnion('kind', [z.looseObject({ kind: z.literal('a') }), z.looseObject({ kind: z.literal('b') })]), { kind: 'c' }],
  ['a bad map element', z.map(z.string(), z.number()), new Map([['a', 'x']])],
  ['a bad set element and size', z.set(z.number()).check(z.maxSize(1)), new Set(['a', 'b'])],
];

describe('englishMessage', () => {
  it.each(CASES)("words %s as zod's English locale does", (_name, schema, input) => {
    const issues = rawIssues(schema, input);
    expect(issues.length).toBeGreaterThan(0);
    const english = en().localeError;
    for (const issue of issues) expect(englishMessage(issue)).toBe(english(issue));
  });

  it('names the field and the problem in the messages a responder throws', () => {
    const result = z.safeParse(z.strictObject({ mode: z.enum(['enforce', 'dry-run']), taskToken: z.string().check(z.minLength(1)) }), { mode: 'loud', taskToken: '' });
    expect(result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'mode: Invalid option: expected one of "enforce"|"dry-run"',
      'taskToken: Too small: expected string to have >=1 characters',
    ]);
  });

  it('says "Invalid <format>" for a format no Lambda checks, where zod names it', () => {
    const [issue] = rawIssues(z.email(), 'not-an-address');
    expect(en().localeError(issue as z.core.$ZodRawIssue)).toBe('Invalid email address');
    expect(englishMessage(issue as z.core.$ZodRawIssue)).toBe('Invalid email');
  });
});
