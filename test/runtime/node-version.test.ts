import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>;
  engines: Record<string, string>;
};
const responderFunction = readFileSync(new URL('../../lib/stack/responder-function.ts', import.meta.url), 'utf8');

describe('the Node.js the project runs on', () => {
  it('runs the tests on the major version the deployed Lambdas use (nodejs22.x), not the machine Node', () => {
    const lambdaMajor = /Runtime\.NODEJS_(\d+)_X/.exec(responderFunction)?.[1];
    expect(lambdaMajor).toBe('22');
    expect(process.versions.node.split('.')[0]).toBe(lambdaMajor);
  });

  it('pins the node package it installs for itself to that same major', () => {
    expect(pkg.devDependencies.node).toMatch(/^22\.\d+\.\d+$/);
    expect(pkg.engines.node).toMatch(/^>=22/);
  });
});
