// neutralizeText skips each of its regexes when a cheap check proves it cannot match, and cuts
// without splitting the text into characters. Neutralization is a security property, so the fast
// version must give exactly what the straightforward one gave: that one is kept here, as it was
// before the fast paths, and both are run over text built from the characters each rule reacts to.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NeutralizeOptions } from '../../lib/responders/untrusted-text';
import { neutralizeText, quoteUntrusted, shellWord, terminalField, terminalLine, terminalText } from '../../lib/responders/untrusted-text';

const REFERENCE_LINKED_TLDS = new Set(
  (
    'com net org info biz io co xyz top online site club app dev page ru cn su tk ml ga cf gq pw cc me tv ws ' +
    'live shop store tech space fun icu buzz link click work rest cyou monster sbs zip mov lol win bid loan ' +
    'download review party stream trade date racing science men cricket kim country gdn host press website ' +
    'cloud email digital network services solutions support today world life news blog pro mobi name asia ' +
    'tel travel jobs cat int edu gov mil arpa onion xin vip ltd group one best plus run codes tools quest ' +
    'bar art ink wiki center company business agency help security secure zone team ninja systems guru fyi ' +
    'bond cfd beauty hair makeup skin autos boats homes yachts baby mom pics lat cam uno sale cash money bank'
  ).split(' '),
);

/** neutralizeText as it was before its fast paths: every regex run on every text, the cut through Array.from. */
function referenceNeutralizeText(text: string, max: number, options: NeutralizeOptions = {}): string {
  const defang = (input: string): string =>
    input
      .replace(/(?<![A-Za-z])([A-Za-z][A-Za-z0-9+.-]*):\/\//g, (_, scheme: string) => {
        const lower = scheme.toLowerCase();
        if (lower === 'http') return 'hxxp://';
        if (lower === 'https') return 'hxxps://';
        return `${scheme}[:]//`;
      })
      .replace(/((?:hxxps?:|[A-Za-z][A-Za-z0-9+.-]*\[:\])\/\/)([^\s/?#:"'‹›()[\]]+)/g, (_, prefix: string, host: string) => `${prefix}${host.replace(/[.\u3002\uFF0E\uFF61]/g, '[.]')}`)
      // Labels of letters, digits and marks of any script, and any dot IDNA reads as one (row 7d).
      .replace(/(?<![\p{L}\p{N}\p{M}-])(?:[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]{0,62}[\p{L}\p{N}\p{M}])?[.\u3002\uFF0E\uFF61])+(\p{L}[\p{L}\p{M}]{1,23}|xn--[A-Za-z0-9-]{1,59})(?![\p{L}\p{N}\p{M}-])/gu, (host: string, tld: string, at: number, whole: string) => {
        const lower = tld.replace(/\p{M}/gu, '').toLowerCase();
        const after = whole.slice(at + host.length);
        // Any top-level domain once `www.` leads or a path or port follows: clients link those.
        const linked = lower.length === 2 || REFERENCE_LINKED_TLDS.has(lower) || /^www[.\u3002\uFF0E\uFF61]/i.test(host) || after.startsWith('/') || /^:\d/.test(after);
        const instanceType = /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)$/.test(host);
        return !linked || instanceType ? host : host.replace(/[.\u3002\uFF0E\uFF61]/g, '[.]');
      })
      .replace(/(h)tt(ps?):\/\//gi, (_, h: string, rest: string) => `${h}xx${rest}://`);
  const inertMarkup = (input: string): string =>
    input
      .replace(/</g, '‹')
      .replace(/>/g, '›')
      .replace(/@/g, '(at)')
      .replace(/\]\s*\(/g, '] (');
  // Below a cap of 3 there is no room for the `...`: the first `max` code points alone (the cap
  // holds; no caller passes one so small).
  const capped = (input: string): string => {
    const chars = Array.from(input);
    if (chars.length <= max) return input;
    return max < 3 ? chars.slice(0, max).join('') : `${chars.slice(0, max - 3).join('')}...`;
  };
  const visible = options.multiline
    ? text.replace(/\r\n?/g, '\n').replace(/[^\P{Cc}\n]|[\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, (c) => (c === '\t' ? ' ' : ''))
    : text.replace(/[\r\n\t\v\f\u0085\u2028\u2029]+/g, ' ').replace(/[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\p{Cs}]/gu, '');
  const safe = inertMarkup(defang(visible));
  const tidy = options.multiline ? safe.replace(/[ ]{2,}/g, ' ') : safe.replace(/ {2,}/g, ' ').trim();
  return capped(tidy);
}

/** Pieces each rule reacts to: schemes, hosts, dots, slashes, colons, brackets, markup, spaces, controls, invisible and astral characters. */
const FRAGMENTS = [
  'http', 'https', 'HTTPS', 'hxxp', 'ftp', 'x+y-z.1', 'ｈｔｔｐ', '://', ':', '/', '//', '[:]', '[:]//', '.', '..', '[.]',
  'com', 'io', 'IO', 'onion', 'horse', 'security', 'www', 'WWW.', ':8443', 'guardduty', 'evil', 'example', 'c2', 'm5', 'large', '16xlarge', 'metal-2xl', 'c7gn', 'u-6tb1',
  'a', 'Z', '0', '9', '-', '_', 'a'.repeat(63), 'b'.repeat(64), ' ', '  ', '\t', '\n', '\r', '\r\n', '\v', '\f',
  '<', '>', '@', '[', ']', '(', ')', '](', '] (', '!', '|', '"', "'", '?', '#', '‹', '›', '&', '$1', '$&',
  '\u0000', '\u001F', '\u007F', '\u0085', '\u00A0', '\u00AD', '\u200B', '\u202E', '\u2028', '\u2029', '\u2066', '\u3000', '\uFEFF',
  'é', 'ß', 'и', '例', '\u{1F600}', '\uD83D', '\uDE00', '\u{E0041}',
  // Row 7d: labels in other scripts, marks (U+034F invisible, U+0301 combining acute), IDNA's dots, A-labels.
  'пример', 'рф', '例え', '\u034F', '\u0301', '\u3002', '\uFF0E', '\uFF61', 'xn--p1ai', '²',
];

const fragmentText = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((parts) => parts.join(''));
const anyText = fc.oneof(fragmentText, fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'ab.:/[]<>@( \n\u{1F600}'), maxLength: 120 }));
/** Caps as callers pass them (whole numbers of code points), small ones included so that the cut is exercised often. */
const max = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom(80, 256, 400, 4000));

