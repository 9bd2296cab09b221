/**
 * Untrusted text made safe to show a person. Titles, descriptions, runtime process names, paths
 * and command lines, tags, alarm names and reasons come from whoever wrote the finding or owns the
 * instance, often the attacker (anyone may tag their own instance; runtime findings quote the
 * attacker's own command line; a forged game-day event writes whatever it likes). Shown as they
 * are, they can hide or reorder text (U+202E RIGHT-TO-LEFT OVERRIDE, U+200B ZERO WIDTH SPACE,
 * the U+2066–U+2069 isolates), turn into a clickable link in mail and chat clients, page a whole
 * channel (`<!channel>`, `@here`), or render as markup. Every such string goes through
 * `neutralizeText` before it reaches an alert's subject or body:
 * - Unicode format characters (category Cf) and control characters (Cc, line and paragraph
 *   separators, lone surrogates) are removed; in one-line text line breaks become spaces;
 * - links are defanged: `http://` → `hxxp://`, `https://` → `hxxps://`, any other `scheme://` →
 *   `scheme[:]//`, and the dots of host names (in links and bare, `evil.example.com`, in any script,
 *   `www.пример.com`, and the dots IDNA reads as dots; a bare one on a top-level domain `LINKED_TLDS`
 *   lacks when it starts with `www.` or a path or port follows it) → `[.]`;
 * - markup chat tools render is made inert: `<` and `>` become `‹` and `›` (Slack's `<!here>`,
 *   `<@U123>`, `<http://x|y>`, HTML tags, markdown autolinks), `@` becomes `(at)` (`@here`,
 *   `@channel`, `@everyone`, Teams and Discord mentions), and markdown links and images lose the
 *   `](` that makes them links;
 * - the result is capped in length (in code points), the cut marked with `...` (`capped`, which
 *   the alert's own text uses too).
 * The post-incident report's Markdown reuses the first two steps (`visibleLine`, `defangLinks`)
 * and escapes Markdown itself. The operator commands print stored and AWS-provided text through
 * `terminalText`, which shows each control and format character as its `\u` escape: a terminal
 * runs escape sequences (ESC `]0;` retitles the window, ESC `[2J` clears it, C1 U+009B starts one
 * too), and the bidi overrides reorder what the operator reads; the lines they print one field per
 * line go through `terminalLine`, which escapes the line feed too. The HTML report removes them
 * (`visibleLine`), as the Markdown one does.
 * Pure: used by the alert builder and the operator tools, testable without AWS.
 */

/** Format (Cf) and control (Cc) characters, line/paragraph separators (Zl/Zp) and lone surrogates (Cs). */
const INVISIBLE_OR_CONTROL = /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** The same, minus the line feed that multi-line text keeps. */
const INVISIBLE_OR_CONTROL_EXCEPT_NEWLINE = /[^\P{Cc}\n]|[\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** Line breaks, tabs and the like: one-line text shows each run of them as one space. */
const LINE_BREAKS = /[\r\n\t\v\f\u0085\u2028\u2029]+/g;
/** A CR LF or a lone CR: multi-line text keeps it as a line feed. */
const CARRIAGE_RETURN = /\r\n?/g;
/**
 * Any character outside printable ASCII. Every character the four patterns above remove or replace
 * is one: text without any (most ids, names and sentences) is left as it is, unscanned.
 */
export const OUTSIDE_PRINTABLE_ASCII = /[^\x20-\x7E]/;
/** Two spaces or more, shown as one. Global, so for `replace` only: `test` or `exec` would keep a `lastIndex` between texts. */
export const SPACE_RUN = / {2,}/g;

/** `scheme://`: any URI scheme followed by the authority marker (the whole run of scheme characters, so `xhttp://` cannot hide `http://`). */
const SCHEME = /(?<![A-Za-z])([A-Za-z][A-Za-z0-9+.-]*):\/\//g;
/**
 * A dotted host name: labels of letters, digits and hyphens ending in a top-level label of 2–24
 * letters (`evil.com`, `EVIL.COM`, `c2.example.net`) or an A-label (`xn--p1ai`), checked against
 * `LINKED_TLDS` below. Letters, digits and combining marks of any script (review-alerts, row 7d): an
 * internationalized name (`www.пример.com`, `café.com`, `例え.jp`) is a link in mail and chat clients
 * as its ASCII form is, and a label holding a mark IDNA drops or folds (U+034F COMBINING GRAPHEME
 * JOINER is invisible; a combining acute makes `café` again) resolves to the name without it. The
 * dots are any IDNA reads as a dot: `.`, U+3002, U+FF0E and U+FF61
 * (https://www.unicode.org/reports/tr46/#Notation, "label separators").
 */
const HOST_NAME = /(?<![\p{L}\p{N}\p{M}-])(?:[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]{0,62}[\p{L}\p{N}\p{M}])?[.\u3002\uFF0E\uFF61])+(\p{L}[\p{L}\p{M}]{1,23}|xn--[A-Za-z0-9-]{1,59})(?![\p{L}\p{N}\p{M}-])/gu;
/** A dot of a host name, as IDNA reads one (see `HOST_NAME`). */
const HOST_DOT = /[.\u3002\uFF0E\uFF61]/g;
/** A combining mark: not part of the top-level domain as the list is checked. */
const COMBINING_MARK = /\p{M}/gu;

