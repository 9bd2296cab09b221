/**
 * Responder bundle sizes and module-initialisation times (`npm run bench:bundles`; also part of
 * `npm run bench`): every `lambdas/<responder>/index.ts` bundled exactly as the stack bundles it
 * (lib/stack/responder-function.ts RESPONDER_BUNDLING, with the local esbuild), side by side with
 * a "floor" bundle that only imports and constructs the SDK clients the responder calls. A lean
 * responder is within 1.2x of its floor in both size and init time; the CLI prints ok/FAIL per
 * responder and exits non-zero on a FAIL.
 *
 * Init time is what `await import(bundle)` takes in a fresh Node 22 child process (the Lambda
 * runtime's major version) with the environment the stack gives the function: what a cold start
 * spends in the module scope before the first invocation. Each figure is the median of several runs,
 * bundle and floor alternated so that machine noise falls on both alike. Two figures are taken per
 * import: the CPU time the process spent in it (user + system), which is the work the module scope
 * does and is what the verdict uses, and the wall time, printed beside it. On a shared machine the
 * wall time mostly measures the other processes (a load of 10 on 2 cores moved a floor's median by
 * 2x between runs); the CPU time stays within a few percent. On Lambda, where a small function gets
 * a fraction of a vCPU, init time follows the CPU time.
 *
 * With BUNDLE_BASE=1 a third bundle is measured beside each, the "base": the floor plus what every
 * responder carries before any code of its own (Powertools' logger, which the project brief chose,
 * the response metrics' EMF sink, and zod/mini with its English messages, for the input check every
 * responder must make). It explains a ratio, it does not judge one: the verdict stays bundle against floor.
 *
 * Options (environment): BUNDLE_RUNS (7), BUNDLE_RESPONDERS (comma-separated, default all),
 * BUNDLE_BASE (1 to measure the base too).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { build } from 'esbuild';
import { PROJECT_ROOT, RESPONDER_BUNDLING, responderEntry } from '../../lib/stack/responder-function';
import { wholeNumberFromEnvironment } from './options';

const run = promisify(execFile);

/** An AWS SDK v3 client package a responder may call, by its package suffix (`@aws-sdk/client-<service>`). */
export type SdkService = 'auto-scaling' | 'dynamodb' | 'ec2' | 'elastic-load-balancing' | 'elastic-load-balancing-v2' | 'guardduty' | 'iam' | 'kms' | 'route53resolver' | 's3' | 'securityhub' | 'sfn' | 'sns' | 'sts';

const CLIENT_CLASS: Readonly<Record<SdkService, string>> = {
  'auto-scaling': 'AutoScalingClient',
  'elastic-load-balancing': 'ElasticLoadBalancingClient',
  'elastic-load-balancing-v2': 'ElasticLoadBalancingV2Client',
  dynamodb: 'DynamoDBClient',
  ec2: 'EC2Client',
  guardduty: 'GuardDutyClient',
  iam: 'IAMClient',
  kms: 'KMSClient',
  route53resolver: 'Route53ResolverClient',
  s3: 'S3Client',
  securityhub: 'SecurityHubClient',
  sfn: 'SFNClient',
  sns: 'SNSClient',
  sts: 'STSClient',
};

/**
 * The SDK clients each Lambda calls, and so the only ones its bundle may carry. STS is the member
 * account's AssumeRole (lib/aws/clients/member-accounts.ts) of the responders that act in the
 * finding's account. Step Functions, for every responder that acts under a containment grant:
 * whether the grant's execution runs (DescribeExecution, lib/responders/execution-status.ts).
 */
