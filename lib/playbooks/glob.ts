/**
 * The one glob dialect playbooks use for GuardDuty finding types and CloudWatch alarm names:
 * `*` matches any run of characters (including none); every other character is literal and
 * case-sensitive. No `?`, no character classes, no escaping: finding types contain `.`, `!`, `&`
 * and `/` (e.g. `Backdoor:EC2/C&CActivity.B!DNS`), and people should be able to paste them as-is.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Compiles a glob into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`, 's');
}

/**
 * Compiled globs, by glob: the deployment's playbooks have a few dozen, and triage tests them on
 * every event. Bounded (cleared when full), since a caller could pass globs without end.
 */
const compiled = new Map<string, RegExp>();
const COMPILED_MAX = 1024;

/** True when `value` matches `glob` (`*` = any run of characters, everything else literal). */
export function matchesGlob(glob: string, value: string): boolean {
  let pattern = compiled.get(glob);
  if (pattern === undefined) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    pattern = globToRegExp(glob);
    compiled.set(glob, pattern);
  }
  // No `g` or `y` flag: test() keeps no state between calls, so one RegExp serves every caller.
  return pattern.test(value);
}

/** True when `value` matches at least one of `globs`. */
export function matchesAnyGlob(globs: readonly string[], value: string): boolean {
  return globs.some((glob) => matchesGlob(glob, value));
}

/** The first glob of `globs` that `value` matches, if any (for human reasons). */
export function firstMatchingGlob(globs: readonly string[], value: string): string | undefined {
  return globs.find((glob) => matchesGlob(glob, value));
}

/**
 * True when some string matches both globs. Decided exactly: walk both patterns at once; a `*`
 * may absorb the other side's next character or be dropped. Memoised, so O(|a|·|b|).
 */
export function globsOverlap(a: string, b: string): boolean {
  const seen = new Set<number>();
  const width = b.length + 1;
  const walk = (i: number, j: number): boolean => {
    if (i === a.length && j === b.length) return true;
    const key = i * width + j;
    if (seen.has(key)) return false;
    seen.add(key);
    const ca = a[i];
    const cb = b[j];
    if (ca === '*' && walk(i + 1, j)) return true;
    if (cb === '*' && walk(i, j + 1)) return true;
    if (ca === undefined || cb === undefined) return false;
    if (ca === '*' && cb !== '*') return walk(i, j + 1);
    if (cb === '*' && ca !== '*') return walk(i + 1, j);
    if (ca === '*' && cb === '*') return walk(i + 1, j) || walk(i, j + 1);
    return ca === cb && walk(i + 1, j + 1);
  };
  return walk(0, 0);
}
