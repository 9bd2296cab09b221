import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIREBREAK_STACK_ID, FORENSIC_ROLE_STACK_ID, MEMBER_ROLE_STACK_ID } from '../../lib/stack/app';

const ROOT = resolve(import.meta.dirname, '../..');

/** Files under `dir` (relative to the repository root) whose names end with `extension`. */
function filesUnder(dir: string, extension: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(extension))
    .map((name) => join(dir, name));
}

const DOCS = ['README.md', ...filesUnder('docs', '.md')];
const SOURCES = filesUnder('lib', '.ts');
const STACK_IDS = [FIREBREAK_STACK_ID, MEMBER_ROLE_STACK_ID, FORENSIC_ROLE_STACK_ID];

/** Each `file:line: text` of `files` where `pattern` matches. */
function occurrences(files: readonly string[], pattern: RegExp): string[] {
  return files.flatMap((file) =>
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line, index) => [...line.matchAll(pattern)].map((match) => `${file}:${index + 1}: ${match[0]}`)),
  );
}

describe('the commands the docs and the CLI messages tell a user to run', () => {
  it('name the stack to `npx cdk deploy`: the app has several, and CDK refuses the command without one', () => {
    const bare = new RegExp(`npx cdk deploy(?! (?:${STACK_IDS.join('|')})\\b)[^\`'"]*`, 'g');
    expect(occurrences([...DOCS, ...SOURCES], bare)).toEqual([]);
  });

  // The CLI runs from a clone (the package is not published): `firebreak` is on no PATH, and a
  // command copied from a code block must go through npx, as the README's quick start does.
  it('run the firebreak CLI through npx in code blocks: a clone puts no `firebreak` on the PATH', () => {
    const bare = DOCS.flatMap((file) => {
      let fenced = false;
      return readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, index) => {
          if (line.startsWith('```')) fenced = !fenced;
          else if (fenced && /^\s*firebreak [a-z]/.test(line)) return [`${file}:${index + 1}: ${line.trim()}`];
          return [];
        });
    });
    expect(bare).toEqual([]);
  });

  it('use event files of the repository, which a fresh clone has', () => {
    const eventFile = /[\w./-]*events\/[\w.-]+\.json/g;
    const outside = occurrences(DOCS, eventFile).filter((hit) => {
      const path = hit.slice(hit.indexOf(': ') + 2);
      return !/^(?:playbooks|test\/fixtures)\/events\//.test(path) || !existsSync(join(ROOT, path));
    });
    expect(outside).toEqual([]);
  });
});
