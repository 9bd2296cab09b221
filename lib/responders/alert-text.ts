/**
 * Text for an alert: printable ASCII for the SNS subject, one-line and block cuts for the message,
 * a UTF-8 byte cut for SNS's message limit, and a failure's cause in words.
 */
import { OUTSIDE_PRINTABLE_ASCII, SPACE_RUN, capped, neutralizeText } from './untrusted-text';
import { MAX_SUBJECT_LENGTH } from './alert-model';

export const MAX_LINE = 400;

const MAX_BLOCK = 4000;

// Letters NFKD does not decompose into ASCII.
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', đ: 'd', Đ: 'D', ł: 'l', Ł: 'L',
  þ: 'th', Þ: 'Th', ð: 'd', Ð: 'D', ı: 'i', ħ: 'h', Ħ: 'H',
  '‘': "'", '’': "'", '‚': "'", '′': "'", '“': '"', '”': '"', '„': '"', '″': '"', '«': '"', '»': '"',
  '‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-', '―': '-', '−': '-', '…': '...', '•': '*', '·': '.', '×': 'x',
};

/** Each character outside printable ASCII, replaced (OUTSIDE_PRINTABLE_ASCII finds whether there is one). */
const EACH_OUTSIDE_PRINTABLE_ASCII = /[^\x20-\x7E]/g;
/** A combining mark, left apart from its letter by NFKD. */
const MARK = /\p{M}/gu;
const WHITESPACE = /\s/;

/** Printable ASCII for an SNS subject: transliterated where it can be, dropped where it cannot, whitespace collapsed. */
export function toPrintableAscii(text: string): string {
  // Printable ASCII is its own NFKD form and holds no mark: only its runs of spaces change.
  const ascii = !OUTSIDE_PRINTABLE_ASCII.test(text)
    ? text
    : text
        .normalize('NFKD')
        .replace(MARK, '')
        .replace(EACH_OUTSIDE_PRINTABLE_ASCII, (c) => (WHITESPACE.test(c) ? ' ' : (TRANSLITERATIONS[c] ?? '')));
  return ascii.replace(SPACE_RUN, ' ').trim();
}

/** A valid SNS subject: ≤ 100 printable ASCII characters, no line break, cut with `...`. */
export function toSnsSubject(text: string): string {
  const ascii = toPrintableAscii(text);
  const subject = ascii.length === 0 ? 'Firebreak alert' : ascii;
  if (subject.length <= MAX_SUBJECT_LENGTH) return subject;
  return `${subject.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
}

/**
 * One line of text that may hold untrusted parts (ids, names, tags, reasons quoting them, action
 * details naming what EC2 said): neutralized (untrusted-text.ts: no format or control character,
 * links defanged, chat markup inert) and on one line, so it cannot forge a section of the alert.
 */
export function oneLine(text: string, max = MAX_LINE): string {
  return neutralizeText(text, max);
}

/** A run of control, format and line or paragraph separator characters. */
const CONTROL_RUN = /[\p{Cc}\p{Cf}\u2028\u2029]+/gu;

/**
 * One line of the deployment's own words (a playbook's advice): only line breaks and control
 * characters go, so a runbook link the playbook's author wrote stays a link.
 */
export function ownLine(text: string, max = MAX_LINE): string {
  return capped(text.replace(CONTROL_RUN, ' ').replace(SPACE_RUN, ' ').trim(), max);
}

/** Untrusted multi-line text, neutralized and indented so that none of its lines can pass for a section heading. */
export function indentedBlock(text: string, max = MAX_BLOCK): string[] {
  return neutralizeText(text, max, { multiline: true })
    .split('\n')
    .map((line) => `    ${line}`);
}

/** The first `maxBytes` bytes of UTF-8 text, never splitting a character. */
export function utf8Prefix(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, truncated: false };
  let bytes = 0;
  let out = '';
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return { text: out, truncated: true };
}

/**
 * A field of another step's result as text for the alert: a string, number or boolean as itself,
 * anything else (absent, null, an object, a list) as `unknown`. Never `String()` of an object:
 * one whose toString is not a function would throw, and the alert must not fail on a result's shape.
 */
export function fieldText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'unknown';
}

/** The items of a list field of another step's result; anything that is not a list has none. */
export function listField(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A value as text: strings as they are, anything else as indented JSON. */
export function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2) ?? fieldText(value);
  } catch {
    // A cycle or a BigInt: not from a JSON payload, and not worth failing the alert over.
    return fieldText(value);
  }
}

/** Reads a Lambda error cause (`{"errorType","errorMessage","trace"}` as a string) into one sentence. */
export function describeCause(cause: string | null | undefined): string | undefined {
  if (cause === undefined || cause === null || cause.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed !== null && typeof parsed === 'object') {
      const { errorType, errorMessage } = parsed as { errorType?: unknown; errorMessage?: unknown };
      if (typeof errorMessage === 'string') {
        return typeof errorType === 'string' ? `${errorType}: ${errorMessage}` : errorMessage;
      }
    }
  } catch {
    // Not JSON: Step Functions' own causes are plain text.
  }
  return cause;
}
