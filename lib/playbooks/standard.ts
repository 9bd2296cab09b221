/**
 * The standard the shipped playbooks are held to: a playbook says why it does what it does, in
 * comments and in its description (docs/playbooks.md, "Writing a new playbook"). `npm test` fails a
 * playbook in playbooks/ that falls short of it (test/playbooks/shipped.test.ts); `firebreak
 * validate` warns about any playbook that does, so that a playbook it passes does not fail the
 * tests unannounced. A warning never makes a playbook invalid: a deployment's own playbooks may
 * be terser.
 */
import type { PlaybookError } from './errors';

/** The description is longer than this many characters. */
export const DESCRIPTION_LENGTH_OVER = 150;

/** At least this many comment lines (the editor's `yaml-language-server` line not counted). */
export const MIN_COMMENT_LINES = 3;

const HELD_TO_IT = 'and npm test holds every playbook in playbooks/ to it';

/** The comment lines of a playbook file, the editor's schema line left out. */
export function commentLineCount(text: string): number {
  return text.split('\n').filter((line) => /^\s*#/.test(line) && !line.includes('yaml-language-server')).length;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Where a playbook falls short of the standard, as `file:line:col` problems; none when it meets it. */
export function standardShortfalls(file: string, text: string, description: string, descriptionAt?: { readonly line: number; readonly column: number }): PlaybookError[] {
  const shortfalls: PlaybookError[] = [];
  const comments = commentLineCount(text);
  if (comments < MIN_COMMENT_LINES) {
    shortfalls.push({
      file,
      line: 1,
      column: 1,
      message: `${count(comments, 'comment line')}; the shipped playbooks' standard asks for at least ${MIN_COMMENT_LINES} (why the playbook does what it does, and the AWS documentation behind it), ${HELD_TO_IT}`,
    });
  }
  if (description.length <= DESCRIPTION_LENGTH_OVER) {
    shortfalls.push({
      file,
      ...descriptionAt,
      message: `description is ${count(description.length, 'character')}; the shipped playbooks' standard asks for more than ${DESCRIPTION_LENGTH_OVER} (what the playbook protects against, why these steps, what it does not do), ${HELD_TO_IT}`,
    });
  }
  return shortfalls;
}
