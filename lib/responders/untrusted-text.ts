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
 *   `scheme[:]//`, and the dots of host names (in links and bare, `evil.example.com`) → `[.]`;
 * - markup chat tools render is made inert: `<` and `>` become `‹` and `›` (Slack's `<!here>`,
 *   `<@U123>`, `<http://x|y>`, HTML tags, markdown autolinks), `@` becomes `(at)` (`@here`,
 *   `@channel`, `@everyone`, Teams and Discord mentions), and markdown links and images lose the
 *   `](` that makes them links;
 * - the result is capped in length (in code points), the cut marked with `...`.
 * Pure: used by the alert builder, testable without AWS.
 */

/** Format (Cf) and control (Cc) characters, line/paragraph separators (Zl/Zp) and lone surrogates (Cs). */
const INVISIBLE_OR_CONTROL = /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** The same, minus the line feed that multi-line text keeps. */
const INVISIBLE_OR_CONTROL_EXCEPT_NEWLINE = /[^\P{Cc}\n]|[\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** `scheme://`: any URI scheme followed by the authority marker (the whole run of scheme characters, so `xhttp://` cannot hide `http://`). */
const SCHEME = /(?<![A-Za-z])([A-Za-z][A-Za-z0-9+.-]*):\/\//g;
/**
 * A dotted host name: labels of letters, digits and hyphens ending in a top-level label of 2–24
 * letters (`evil.com`, `EVIL.COM`, `c2.example.net`), checked against `LINKED_TLDS` below.
 */
const HOST_NAME = /(?<![A-Za-z0-9-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])/g;

/**
 * Top-level domains whose bare host names are defanged: every two-letter (country) one and the
 * generic ones mail and chat clients link and attackers favour. Text such as `aws.guardduty` or
 * `detail.severity` (event sources, field paths) ends in no such domain, cannot be a link, and is
 * left readable. A name with a scheme (`http://…`) is defanged whatever its domain.
 */
const LINKED_TLDS = new Set(
  (
    'com net org info biz io co xyz top online site club app dev page ru cn su tk ml ga cf gq pw cc me tv ws ' +
    'live shop store tech space fun icu buzz link click work rest cyou monster sbs zip mov lol win bid loan ' +
    'download review party stream trade date racing science men cricket kim country gdn host press website ' +
    'cloud email digital network services solutions support today world life news blog pro mobi name asia ' +
    'tel travel jobs cat int edu gov mil arpa onion xin vip ltd group one best plus run codes tools quest ' +
    'bar art ink wiki center company business agency'
  ).split(' '),
);

function isLinkedTld(tld: string): boolean {
  const lower = tld.toLowerCase();
  return lower.length === 2 || LINKED_TLDS.has(lower);
}

/** An EC2 instance type (`m5.large`, `c7gn.16xlarge`, `u-6tb1.metal`): a size, not a host, left as it is. */
const EC2_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)$/;

/** The host part right after a defanged scheme (IP addresses included): up to a path, port, query, space or quote. */
const AFTER_SCHEME = /((?:hxxps?:|[A-Za-z][A-Za-z0-9+.-]*\[:\])\/\/)([^\s/?#:"'‹›()[\]]+)/g;

/** Defangs links: schemes, then the hosts after them, then bare host names. */
function defang(text: string): string {
  return text
    .replace(SCHEME, (_, scheme: string) => {
      const lower = scheme.toLowerCase();
      if (lower === 'http') return 'hxxp://';
      if (lower === 'https') return 'hxxps://';
      return `${scheme}[:]//`;
    })
    .replace(AFTER_SCHEME, (_, prefix: string, host: string) => `${prefix}${host.replace(/\./g, '[.]')}`)
    .replace(HOST_NAME, (host, tld: string) => (!isLinkedTld(tld) || EC2_INSTANCE_TYPE.test(host) ? host : host.replace(/\./g, '[.]')))
    // Belt and braces: whatever the rules above missed, no http(s):// leaves this function.
    .replace(/(h)tt(ps?):\/\//gi, (_, h: string, rest: string) => `${h}xx${rest}://`);
}

/** Makes mentions, links and tags of Slack, Teams, Discord, markdown and HTML inert. */
function inertMarkup(text: string): string {
  return text
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/@/g, '(at)')
    .replace(/\]\s*\(/g, '] (');
}

/** Cuts to `max` code points, marking the cut. */
function capped(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 3)).join('')}...`;
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
  const visible = options.multiline
    ? text.replace(/\r\n?/g, '\n').replace(INVISIBLE_OR_CONTROL_EXCEPT_NEWLINE, (c) => (c === '\t' ? ' ' : ''))
    : text.replace(/[\r\n\t\v\f\u0085\u2028\u2029]+/g, ' ').replace(INVISIBLE_OR_CONTROL, '');
  const safe = inertMarkup(defang(visible));
  const tidy = options.multiline ? safe.replace(/[ ]{2,}/g, ' ') : safe.replace(/ {2,}/g, ' ').trim();
  return capped(tidy, max);
}

/**
 * Untrusted text quoted as evidence: neutralized, one line, inside double quotes (its own double
 * quotes become single ones, so it cannot close the quote and continue as Firebreak's words).
 */
export function quoteUntrusted(text: string, max: number): string {
  return `"${neutralizeText(text, max).replace(/"/g, "'")}"`;
}
