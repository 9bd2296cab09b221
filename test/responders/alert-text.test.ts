// toPrintableAscii and capped return short or plain ASCII text without the work the rest needs
// (normalization, splitting into characters). The subject and the chat title are built from
// untrusted text, so the fast versions must give exactly what the straightforward ones give: those
// are kept here, and both are run over text of ASCII, marks, ligatures, quotes, dashes, whitespace
// and astral characters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toPrintableAscii } from '../../lib/responders/alert-text';
import { capped } from '../../lib/responders/untrusted-text';

const REFERENCE_TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', đ: 'd', Đ: 'D', ł: 'l', Ł: 'L',
  þ: 'th', Þ: 'Th', ð: 'd', Ð: 'D', ı: 'i', ħ: 'h', Ħ: 'H',
  '‘': "'", '’': "'", '‚': "'", '′': "'", '“': '"', '”': '"', '„': '"', '″': '"', '«': '"', '»': '"',
  '‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-', '―': '-', '−': '-', '…': '...', '•': '*', '·': '.', '×': 'x',
};

/** toPrintableAscii as it was: every text normalized and scanned. */
function referenceToPrintableAscii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7E]/g, (c) => (/\s/.test(c) ? ' ' : (REFERENCE_TRANSLITERATIONS[c] ?? '')))
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** capped without its fast paths: every text split into its code points; below a cap of 3, no room for the `...`. */
function referenceCapped(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return max < 3 ? chars.slice(0, max).join('') : `${chars.slice(0, max - 3).join('')}...`;
}

const FRAGMENTS = [
  'a', 'Z', '0', ' ', '  ', '\t', '\n', '\u00A0', '\u2003', '\u3000', '~', '"', "'", '<', '.', 'http://x.io',
  'é', 'e\u0301', 'ﬁ', 'ｈｔｔｐ', '²', 'ß', 'Æ', 'ł', '’', '“', '«', '—', '…', '•', '·', '×', 'и', '例',
  '\u200B', '\u202E', '\u0000', '\u007F', '\u{1F600}', '\uD83D', '\uDE00',
];
const anyText = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...'ab ~\u00E9\u{1F600}'), maxLength: 120 }),
);

describe('toPrintableAscii', () => {
  it('property: gives exactly what the reference (every text normalized) gives', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(toPrintableAscii(text)).toBe(referenceToPrintableAscii(text));
      }),
      { numRuns: 10_000 },
    );
  });
});

/** Caps as callers pass them, small ones included so that the cut, and a cap with no room for the mark, are exercised often. */
const anyCap = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom(100, 250, 280));

describe('capped', () => {
  it('property: gives exactly what the reference (every text split into code points) gives', () => {
    fc.assert(
      fc.property(anyText, anyCap, (text, max) => {
        expect(capped(text, max)).toBe(referenceCapped(text, max));
      }),
      { numRuns: 10_000 },
    );
  });

  it('property: never gives more than `max` code points, and marks the cut whenever there is room', () => {
    fc.assert(
      fc.property(anyText, anyCap, (text, max) => {
        const result = capped(text, max);
        const points = Array.from(result).length;
        expect(points).toBeLessThanOrEqual(max);
        if (result !== text && max >= 3) expect(result.endsWith('...')).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('keeps the first code points alone below a cap of 3, a surrogate pair whole', () => {
    expect(capped('abcdef', 0)).toBe('');
    expect(capped('abcdef', 2)).toBe('ab');
    expect(capped('\u{1F600}\u{1F600}\u{1F600}', 1)).toBe('\u{1F600}');
    expect(capped('abcdef', 3)).toBe('...');
    expect(capped('abcdef', 5)).toBe('ab...');
  });
});