export const RESPONDER_CLIENTS: Readonly<Record<string, readonly SdkService[]>> = {
  approval: ['dynamodb', 'sfn'],
  // The pause item (GetItem, PutItem, DeleteItem of pause#deployment) and the operations topic.
  'emergency-pause': ['dynamodb', 'sns'],
  'block-dns-domain': ['dynamodb', 'ec2', 'route53resolver', 'sfn', 'sts'],
  'disable-access-key': ['dynamodb', 'iam', 'kms', 'sfn', 'sts'],
  // EC2: the instances holding the role's instance profiles, a protected one keeping its sessions (row 2x).
  'revoke-role-sessions': ['dynamodb', 'ec2', 'iam', 'kms', 'sfn', 'sts'],
  'release-credentials': ['dynamodb', 'iam', 'kms', 'sfn', 'sts'],
  'containment-guard': ['dynamodb', 'ec2', 'iam', 'sfn', 'sts'],
  // Step Functions: the evidence steps act only for the task their playbook execution scheduled (GetExecutionHistory, lib/responders/step-origin.ts).
  'copy-evidence': ['dynamodb', 'ec2', 'kms', 'sfn', 'sts'],
  // Step Functions: an approval request is verified (DescribeExecution, SendTaskHeartbeat) before it is stored.
  'publish-alert': ['dynamodb', 'sfn', 'sns'],
  'quarantine-instance': ['auto-scaling', 'dynamodb', 'ec2', 'elastic-load-balancing', 'elastic-load-balancing-v2', 'iam', 'kms', 'sfn', 'sts'],
  'quarantine-s3-object': ['dynamodb', 's3', 'sfn', 'sts'],
  'release-instance': ['auto-scaling', 'dynamodb', 'ec2', 'elastic-load-balancing', 'elastic-load-balancing-v2', 'iam', 'kms', 'sfn', 'sts'],
  'release-s3-object': ['dynamodb', 's3', 'sfn', 'sts'],
  // StartExecution of the dispatcher with the clipped copy of an event too large for it, and
  // GetFindings (ListDetectors) to confirm an oversized GuardDuty finding with GuardDuty's own copy.
  'oversized-event': ['guardduty', 'sfn'],
  'snapshot-volumes': ['dynamodb', 'ec2', 'kms', 'sfn', 'sts'],
  triage: [],
  'unblock-dns-domains': ['dynamodb', 'ec2', 'route53resolver', 'sfn', 'sts'],
  'update-security-hub-finding': ['dynamodb', 'securityhub', 'sfn', 'sts'],
};

/** A responder is lean when its bundle is within this factor of its floor, in size and in init time. */
export const FLOOR_FACTOR = 1.2;

/** The figures of one responder: its bundle beside the floor of the clients it calls. */
export interface BundleFigures {
  /** Folder under `lambdas/`. */
  readonly responder: string;
  /** The SDK clients the floor imports and constructs (RESPONDER_CLIENTS). */
  readonly clients: readonly SdkService[];
  /** The `@aws-sdk/client-*` packages esbuild put into the responder's bundle (from its metafile). */
  readonly bundledClients: readonly string[];
  /** Size of the bundle's `index.mjs` in bytes (minified, as deployed; the source map is a separate file). */
  readonly bytes: number;
  /** Size of the floor bundle in bytes. */
  readonly floorBytes: number;
  /** Median CPU milliseconds (user + system) of `await import(bundle)` in a fresh Node 22 process. */
  readonly initMs: number;
  /** Median CPU milliseconds of `await import(floor)`. */
  readonly floorInitMs: number;
  /** Median wall milliseconds of `await import(bundle)` (noisy on a shared machine; not judged). */
  readonly initWallMs: number;
  /** Median wall milliseconds of `await import(floor)`. */
  readonly floorInitWallMs: number;
  /** bytes / floorBytes. */
  readonly sizeRatio: number;
  /** The base (floor + logger, metrics sink and zod/mini's core), when measured (BUNDLE_BASE=1): size and median init CPU ms. */
  readonly base?: { readonly bytes: number; readonly initMs: number };
  /** initMs / floorInitMs (CPU time). */
  readonly initRatio: number;
  /**
   * The bundle carries exactly the clients in RESPONDER_CLIENTS and both ratios are within
   * FLOOR_FACTOR. A Lambda that calls no AWS service (triage) has an empty floor, so for it only
   * the first half applies (its ratios are printed as '-').
   */
  readonly ok: boolean;
}

