/**
 * The example app (examples/embed-in-your-stack) as a user runs it: from the packed package, not
 * from this repository's sources.
 *
 * `npm pack` runs `prepack` (`npm run build`), so a fresh clone tests what it would publish. The
 * tarball is extracted into the example's node_modules/firebreak, as `npm install` would put it.
 * Its dependencies (and the example's) are linked from this project's node_modules instead of
 * being downloaded: `npm install` would resolve the same version ranges to the versions the
 * project's lock file pins, and Node resolves a linked package by its real path, so each
 * dependency finds its own dependencies there as it would in an installed tree. aws-cdk-lib and
 * constructs are one copy shared by the app and Firebreak, as peer dependencies are. What differs
 * from a download is only where the files come from; what the app imports is the packed package.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/stack/package-root';

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'embed-in-your-stack');

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

let work: string;
let app: string;

/** Links `name` from this project's node_modules into `modules`, as an install would place it. */
function link(modules: string, name: string): void {
  const source = path.join(PROJECT_ROOT, 'node_modules', name);
  if (!existsSync(source)) throw new Error(`${name} is not installed in ${PROJECT_ROOT}node_modules (npm ci)`);
  const target = path.join(modules, name);
  if (existsSync(target)) return;
  mkdirSync(path.dirname(target), { recursive: true });
  symlinkSync(source, target, 'dir');
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'firebreak-pack-'));
  // npm pack runs prepack (npm run build) first; the build's own lines come before npm's JSON.
  const output = run('npm', ['pack', '--json', '--pack-destination', work], PROJECT_ROOT);
  const packed = JSON.parse(output.slice(output.search(/^\[/m))) as { filename: string }[];
  const tarball = path.join(work, packed[0]!.filename);

  app = path.join(work, 'app');
  cpSync(EXAMPLE, app, { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) && !source.includes(`${path.sep}cdk.out`) });
  const modules = path.join(app, 'node_modules');
  mkdirSync(modules, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', modules], work);
  const installed = path.join(modules, 'firebreak');
  cpSync(path.join(modules, 'package'), installed, { recursive: true });
  rmSync(path.join(modules, 'package'), { recursive: true });

  const manifest = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string> | undefined>;
  const firebreak = manifest(path.join(installed, 'package.json'));
  const example = manifest(path.join(app, 'package.json'));
  const wanted = new Set([
    ...Object.keys(firebreak.dependencies ?? {}),
    ...Object.keys(firebreak.peerDependencies ?? {}),
    ...Object.keys(example.dependencies ?? {}).filter((name) => name !== 'firebreak'),
    ...Object.keys(example.devDependencies ?? {}),
  ]);
  for (const name of wanted) link(modules, name);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the construct built (JavaScript, declarations, prebuilt responders) and the playbooks, not the sources', () => {
    const installed = path.join(app, 'node_modules', 'firebreak');
    expect(existsSync(path.join(installed, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'dist', 'types', 'lib', 'stack', 'index.d.ts'))).toBe(true);
    expect(readdirSync(path.join(installed, 'dist', 'lambdas')).sort()).toEqual(
      readdirSync(path.join(PROJECT_ROOT, 'lambdas')).filter((name) => existsSync(path.join(PROJECT_ROOT, 'lambdas', name, 'index.ts'))).sort(),
    );
    expect(readdirSync(path.join(installed, 'playbooks')).filter((name) => name.endsWith('.yaml')).length).toBeGreaterThan(0);
    expect(existsSync(path.join(installed, 'lambdas'))).toBe(false);
    expect(existsSync(path.join(installed, 'lib'))).toBe(false);
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies as object).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(Object.keys(manifest.dependencies as object)).not.toContain('aws-cdk-lib');
  });

  it('type-checks the example app against the shipped declarations (NodeNext resolution), props typed, not any', () => {
    // A prop of the wrong type must be an error: were the declarations unresolved, FirebreakProps
    // would be `any` and the expected error would not occur (an unused @ts-expect-error fails).
    writeFileSync(
      path.join(app, 'declarations-check.ts'),
      [
        "import { Firebreak, type FirebreakProps } from 'firebreak';",
        "import { Stack } from 'aws-cdk-lib';",
        "// @ts-expect-error mode is 'dry-run' or 'enforce'",
        "const wrong: FirebreakProps = { mode: 'sometimes' };",
        "const firebreak = new Firebreak(new Stack(), 'Firebreak', { alertEmails: ['a@example.com'] });",
        'const arn: string = firebreak.dispatcher.stateMachineArn;',
        'export { wrong, arn };',
        '',
      ].join('\n'),
    );
    const tsconfig = JSON.parse(readFileSync(path.join(app, 'tsconfig.json'), 'utf8')) as { include: string[] };
    writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ ...tsconfig, include: [...tsconfig.include, 'declarations-check.ts'] }));
    expect(() => run(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app)).not.toThrow();
  }, 300_000);

  describe('synthesizes the example app', () => {
    let template: Template;
    let outdir: string;

    beforeAll(() => {
      outdir = path.join(work, 'cdk.out');
      // What `npx cdk synth` runs (cdk.json: npx tsx app.ts), with tsx from the example's node_modules.
      run(process.execPath, ['--import', 'tsx', 'app.ts'], app, { CDK_OUTDIR: outdir });
      template = JSON.parse(readFileSync(path.join(outdir, 'SecurityTooling.template.json'), 'utf8')) as Template;
    }, 300_000);

    const ofType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

    it("keeps the user's own resources beside Firebreak's", () => {
      expect(ofType('AWS::S3::Bucket').map(([id]) => id)).toEqual([expect.stringMatching(/^IncidentReports/)]);
    });

    it("holds Firebreak's rules, one state machine per shipped playbook plus the dispatcher, and the responders", () => {
      const patterns = ofType('AWS::Events::Rule').map(([, rule]) => (rule.Properties!.EventPattern as { source: string[] }).source[0]);
      // GuardDuty twice: its findings, and Malware Protection for S3's object scan results.
      expect(patterns.sort()).toEqual(['aws.cloudwatch', 'aws.guardduty', 'aws.guardduty']);
      const playbooks = readdirSync(path.join(app, 'node_modules', 'firebreak', 'playbooks')).filter((name) => name.endsWith('.yaml'));
      expect(ofType('AWS::StepFunctions::StateMachine')).toHaveLength(playbooks.length + 1);
      const functions = ofType('AWS::Lambda::Function').map(([id]) => id);
      for (const responder of ['Triage', 'PublishAlert', 'ContainmentGuard', 'QuarantineInstance', 'SnapshotVolumes', 'ReleaseInstance']) {
        expect(functions).toContainEqual(expect.stringMatching(new RegExp(`^FirebreakRespondersResponder${responder}Function`)));
      }
      expect(template.Outputs).toHaveProperty('DispatcherArn');
      expect(template.Outputs).toHaveProperty('AlertTopicArn');
    });

    it('deploys the responders from the prebuilt bundles the package ships (no sources, no bundler needed)', () => {
      const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
      const bundles = assets.filter((name) => existsSync(path.join(outdir, name, 'index.mjs')));
      expect(bundles.length).toBeGreaterThanOrEqual(6);
    });
  });
});