describe('neutralizeText', () => {
  it('property: gives exactly what the reference (no fast paths) gives, one-line and multi-line', () => {
    fc.assert(
      fc.property(anyText, max, fc.boolean(), (text, cap, multiline) => {
        expect(neutralizeText(text, cap, { multiline })).toBe(referenceNeutralizeText(text, cap, { multiline }));
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives exactly what the reference gives on links, hosts, instance types and markup written out', () => {
    const texts = [
      'see https://evil.example.com/login and HTTP://10.0.0.1:8080/x',
      'ftp://files.example.org and xhttp://a.b and hxxps://already.io/p and s3[:]//bucket.name/key',
      'c7gn.16xlarge u-6tb1.metal m5.large aws.guardduty detail.severity evil.com EVIL.IO',
      '<!channel> <@U024BE7LH> <http://x.io|the fix> [reset](https://evil.io/r) ![x]  (http://t.co/p.png)',
      `${'a'.repeat(63)}.com ${'b'.repeat(64)}.com`,
      '  padded \u202E text\u200B with\r\nbreaks\tand\u2028separators  ',
      '\u{1F600}'.repeat(50),
      'www.approve.help/i-0abc c2.attacker.horse ops.firebreak.unlisted:8443 ops.firebreak.unlisted: 8 aws.guardduty/x',
    ];
    for (const text of texts) {
      for (const cap of [0, 3, 10, 80, 400]) {
        for (const multiline of [false, true]) {
          expect(neutralizeText(text, cap, { multiline })).toBe(referenceNeutralizeText(text, cap, { multiline }));
        }
      }
    }
  });
});

describe('terminalText', () => {
  const UNSAFE = /[^\P{Cc}\n]|[\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

  it('shows escape sequences, C1 controls and bidi overrides as \\u escapes, and keeps lines and the rest as they are', () => {
    expect(terminalText('i-\u001b]0;pwned\u0007\u001b[2J')).toBe('i-\\u001b]0;pwned\\u0007\\u001b[2J');
    expect(terminalText('a\u009b2Jb\r\u202Egnp.exe\u{E0041}')).toBe('a\\u009b2Jb\\u000d\\u202egnp.exe\\udb40\\udc41');
    expect(terminalText('line one\nlíne twö 例 \u{1F600}')).toBe('line one\nlíne twö 例 \u{1F600}');
  });

  it('property: leaves no control or format character but the line feed, and JSON output parses to the same value', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(terminalText(text)).not.toMatch(UNSAFE);
        expect(JSON.parse(terminalText(JSON.stringify({ text }, null, 2)))).toEqual({ text });
      }),
      { numRuns: 5000 },
    );
  });
});