/** One esbuild output: the bundle file, its size and esbuild's metafile (which inputs it holds). */
export interface BuiltBundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** Every responder with an entry point under `lambdas/`. */
export function responderNames(): string[] {
  return readdirSync(path.join(PROJECT_ROOT, 'lambdas'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Bundles one entry (a file, or source text) into `outdir/index.mjs` with the stack's esbuild options. */
async function bundle(entry: { readonly file: string } | { readonly source: string; readonly loader?: 'js' | 'ts' }, outdir: string): Promise<BuiltBundle> {
  const file = path.join(outdir, 'index.mjs');
  const result = await build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: PROJECT_ROOT, sourcefile: entry.loader === 'ts' ? 'base.ts' : 'floor.mjs', loader: entry.loader ?? 'js' } }),
    bundle: true,
    outfile: file,
    absWorkingDir: PROJECT_ROOT,
    // The stack's options (as scripts/build.ts uses them); nothing external: the SDK is bundled.
    ...RESPONDER_BUNDLING,
    mainFields: [...RESPONDER_BUNDLING.mainFields],
    banner: { js: RESPONDER_BUNDLING.banner },
    metafile: true,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

/** Bundles any module of the project into `outdir` with the stack's esbuild options (the bundle test's controls). */
export function bundleModule(file: string, outdir: string): Promise<BuiltBundle> {
  return bundle({ file: path.resolve(PROJECT_ROOT, file) }, outdir);
}

/** Bundles `lambdas/<responder>/index.ts` into `outdir` with the stack's esbuild options. */
export function bundleResponder(responder: string, outdir: string): Promise<BuiltBundle> {
  return bundle({ file: responderEntry(responder) }, outdir);
}

/** The source of a floor module: import and construct each client, nothing else. */
export function floorSource(clients: readonly SdkService[]): string {
  const lines = clients.map((service) => `import { ${CLIENT_CLASS[service]} } from '@aws-sdk/client-${service}';`);
  lines.push(`export const clients = [${clients.map((service) => `new ${CLIENT_CLASS[service]}({})`).join(', ')}];`);
  lines.push('export const handler = async () => clients.length;');
  return `${lines.join('\n')}\n`;
}

/**
 * The source of a base module: the floor, plus the logger and the metrics sink every responder builds
 * at cold start and zod/mini (with the English messages lib/contracts/zod-mini.ts configures) checking
 * an empty object: what any responder carries before its own code.
 */
export function baseSource(clients: readonly SdkService[]): string {
  return [
    floorSource(clients).replace('export const handler = async () => clients.length;\n', ''),
    "import { createResponderLogger } from './lib/responders/logging.ts';",
    "import { createResponseMetricsSink } from './lib/responders/metrics-sink.ts';",
    "import * as z from './lib/contracts/zod-mini.ts';",
    "export const runtime = [createResponderLogger('base'), createResponseMetricsSink('base')];",
    'const input = z.strictObject({});',
    'export const handler = async (event) => [clients.length, runtime.length, z.safeParse(input, event).success];',
    '',
  ].join('\n');
}

/** Bundles the base of `clients` into `outdir` (see baseSource). */
export function bundleBase(clients: readonly SdkService[], outdir: string): Promise<BuiltBundle> {
  return bundle({ source: baseSource(clients), loader: 'ts' }, outdir);
}

/** Bundles the floor of `clients` into `outdir` (its imports resolved from the project's node_modules). */
export function bundleFloor(clients: readonly SdkService[], outdir: string): Promise<BuiltBundle> {
  return bundle({ source: floorSource(clients) }, outdir);
}

/** The `@aws-sdk/client-*` packages among a bundle's inputs, sorted. */
export function bundledSdkClients(metafile: Metafile): string[] {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\//.exec(input);
    if (match?.[1]) packages.add(match[1]);
  }
  return [...packages].sort();
}

