/**
 * The error vocabulary of playbook files. Every problem names the file, the line and column when
 * known, and says what is wrong in words a security engineer reviewing a playbook understands,
 * formatted `file:line:col: message` so editors and CI logs make it clickable.
 */
import { FirebreakError } from '../contracts/errors';

export interface PlaybookError {
  readonly file: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
  readonly message: string;
}

/** `file:line:col: message` (line and column left out when unknown). */
export function formatPlaybookError(error: PlaybookError): string {
  const position = [error.file, error.line, error.line === undefined ? undefined : error.column]
    .filter((part) => part !== undefined)
    .join(':');
  return `${position}: ${error.message}`;
}

/** Orders errors by file, then line, then column, so output reads top to bottom. */
export function sortPlaybookErrors(errors: readonly PlaybookError[]): PlaybookError[] {
  return [...errors].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.message.localeCompare(b.message),
  );
}

/** One or more playbook files are invalid; `errors` lists every problem found, not only the first. */
export class PlaybookValidationError extends FirebreakError {
  override readonly name = 'PlaybookValidationError';
  readonly errors: readonly PlaybookError[];

  constructor(errors: readonly PlaybookError[], options?: { cause?: unknown }) {
    const sorted = sortPlaybookErrors(errors);
    super(sorted.map(formatPlaybookError).join('\n'), options);
    this.errors = sorted;
  }
}

/**
 * Edit distance for "did you mean" suggestions: insertions, deletions, substitutions and, as one
 * edit, two neighbouring letters swapped (optimal string alignment). Swapped letters are the
 * commonest typo (`--resaon`, `prority`); counted as two edits, `--resaon` is as near `--region`
 * as `--reason`.
 */
export function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (beforePrevious[j - 2] ?? 0) + 1);
      current.push(best);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The candidate nearest to `input` by edit distance, case ignored (the first of equals), and that distance. */
export function nearestByEditDistance<T extends string>(input: string, candidates: readonly T[]): { readonly name: T; readonly distance: number } | undefined {
  const lowered = input.toLowerCase();
  let best: { name: T; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lowered, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  return best;
}

/**
 * The candidate closest to `input` (case-insensitive edit distance), when it is close enough to
 * be a plausible typo: at most a third of the longer word, and never more than 6 edits; failing
 * that, a candidate that `input` truncates or extends.
 */
export function closestName(input: string, candidates: readonly string[]): string | undefined {
  const lowered = input.toLowerCase();
  const best = nearestByEditDistance(input, candidates);
  if (best !== undefined) {
    const limit = Math.min(6, Math.max(2, Math.ceil(Math.max(input.length, best.name.length) / 3)));
    if (best.distance <= limit) return best.name;
  }
  // A truncated or over-long name ("quarantine" for "quarantine-instance", "maximum" for "max")
  // is a typo too, however many characters apart.
  const prefixed = candidates.filter((candidate) => {
    const other = candidate.toLowerCase();
    return Math.min(lowered.length, other.length) >= 3 && (other.startsWith(lowered) || lowered.startsWith(other));
  });
  return [...prefixed].sort((a, b) => a.length - b.length)[0];
}

/** ` (did you mean 'x'?)` or the empty string. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const suggestion = closestName(input, candidates);
  return suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`;
}