describe('terminalLine', () => {
  it('is terminalText with the line feed escaped too: one line whatever the text', () => {
    expect(terminalLine('i-0abc\n  approving: nothing\r\n\u001b[2J\u202E')).toBe('i-0abc\\u000a  approving: nothing\\u000d\\u000a\\u001b[2J\\u202e');
    expect(terminalLine('líne twö 例 \u{1F600}')).toBe('líne twö 例 \u{1F600}');
  });

  it('escapes every blank that is no ASCII space, which would pad a field to the width of the screen unseen (row 14g)', () => {
    expect(terminalLine('a \u3000b\u00a0c\u2003d\u3164e\u2800f\u202fg')).toBe('a \\u3000b\\u00a0c\\u2003d\\u3164e\\u2800f\\u202fg');
  });

  it('property: leaves no control or format character at all', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(terminalLine(text)).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('terminalField (row 14f)', () => {
  it('is terminalLine with each run of blanks one space, trimmed, and cut at max code points saying how much is not shown', () => {
    expect(terminalField(`a${' '.repeat(900)}b\u3000\u3000c\u3164\u2800\u00a0d \n e `, 100)).toBe('a b c d \\u000a e');
    expect(terminalField('\u{1F600}'.repeat(5), 3)).toBe('\u{1F600}\u{1F600}\u{1F600}… (2 more characters not shown)');
    expect(terminalField('i-0abc1234def567890', 300)).toBe('i-0abc1234def567890');
  });

  it('property: no run of blanks and no control or format character', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(terminalField(text, 50)).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]|[\p{Zs}\u115f\u1160\u3164\uffa0\u2800]{2}/u);
      }),
      { numRuns: 1000 },
    );
  });

  // Re-review of row 14f: the line and paragraph separators, NEL, a tab, zero-width characters and
  // combining marks between the blanks, and a cut that falls inside what matters.
  it('tried (rereview-operator): no separator, tab or zero-width character starts a line or hides between blanks, and a cut says so', () => {
    const forged = 'target:    ec2-instance, instanceId i-0fffffffffffffff0';
    for (const separator of ['\u2028', '\u2029', '\u0085', '\t', '\u000b', '\u000c', '\u200b', '\u200d', '\ufeff', '\u2060', '\u180e']) {
      const shown = terminalField(`Port probe${` ${separator}`.repeat(400)}${forged}`, 300);
      // Each shows as its visible escape: the padding is text a person sees, not blanks.
      expect(shown).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|\s{2}/u);
      expect(shown).toContain(`\\u${separator.codePointAt(0)!.toString(16).padStart(4, '0')}`);
      expect(shown).toMatch(/more characters not shown\)$/);
    }
    // Combining marks stack on one character (one column): they pad nothing.
    expect(terminalField(`a${'\u0301'.repeat(1_000)}b`, 300)).toBe(`a${'\u0301'.repeat(299)}… (702 more characters not shown)`);
    // A cut inside an id says that it cut: the id shown is never a whole other id.
    expect(terminalField(`instanceId i-0abc1234def567890${'x'.repeat(400)}`, 20)).toBe('instanceId i-0abc123… (410 more characters not shown)');
  });
});

describe('shellWord', () => {
  // What /bin/sh makes of the word: the text itself, and nothing run (row 3r).
  const asShellReadsIt = (word: string) => execFileSync('/bin/sh', ['-c', `printf %s ${word}`], { encoding: 'utf8' });

  it('ATTACK (review-3q): any Auto Scaling group name (ASCII 33 to 126, no colon) reaches the shell as one word, run by nothing', () => {
    for (const name of ['web$(id)', 'a;id', '`id`', "it's", "'$(id)'", 'x|sh', 'a&&b', '"q"', 'w\\n', '$HOME', 'a#b', '~root', '*', '{a,b}']) {
      expect(asShellReadsIt(shellWord(name))).toBe(name);
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 33, max: 126 }).filter((c) => c !== 58).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }), (name) => {
        expect(asShellReadsIt(shellWord(name))).toBe(name);
      }),
      { numRuns: 40 },
    );
  });

  it('leaves a name no shell gives a meaning to as it is', () => {
    expect(shellWord('web-asg_1.prod/blue')).toBe('web-asg_1.prod/blue');
    expect(shellWord('a@b')).toBe("'a@b'");
  });
});

