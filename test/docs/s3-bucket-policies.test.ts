/**
 * FIDELITY (s3-bucket-policies): the bucket policies docs/responders/quarantine-s3-object.md gives
 * are the files of examples/s3-bucket-policies/, which the game day installs and evaluates
 * (scenarios s3-object-infected-unreadable-under-bucket-policy and
 * s3-object-bucket-policy-without-firebreak-exception-copy-refused): a doc block edited without its
 * file, or the reverse, fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGE = readFileSync(resolve(ROOT, 'docs/responders/quarantine-s3-object.md'), 'utf8');
const EXAMPLES = resolve(ROOT, 'examples/s3-bucket-policies');
const FILES = readdirSync(EXAMPLES).filter((name) => name.endsWith('.json')).sort();

/** The page's ```json blocks that are bucket policies (a Statement with a Principal), parsed. */
function policyBlocks(): unknown[] {
  return [...PAGE.matchAll(/```json\n([\s\S]*?)```/g)]
    .map((match) => JSON.parse(match[1] as string) as { Statement?: { Principal?: unknown }[] })
    .filter((block) => Array.isArray(block.Statement) && block.Statement.some((statement) => statement.Principal !== undefined));
}

describe('docs/responders/quarantine-s3-object.md: bucket policies', () => {
  it('ships the three documented policies as example files', () => {
    expect(FILES).toEqual(['deny-reading-infected-objects.json', 'owner-roles-own-directory-only.json', 'quarantine-copies-own-account-only.json']);
  });

  it('gives each example file, exactly, as a block of the page, and no other bucket policy', () => {
    const blocks = policyBlocks();
    const files = FILES.map((name) => JSON.parse(readFileSync(resolve(EXAMPLES, name), 'utf8')) as unknown);
    expect(blocks).toHaveLength(files.length);
    for (const file of files) expect(blocks).toContainEqual(file);
  });

  it('names each file in the page, where its block is', () => {
    for (const name of FILES) expect(PAGE).toContain(`examples/s3-bucket-policies/${name}`);
  });
});
