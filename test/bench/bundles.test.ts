/**
 * Lean responders (issue 10), deterministically: bundles two responders exactly as the stack does
 * (test/bench/bundles.ts) and asserts from esbuild's metafile which SDK client packages are inside,
 * so a responder that starts importing every client again fails `npm test`. Sizes and init times
 * are the benchmark's (`npm run bench:bundles`), not asserted here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESPONDER_CLIENTS, bundleResponder, bundledSdkClients, responderNames } from './bundles';

const outdir = mkdtempSync(path.join(tmpdir(), 'firebreak-bundle-test-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Bytes a package contributes to the bundle's output. */
function packageBytes(metafile: Awaited<ReturnType<typeof bundleResponder>>['metafile'], name: string): number {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined);
  return Object.entries(output?.inputs ?? {})
    .filter(([input]) => input.includes(`node_modules/${name}/`))
    .reduce((sum, [, { bytesInOutput }]) => sum + bytesInOutput, 0);
}

describe('responder bundles', () => {
  it('lists the clients of every responder the stack can deploy', () => {
    expect(Object.keys(RESPONDER_CLIENTS).sort()).toEqual(responderNames());
  });

  it('publish-alert carries SNS and DynamoDB (approval requests) and no other SDK client', async () => {
    const { metafile } = await bundleResponder('publish-alert', path.join(outdir, 'publish-alert'));
    expect(bundledSdkClients(metafile)).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sns']);
    // zod imported as a namespace is tree-shaken (about 100 KB); `import { z }` pulls all of it (450 KB).
    expect(packageBytes(metafile, 'zod')).toBeLessThan(150_000);
  }, 120_000);

  it('containment-guard carries EC2, Step Functions, DynamoDB and STS (member role), never IAM, SNS or KMS', async () => {
    const { metafile } = await bundleResponder('containment-guard', path.join(outdir, 'containment-guard'));
    expect(bundledSdkClients(metafile)).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-ec2', '@aws-sdk/client-sfn', '@aws-sdk/client-sts']);
  }, 120_000);

  it.each(['approval', 'quarantine-instance', 'release-instance', 'snapshot-volumes', 'triage'])(
    '%s carries exactly the SDK clients it calls (RESPONDER_CLIENTS)',
    async (responder) => {
      const { metafile } = await bundleResponder(responder, path.join(outdir, responder));
      expect(bundledSdkClients(metafile)).toEqual((RESPONDER_CLIENTS[responder] ?? []).map((service) => `@aws-sdk/client-${service}`));
    },
    120_000,
  );
});