/**
 * The environment a responder's module scope reads at cold start, as the stack sets it (fake
 * values: constructing clients and reading configuration make no AWS call).
 */
export const BENCH_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: 'firebreak-bench',
  ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:firebreak-alerts',
  // The operations topic: publish-alert's backup channel, where emergency-pause announces every pause and resume.
  BACKUP_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:firebreak-operations',
  FIREBREAK_STATE_TABLE: 'firebreak-state',
  FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333',
  FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
  FIREBREAK_RECORD_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000',
  FIREBREAK_STACK_NAME: 'Firebreak',
  FIREBREAK_PLAYBOOK_RAILS: '{}',
  FIREBREAK_MODE: 'dry-run',
  // The metrics' namespace, as the stack sets it (lib/contracts/metrics.ts).
  POWERTOOLS_METRICS_NAMESPACE: 'Firebreak/Firebreak',
  // copy-evidence's forensic target, set by the stack when the deployment configures one.
  FIREBREAK_FORENSIC_ACCOUNT_ID: '444455556666',
  FIREBREAK_FORENSIC_ROLE_NAME: 'FirebreakForensicCopier',
  FIREBREAK_FORENSIC_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:444455556666:key/00000000-0000-0000-0000-000000000000',
  // The oversized-event intake reads the dispatcher it starts at cold start.
  FIREBREAK_DISPATCHER_ARN: 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-dispatcher',
};

const IMPORT_TIMER = [
  'const cpu = process.cpuUsage();',
  'const start = performance.now();',
  'await import(process.argv[1]);',
  'const wall = performance.now() - start;',
  'const { user, system } = process.cpuUsage(cpu);',
  'process.stdout.write(JSON.stringify({ wallMs: wall, cpuMs: (user + system) / 1000 }));',
].join('\n');

/** What one import of a bundle took. */
export interface ImportTime {
  /** Wall-clock milliseconds. */
  readonly wallMs: number;
  /** CPU milliseconds of the process (user + system) during the import. */
  readonly cpuMs: number;
}

/** The time one fresh Node process takes to import `file` (module scope included). */
export async function importTime(file: string): Promise<ImportTime> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(file).href], {
    env: { PATH: process.env.PATH ?? '', ...BENCH_ENVIRONMENT },
  });
  let time: Partial<ImportTime> = {};
  try {
    time = JSON.parse(stdout) as Partial<ImportTime>;
  } catch {
    // reported below
  }
  if (!Number.isFinite(time.wallMs) || !Number.isFinite(time.cpuMs)) {
    throw new Error(`importing ${file} printed ${JSON.stringify(stdout)} instead of its durations`);
  }
  return time as ImportTime;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export interface MeasureOptions {
  /** Responders to measure. @default every folder under `lambdas/` */
  readonly responders?: readonly string[];
  /** Timed imports per bundle (after one untimed warm-up that fills the file cache). @default 7 */
  readonly runs?: number;
  /** Also measure each responder's base (baseSource). @default false */
  readonly base?: boolean;
}

/**
 * Bundles every responder and its floor, and measures both: sizes from the files, init times as the
 * median of `runs` fresh-process imports. Runs on the Node that runs it (Node 22 under `npm run`).
 */