/**
 * A dotted run of 127 labels or more (review-5q, row 7h): longer than any DNS name (253 characters),
 * so no host name, and defanged whole before `HOST_NAME` runs. `HOST_NAME` is tried from every label
 * of a run and each try walks the run to its end: on a run of n labels that is n² steps. 64 KiB of
 * `a。a。…` took 67 s, past publish-alert's 30 s timeout (a step's error cause, up to 32 KiB, is
 * neutralized uncut), and a finding's 8 KiB description 1.8 s. With the long runs gone, a try walks at most 126 labels. Labels and dots are disjoint
 * classes, so this one matches or fails in one walk of its run.
 */
const LONG_DOTTED_RUN = /(?<![\p{L}\p{N}\p{M}-])(?:[\p{L}\p{N}\p{M}-]+[.\u3002\uFF0E\uFF61]){126,}[\p{L}\p{N}\p{M}-]+/gu;

/** A host name with each of its dots as `[.]`. */
const defangedDots = (host: string) => host.replace(HOST_DOT, '[.]');

/**
 * Top-level domains whose bare host names are defanged: every two-letter (country) one and the
 * generic ones mail and chat clients link and attackers favour. Text such as `aws.guardduty` or
 * `detail.severity` (event sources, field paths) ends in no such domain, cannot be a link, and is
 * left readable. A name with a scheme (`http://…`) is defanged whatever its domain. Not every
 * generic domain of the root zone (IANA lists about 1,000): that list would put
 * update-security-hub-finding, which neutralizes its note with this module, past its bundle budget
 * (test/bench/bundles.test.ts); a name on another one is defanged when it starts with `www.` or a
 * path or port follows it, and the hosts a finding names wherever the alert shows them.
 */
const LINKED_TLDS = new Set(
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

function isLinkedTld(tld: string): boolean {
  const lower = tld.replace(COMBINING_MARK, '').toLowerCase();
  return lower.length === 2 || LINKED_TLDS.has(lower);
}

/**
 * What makes mail and chat clients link a host name whatever its top-level domain: a `www.` in
 * front, or a path or a port after it. `www.approve-firebreak.horse` and `ops.firebreak.rocks:8443/ok`
 * are links in Outlook, Gmail and Slack, and most real top-level domains are not in `LINKED_TLDS`.
 */
const WWW_PREFIX = /^www[.\u3002\uFF0E\uFF61]/i;
const PATH_OR_PORT_AFTER = /^(?:\/|:\d)/;

/** An EC2 instance type (`m5.large`, `c7gn.16xlarge`, `u-6tb1.metal`): a size, not a host, left as it is. */
const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)$/;

