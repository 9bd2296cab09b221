import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFirebreakApp } from '../../lib/stack/app';
import { ALARM, DEFAULT_ALERT } from './support';

// The one synthesis with real asset bundling (the other stack tests skip it): esbuild from
// node_modules, no Docker, ESM output with the createRequire banner and a source map.
describe('FirebreakStack bundling', () => {
  it(
    'bundles each responder with the local esbuild into one minified ESM file and its source map',
    async () => {
      const outdir = mkdtempSync(path.join(tmpdir(), 'firebreak-bundle-'));
      const { app, stack } = await buildFirebreakApp({ playbooks: [ALARM, DEFAULT_ALERT], nag: false, cfnValidation: false, outdir });
      const assembly = app.synth();
      const template = assembly.getStackArtifact(stack.artifactId).template as {
        Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string }; Handler?: string } }>;
      };
      const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
      // triage, publish-alert, snapshot-volumes and the oversized-event intake.
      expect(functions).toHaveLength(4);
      let aliased = 0;
      for (const fn of functions) {
        const hash = fn.Properties.Code!.S3Key!.replace(/\.zip$/, '');
        const bundle = path.join(outdir, `asset.${hash}`, 'index.mjs');
        expect(existsSync(bundle), bundle).toBe(true);
        expect(existsSync(`${bundle}.map`)).toBe(true);
        const code = readFileSync(bundle, 'utf8');
        expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true);
        // Everything is inlined: the SDK clients the tests ran against, not the runtime's.
        expect(code).not.toMatch(/from\s*"@aws-sdk\//);
        expect(fn.Properties.Handler).toBe('index.handler');
        // Minified: far fewer lines than bytes.
        expect(code.split('\n').length).toBeLessThan(statSync(bundle).size / 1000);
        // The SDK's interactive sign-in providers are aliased to their stand-ins (RESPONDER_CREDENTIAL_ALIASES) by the CDK's esbuild run too.
        const sources = (JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] }).sources;
        expect(sources.filter((source) => /@aws-sdk\/(credential-provider-sso|credential-provider-login|client-sso)/.test(source))).toEqual([]);
        const hasChain = sources.some((source) => source.includes('@aws-sdk/credential-provider-node/'));
        expect(sources.some((source) => source.endsWith('lib/aws/clients/interactive-credentials.ts'))).toBe(hasChain);
        if (hasChain) aliased += 1;
      }
      // publish-alert, snapshot-volumes and the intake make SDK clients (triage makes none).
      expect(aliased).toBe(3);
    },
    300_000,
  );
});