export async function measureResponderBundles(options: MeasureOptions = {}): Promise<BundleFigures[]> {
  const responders = options.responders ?? responderNames();
  const runs = options.runs ?? 7;
  const root = mkdtempSync(path.join(tmpdir(), 'firebreak-bundles-'));
  const figures: BundleFigures[] = [];
  try {
    for (const responder of responders) {
      const clients = RESPONDER_CLIENTS[responder];
      if (clients === undefined) throw new Error(`no client list for responder '${responder}': add it to RESPONDER_CLIENTS`);
      const built = await bundleResponder(responder, path.join(root, responder));
      const floor = await bundleFloor(clients, path.join(root, `${responder}-floor`));
      const base = options.base === true ? await bundleBase(clients, path.join(root, `${responder}-base`)) : undefined;
      await importTime(built.file);
      await importTime(floor.file);
      if (base) await importTime(base.file);
      const bundleTimes: ImportTime[] = [];
      const floorTimes: ImportTime[] = [];
      const baseTimes: ImportTime[] = [];
      for (let index = 0; index < runs; index += 1) {
        bundleTimes.push(await importTime(built.file));
        floorTimes.push(await importTime(floor.file));
        if (base) baseTimes.push(await importTime(base.file));
      }
      const initMs = median(bundleTimes.map((time) => time.cpuMs));
      const floorInitMs = median(floorTimes.map((time) => time.cpuMs));
      const sizeRatio = built.bytes / floor.bytes;
      const initRatio = initMs / floorInitMs;
      const bundledClients = bundledSdkClients(built.metafile);
      const exactClients = bundledClients.join() === clients.map((service) => `@aws-sdk/client-${service}`).join();
      const lean = clients.length === 0 || (sizeRatio <= FLOOR_FACTOR && initRatio <= FLOOR_FACTOR);
      figures.push({
        responder,
        clients,
        bundledClients,
        bytes: built.bytes,
        floorBytes: floor.bytes,
        initMs,
        floorInitMs,
        initWallMs: median(bundleTimes.map((time) => time.wallMs)),
        floorInitWallMs: median(floorTimes.map((time) => time.wallMs)),
        sizeRatio,
        initRatio,
        ...(base ? { base: { bytes: base.bytes, initMs: median(baseTimes.map((time) => time.cpuMs)) } } : {}),
        ok: exactClients && lean,
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return figures;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

/** The figures as a table: one line per responder, bundle beside floor, ratios and verdict. */
export function formatBundleFigures(figures: readonly BundleFigures[]): string {
  const withBase = figures.some((f) => f.base !== undefined);
  const header = ['responder', 'size', 'floor', 'x', 'init cpu ms', 'floor', 'x', 'init wall ms', 'floor', '', ...(withBase ? ['base', 'x', 'base init', 'x'] : []), 'clients'];
  const baseCells = (f: BundleFigures): string[] => {
    if (!withBase) return [];
    if (f.base === undefined) return ['', '', '', ''];
    const ratio = (value: number, floor: number) => (f.clients.length === 0 ? '-' : (value / floor).toFixed(2));
    return [kb(f.base.bytes), ratio(f.base.bytes, f.floorBytes), f.base.initMs.toFixed(1), ratio(f.base.initMs, f.floorInitMs)];
  };
  const rows = figures.map((f) => [
    f.responder,
    kb(f.bytes),
    kb(f.floorBytes),
    f.clients.length === 0 ? '-' : f.sizeRatio.toFixed(2),
    f.initMs.toFixed(1),
    f.floorInitMs.toFixed(1),
    f.clients.length === 0 ? '-' : f.initRatio.toFixed(2),
    f.initWallMs.toFixed(1),
    f.floorInitWallMs.toFixed(1),
    f.ok ? 'ok' : 'FAIL',
    ...baseCells(f),
    f.clients.join(' ') || '(none)',
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = wholeNumberFromEnvironment(process.env, 'BUNDLE_RUNS', 7);
  const only = process.env.BUNDLE_RESPONDERS?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const base = process.env.BUNDLE_BASE === '1';
  console.log(
    `Responder bundles on Node ${process.version} (median of ${runs} imports each; lean = within ${FLOOR_FACTOR}x of the floor in size and init CPU time)`,
  );
  if (base) console.log("base = floor + Powertools logger + metrics sink + zod/mini's core (what every responder carries before its own code; x = base / floor)");
  const figures = await measureResponderBundles({ runs, base, ...(only && only.length > 0 ? { responders: only } : {}) });
  console.log(formatBundleFigures(figures));
  if (figures.some((f) => !f.ok)) process.exitCode = 1;
}
