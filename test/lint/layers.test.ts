import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAYERS, layersConfig } from '../../lint/layers.js';

// A small tree laid out like the project's (test/fixtures/layers), linted with the very block
// eslint.config.js uses, so that each rule is seen to fire, and to stay quiet on a downward import.
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/layers');

type Problems = Record<string, { ruleId: string | null; message: string; line: number }[]>;

async function lintFixtures(): Promise<Problems> {
  const eslint = new ESLint({
    cwd: FIXTURES,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, layersConfig({ root: FIXTURES })],
  });
  const results = await eslint.lintFiles(['lib/**/*.ts', 'lambdas/**/*.ts']);
  return Object.fromEntries(
    results.map((result) => [
      path.relative(FIXTURES, result.filePath),
      result.messages.map((message) => ({ ruleId: message.ruleId, message: message.message, line: message.line })),
    ]),
  );
}

describe('the layer rules (lint/layers.js)', () => {
  let problems: Problems;
  beforeAll(async () => {
    problems = await lintFixtures();
  });

  it('lists every lib folder of the brief in order, contracts lowest and the CLI on top', () => {
    expect(LAYERS.map((layer) => layer.name)).toEqual(['contracts', 'core', 'aws', 'responders', 'stack', 'operator', 'gameday', 'cli']);
  });

  it('fails an import from a higher layer, a type-only one included', () => {
    expect(problems['lib/contracts/names.ts']).toEqual([
      {
        ruleId: 'import-x/no-restricted-paths',
        message: expect.stringContaining('contracts is layer 1 of 8: it may import only its own layer or lower ones'),
        line: 2,
      },
    ]);
  });

  it('fails a Lambda handler that imports above the responders', () => {
    expect(problems['lambdas/handler/index.ts']).toEqual([
      { ruleId: 'import-x/no-restricted-paths', message: expect.stringContaining('a Lambda handler may import only responders and lower layers'), line: 2 },
    ]);
  });

  it('lets a file import its own layer or a lower one', () => {
    expect(problems['lib/cli/command.ts']).toEqual([]);
    expect(problems['lib/contracts/format.ts']).toEqual([]);
    expect(problems['lib/stack/app.ts']).toEqual([]);
  });

  it('fails both files of a two-file cycle, naming the loop', () => {
    expect(problems['lib/responders/runtime-a.ts']).toEqual([
      { ruleId: 'firebreak/no-import-cycle', message: 'import cycle: lib/responders/runtime-a.ts → lib/responders/runtime-b.ts → lib/responders/runtime-a.ts', line: 2 },
    ]);
    expect(problems['lib/responders/runtime-b.ts']).toEqual([
      { ruleId: 'firebreak/no-import-cycle', message: 'import cycle: lib/responders/runtime-b.ts → lib/responders/runtime-a.ts → lib/responders/runtime-b.ts', line: 2 },
    ]);
  });

  it('fails a cycle made only of `import type`, which import-x/no-cycle would let through', () => {
    expect(problems['lib/responders/record.ts']).toEqual([
      { ruleId: 'firebreak/no-import-cycle', message: 'import cycle: lib/responders/record.ts → lib/responders/seal.ts → lib/responders/record.ts', line: 2 },
    ]);
    expect(problems['lib/responders/seal.ts']?.map((problem) => problem.ruleId)).toEqual(['firebreak/no-import-cycle']);
  });
});