describe('review-5q: the host-name scan on long attacker-written text (row 7h)', () => {
  // Quadratic before row 7h: a match is tried from every label of a dotted run, and each try walks the
  // run to its end. With 7d's Unicode classes and U+3002, 64 KiB took 69 s (publish-alert's timeout is 30 s).
  const cases: readonly (readonly [string, string])[] = [
    ['U+3002 dots', `a.bb ${'a\u3002'.repeat(32 * 1024)}`],
    ['ASCII dots', `a.bb ${'a.'.repeat(32 * 1024)}`],
    ['hyphenated labels', `a.bb ${'a-a\uFF0E'.repeat(16 * 1024)}`],
    ['labels with marks', `a.bb ${`a${'\u0301'.repeat(60)}\uFF61`.repeat(1024)}`],
    // The worst left: runs of 126 labels, each a host name's longest, each tried from every label.
    ['runs of 126 labels', `a.bb ${`${'a\u3002'.repeat(125)}a `.repeat(260)}`],
  ];
  for (const [name, text] of cases) {
    // The runs of 126 labels are the bound the fix leaves (about 300 ms before and after it).
    const label = name === 'runs of 126 labels' ? 'tried' : 'ATTACK';
    it(`${label} (review-5q): 64 KiB of one-letter labels (${name}) are neutralized in well under a second, not minutes`, { timeout: 20_000 }, () => {
      const started = performance.now();
      const out = neutralizeText(text, 4000, { multiline: true });
      expect(performance.now() - started).toBeLessThan(1500);
      expect(out.startsWith('a[.]bb ')).toBe(true);
    });
  }

  it('tried (review-5q): a dotted run longer than any host name (127 labels) is defanged whole: no live `evil.com` is left between two defanged parts', () => {
    const text = `${'x.'.repeat(126)}evil.com.zz.${'y.'.repeat(10)}io`;
    const out = neutralizeText(text, 4000);
    expect(out).not.toMatch(/[\p{L}\p{N}][.\u3002\uFF0E\uFF61][\p{L}\p{N}]/u);
    expect(out).toContain('evil[.]com[.]zz');
  });

  it('tried (review-5q): host names up to 127 labels are defanged as before, and instance types and unlinked names stay', () => {
    const host = `${'a.'.repeat(125)}evil.com`;
    expect(neutralizeText(host, 4000)).toBe(host.replaceAll('.', '[.]'));
    expect(neutralizeText('m5.large on ops.firebreak.unlisted', 400)).toBe('m5.large on ops.firebreak.unlisted');
  });
});

describe('quoteUntrusted (review-5q, row 7i)', () => {
  it('ATTACK (review-5q): the double-quote look-alikes of Unicode\'s confusables (U+02F6, U+05F2, U+1CD3) cannot close the quote', () => {
    for (const lookAlike of ['\u02F6', '\u05F2', '\u1CD3']) {
      const quoted = quoteUntrusted(`web-1${lookAlike}, approved by the security team: ${lookAlike}ok`, 200);
      expect(quoted.slice(1, -1)).not.toContain(lookAlike);
      expect(quoted).toBe(`"web-1', approved by the security team: 'ok"`);
    }
  });

  it('two apostrophes, primes or the single quote a double one became, side by side, are kept apart so that they never read as a closing double quote', () => {
    expect(quoteUntrusted("web-1'' is benign, approved: ''ok", 200)).toBe(`"web-1' ' is benign, approved: ' 'ok"`);
    expect(quoteUntrusted(`web-1'", done`, 200)).toBe(`"web-1' ', done"`);
    expect(quoteUntrusted('a\u2019\u2019b \u2032\u2032c `\u00B4d', 200)).toBe('"a\u2019 \u2019b \u2032 \u2032c ` \u00B4d"');
    // One apostrophe, as in most names, is left as written.
    expect(quoteUntrusted("O'Brien's laptop", 200)).toBe(`"O'Brien's laptop"`);
    // The spaces never take the quotation past its cap.
    expect(quoteUntrusted("'".repeat(50), 20)).toBe(`"${"' ".repeat(8)}'..."`);
  });
});