/** The host part right after a defanged scheme (IP addresses included): up to a path, port, query, space or quote. */
const AFTER_SCHEME = /((?:hxxps?:|[A-Za-z][A-Za-z0-9+.-]*\[:\])\/\/)([^\s/?#:"'‹›()[\]]+)/g;

/** Any `http://` or `https://`, whatever the case, for the last defanging pass. */
const LIVE_HTTP = /(h)tt(ps?):\/\//gi;

/**
 * What every `HOST_NAME` match holds: a label character, a dot, and the first two letters (or a
 * letter and a mark) of the top-level label. Text without it (most ids, ARNs, times and sentences) cannot hold a host name,
 * and the lookbehind regex, slow over long text, is not run on it.
 */
const HOST_NAME_HINT = /[\p{L}\p{N}\p{M}][.\u3002\uFF0E\uFF61]\p{L}[\p{L}\p{M}]/u;

/** Defangs links: schemes, then the hosts after them, then bare host names. */
export function defangLinks(text: string): string {
  // Every scheme and link rule needs a `//`, and no rule adds one: text without it skips them all.
  const hasSlashes = text.includes('//');
  let out = text;
  if (hasSlashes) {
    out = out
      .replace(SCHEME, (_, scheme: string) => {
        const lower = scheme.toLowerCase();
        if (lower === 'http') return 'hxxp://';
        if (lower === 'https') return 'hxxps://';
        return `${scheme}[:]//`;
      })
      .replace(AFTER_SCHEME, (_, prefix: string, host: string) => `${prefix}${defangedDots(host)}`);
  }
  if (HOST_NAME_HINT.test(out)) {
    out = out.replace(LONG_DOTTED_RUN, defangedDots).replace(HOST_NAME, (host: string, tld: string, at: number, whole: string) => {
      const linked = isLinkedTld(tld) || WWW_PREFIX.test(host) || PATH_OR_PORT_AFTER.test(whole.slice(at + host.length, at + host.length + 2));
      return !linked || EC2_INSTANCE_TYPE.test(host) ? host : defangedDots(host);
    });
  }
  // Belt and braces: whatever the rules above missed, no http(s):// leaves this function.
  return hasSlashes ? out.replace(LIVE_HTTP, (_, h: string, rest: string) => `${h}xx${rest}://`) : out;
}

/**
 * A remote host or IP address a finding names (a queried domain, a caller's IP), each of its dots
 * as `[.]` whatever its top-level domain: the attacker picks their own C2 domain, on any of the
 * top-level domains `LINKED_TLDS` does not list, and the alert calls it defanged.
 */
export function defangHost(host: string): string {
  return host.replaceAll('.', '[.]');
}

/** A regular-expression special character, escaped to match itself. */
const REGEX_SPECIAL = /[.*+?^${}()|[\]\\]/g;

/**
 * `text` with each of `hosts` (the remote domains and IPs a finding names, whatever their case or
 * trailing dot) defanged wherever it appears, as a word: Firebreak's own lines name them too (the
 * domain block-dns-domain blocked), and `defangLinks` leaves a name on an unlisted top-level domain live.
 */
export function defangNamedHosts(text: string, hosts: readonly string[]): string {
  let out = text;
  const lower = text.toLowerCase();
  for (const host of hosts) {
    const name = host.trim().replace(/\.$/, '');
    // Most lines name none of them: no expression is built for a host the text does not hold.
    if (!name.includes('.') || !lower.includes(name.toLowerCase())) continue;
    const word = new RegExp(`(?<![A-Za-z0-9-])${name.replace(REGEX_SPECIAL, '\\$&')}(?![A-Za-z0-9-])`, 'gi');
    out = out.replace(word, defangHost);
  }
  return out;
}

/** The characters `inertMarkup` rewrites: text without any is already inert. */
const MARKUP_HINT = /[<>@\]]/;
/** A markdown link or image: `](`, spaces allowed between. */
const MARKDOWN_LINK = /\]\s*\(/g;

/** Makes mentions, links and tags of Slack, Teams, Discord, markdown and HTML inert. */
function inertMarkup(text: string): string {
  if (!MARKUP_HINT.test(text)) return text;
  return text.replaceAll('<', '‹').replaceAll('>', '›').replaceAll('@', '(at)').replace(MARKDOWN_LINK, '] (');
}

/** Where the first `count` code points of `text` end (a UTF-16 index; the end of the text if it has fewer). */
function codePointsEnd(text: string, count: number): number {
  let end = 0;
  // A surrogate pair is one code point (above U+FFFF); a lone surrogate is one on its own.
  for (let points = 0; points < count && end < text.length; points += 1) end += text.codePointAt(end)! > 0xffff ? 2 : 1;
  return end;
}

/** A UTF-16 surrogate, half of a code point above U+FFFF (or a lone one). */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Cuts to `max` code points, marking the cut with `...`: the result never has more than `max`. */
export function capped(text: string, max: number): string {
  // At most `max` UTF-16 code units is at most `max` code points: nothing to count.
  if (text.length <= max) return text;
  // No room for the mark: the first `max` code points alone, since a cap is what the text must fit
  // in (a chat title, an SMS), and `...` would overrun it.
  if (max < 3) return text.slice(0, codePointsEnd(text, max));
  // Without a surrogate, each UTF-16 code unit is a code point.
  if (!SURROGATE.test(text)) return `${text.slice(0, max - 3)}...`;
  // Walked in place rather than split into an array of characters.
  if (codePointsEnd(text, max) === text.length) return text;
  return `${text.slice(0, codePointsEnd(text, max - 3))}...`;
}

/** Untrusted text on one line (each run of line breaks a space), without format or control characters. */
export function visibleLine(text: string): string {
  return !OUTSIDE_PRINTABLE_ASCII.test(text) ? text : text.replace(LINE_BREAKS, ' ').replace(INVISIBLE_OR_CONTROL, '');
}

/** Any character but printable ASCII and the line feed: text without one is already terminal-safe. */
const OUTSIDE_PRINTABLE_ASCII_OR_NEWLINE = /[^\x20-\x7E\n]/;

/** A character as its `\uXXXX` escape (a code point above U+FFFF as its two halves, as JSON writes it). */
function unicodeEscape(character: string): string {
  let escaped = '';
  for (let index = 0; index < character.length; index += 1) escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`;
  return escaped;
}

/**
 * Text as a terminal may print it: every control character but the line feed, and every format
 * character, line or paragraph separator and lone surrogate, shown as its `\uXXXX` escape rather
 * than run. Escaped rather than removed, so that the operator sees the text was tampered with, and
 * so that JSON output stays the same JSON: such a character is only ever inside a JSON string,
 * where its escape means the character itself.
 */
export function terminalText(text: string): string {
  return OUTSIDE_PRINTABLE_ASCII_OR_NEWLINE.test(text) ? text.replace(INVISIBLE_OR_CONTROL_EXCEPT_NEWLINE, unicodeEscape) : text;
}

/**
 * `text` in printable ASCII only: every other character as the escape `terminalLine` prints
 * (`\uXXXX` per UTF-16 unit), for a name that must never read as another (a look-alike field name).
 */
export function printableAsciiEscaped(text: string): string {
  return OUTSIDE_PRINTABLE_ASCII.test(text) ? text.replace(/[^\x20-\x7e]/gu, unicodeEscape) : text;
}

/**
 * What `terminalLine` escapes: `INVISIBLE_OR_CONTROL`, and every blank that is no ASCII space (the
 * space separators U+00A0, U+1680, U+2000–U+200A, U+202F, U+205F, U+3000, the Hangul fillers, U+2800
 * BRAILLE PATTERN BLANK). None is a control or format character, but a run of them pads a field to
 * the width of the screen unseen (U+3000 is two columns wide), so that what follows starts a screen
 * line of its own (row 14g); escaped, each shows as the six visible characters of its escape.
 */
const LINE_UNSAFE = /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\u115F\u1160\u3164\uFFA0\u2800]/gu;

/**
 * A line a terminal prints, or one field of it: as `terminalText`, and the line feed escaped too. A line
 * feed runs nothing, but it starts a line of the text's own that reads as the command's (a forged
 * `target:` or `approving:` line under the approval request, a forged `released` row in the
 * incident list), so text that fills one line never brings one; and the blanks that are no ASCII
 * space (`LINE_UNSAFE`).
 */
export function terminalLine(text: string): string {
  return OUTSIDE_PRINTABLE_ASCII.test(text) ? text.replace(LINE_UNSAFE, unicodeEscape) : text;
}

/**
 * What a terminal shows blank: every space separator (U+0020, U+00A0, U+2000–U+200A, U+3000…) and
 * the letters drawn empty (the Hangul fillers, U+2800 BRAILLE PATTERN BLANK), which no escape of
 * `terminalLine` touches.
 */
const BLANK_RUN = /[\p{Zs}\u115F\u1160\u3164\uFFA0\u2800]+/gu;

/**
 * One untrusted field of a line the operator is asked to confirm (row 14f): as `terminalLine`, each
 * run of blanks shown as one space, and at most `max` code points, the cut saying how much is not
 * shown. A terminal wraps a long line: blanks padding a field to the width of the screen start a
 * line of the field's own there (a forged `target:` under the real finding line), and a field of
 * thousands of characters pushes the rest of the request screens away from the question.
 */
export function terminalField(text: string, max: number): string {
  const tidy = text.replace(BLANK_RUN, ' ').trim();
  const points = Array.from(tidy);
  const shown = points.length <= max ? tidy : `${points.slice(0, max).join('')}… (${points.length - max} more characters not shown)`;
  return terminalLine(shown);
}

/**
 * One untrusted field of a line whose columns are aligned with ASCII spaces (`firebreak incidents`,
 * `firebreak incident`): each run of ASCII spaces one space, trimmed (row 14i). `terminalLine` escapes
 * every other blank (row 14g) but leaves ASCII spaces for the alignment: a record's fact of 200
 * characters, most of them spaces, pads a row past the screen's width, so that what follows prints at
 * the start of a screen line, as a row of its own.
 */
export function spacedField(text: string): string {
  return text.replace(/ {2,}/g, ' ').replace(/^ | $/g, '');
}

export interface NeutralizeOptions {
  /** Keep line breaks (multi-line text such as a description); default: one line. */
  readonly multiline?: boolean;
}

/**
 * Untrusted text as it may be shown: no format or control character, links defanged, chat markup
 * inert, at most `max` code points (see the module comment).
 */
export function neutralizeText(text: string, max: number, options: NeutralizeOptions = {}): string {
  const visible = !options.multiline
    ? visibleLine(text)
    : OUTSIDE_PRINTABLE_ASCII.test(text)
      ? text.replace(CARRIAGE_RETURN, '\n').replace(INVISIBLE_OR_CONTROL_EXCEPT_NEWLINE, (c) => (c === '\t' ? ' ' : ''))
      : text;
  const safe = inertMarkup(defangLinks(visible));
  const tidy = safe.includes('  ') ? safe.replace(SPACE_RUN, ' ') : safe;
  return capped(options.multiline ? tidy : tidy.trim(), max);
}

/**
 * A double quote and what reads as one (review-alerts, row 7e): curly, low and reversed quotes,
 * double primes, modifier letters, gershayim, ditto marks, CJK and fullwidth quotes, guillemets,
 * ornaments, and every character Unicode's confusables.txt maps to `"` (U+02F6 MODIFIER LETTER
 * MIDDLE DOUBLE ACUTE ACCENT, U+05F2 HEBREW LIGATURE YIDDISH DOUBLE YOD, U+1CD3 VEDIC SIGN
 * NIHSHVASA: review-5q, row 7i; https://www.unicode.org/Public/security/latest/confusables.txt).
 * Any of them closes a quotation to the eye as well as `"` does.
 */
const DOUBLE_QUOTE_LIKE = /["\u00AB\u00BB\u02BA\u02DD\u02EE\u02F6\u05F2\u05F4\u1CD3\u201C-\u201F\u2033\u2036\u275D-\u2760\u2E42\u3003\u301D-\u301F\uFF02\u{1F676}-\u{1F678}]/gu;

/**
 * Untrusted text quoted as evidence: neutralized, one line, inside double quotes (its own double
 * quotes, and every character that reads as one, become single ones, so it cannot close the quote
 * and continue as Firebreak's words).
 */
export function quoteUntrusted(text: string, max: number): string {
  // Capped again: the spaces kept between single quotes may lengthen it.
  return `"${capped(neutralizeText(text, max).replace(DOUBLE_QUOTE_LIKE, "'").replace(SINGLE_QUOTE_PAIR, '$1 '), max)}"`;
}

/**
 * A single quote, apostrophe, prime or accent followed by another: two of them side by side read
 * as a double quote (`''`), including the single quote a double one became above. A space keeps
 * them apart; one alone, as in O'Brien, is left as written.
 */
const SINGLE_QUOTE_PAIR = /(['`\u00B4\u02B9\u02BB-\u02BD\u2018-\u201B\u2032\u2035\uFF07])(?=['`\u00B4\u02B9\u02BB-\u02BD\u2018-\u201B\u2032\u2035\uFF07])/gu;

/** A word a POSIX shell reads as it is: letters, digits and `_ . / + = , % -` only (no `@`: the alert shows it `(at)`). */
const SHELL_PLAIN_WORD = /^[A-Za-z0-9_./+=,%-]+$/;

/**
 * Untrusted text as one POSIX shell word, for a command a person is asked to paste (an AWS CLI line
 * in an alert): left as it is when it holds only characters no shell gives a meaning to, else
 * single-quoted, each of its own single quotes written `'\''`, so that nothing in it (`$( )`,
 * backticks, `;`, `|`) is run. An Auto Scaling group's name may hold any ASCII character 33 to 126
 * but the colon (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html),
 * and whoever may create a group chooses it (row 3r).
 */
export function shellWord(text: string): string {
  return SHELL_PLAIN_WORD.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
