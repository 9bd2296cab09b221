/**
 * One responder Lambda (`lambdas/<responder>/index.ts`): its own role with exactly the planned
 * statements, its own log group with retention, X-Ray tracing, arm64 on nodejs22.x.
 *
 * Its code: in a clone (the source is there), bundled from source by the local esbuild at synth (no
 * Docker engine runs where Firebreak is built, see DESIGN.md), so a deployment never carries a
 * stale build. In the installed package (no sources), the bundle `npm run build` made with the
 * same options (scripts/build.ts, `RESPONDER_BUNDLING`) under dist/lambdas/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { IConstruct } from 'constructs';
import { SECURITY_ENV } from '../contracts/security';
import type { PlannedStatement } from './iam-scopes';
import { acknowledgeWildcardResources } from './iam-scopes';
import { PREBUILT_LAMBDAS_DIR, PROJECT_ROOT, responderEntry } from './package-root';

export { PROJECT_ROOT, responderEntry } from './package-root';

/** The packages `RESPONDER_BUNDLING` replaces, and with what (relative to the project root). */
export const RESPONDER_CREDENTIAL_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-sso': './lib/aws/clients/interactive-credentials.ts',
  '@aws-sdk/credential-provider-login': './lib/aws/clients/interactive-credentials.ts',
};

/**
 * How a responder is bundled, from source at synth and by `npm run build` alike: ESM for Node 22,
 * minified, tree-shaken, with source maps. The SDK clients are bundled too: the versions the tests
 * ran against, tree-shaken to what the responder calls, instead of whatever the runtime ships.
 */
export const RESPONDER_BUNDLING = {
  format: 'esm',
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  /**
   * ESM output needs `require` for the few CommonJS dependencies esbuild inlines
   * (https://github.com/evanw/esbuild/issues/1921).
   */
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  /**
   * The SDK's interactive sign-in credential providers (SSO, `aws login`), replaced by stand-ins
   * that say they are not there: a Lambda can never use them (lib/aws/clients/interactive-credentials.ts
   * says why), and they bundle the SSO, SSO-OIDC and sign-in clients; for the DNS Firewall
   * responders the whole client-sso and client-sso-oidc of client-route53resolver 3.654's own chain.
   * Paths relative to the project root (esbuild resolves alias targets in its working directory).
   */
  alias: RESPONDER_CREDENTIAL_ALIASES,
} as const;

/** The Lambda handler of every responder bundle (`index.mjs`, export `handler`). */
const HANDLER = 'index.handler';

export interface ResponderFunctionProps {
  /** Folder under `lambdas/`. */
  readonly responder: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The function's permissions, from `planResponderStatements`. */
  readonly statements: readonly PlannedStatement[];
  readonly logRetention: logs.RetentionDays;
  readonly memorySize: number;
  readonly timeout: Duration;
  /**
   * A fixed role name, for roles that member-account roles trust by name.
   * @default a name CloudFormation generates
   */
  readonly roleName?: string;
  /** @default no reservation (shares the account's unreserved concurrency) */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Where Lambda keeps an asynchronous invocation whose retries failed (the function's role gets
   * sqs:SendMessage on it).
   * @default none (a function invoked synchronously, by a state machine, has its Catch instead)
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** A responder Lambda with its role and log group. */
export class ResponderFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ResponderFunctionProps) {
    super(scope, id);
    const entry = responderEntry(props.responder);
    const prebuilt = path.join(PREBUILT_LAMBDAS_DIR, props.responder);
    const fromSource = existsSync(entry);
    if (!fromSource && !existsSync(path.join(prebuilt, 'index.mjs'))) {
      throw new Error(`responder "${props.responder}" has no entry point at ${entry} and no prebuilt bundle at ${prebuilt} (npm run build makes it)`);
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Responder logs are part of the incident record: keep them when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An explicit role instead of the default AWSLambdaBasicExecutionRole managed policy, whose
    // logs:CreateLogGroup on `*` this function does not need: its log group exists already.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Firebreak ${props.responder} responder`,
      ...(props.roleName ? { roleName: props.roleName } : {}),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    for (const { statement } of props.statements) this.role.addToPrincipalPolicy(statement);

    const environment = { NODE_OPTIONS: '--enable-source-maps', ...props.environment };
    assertEnvironmentFits(this, props.responder, environment);
    const options = {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      ...(props.deadLetterQueue !== undefined ? { deadLetterQueue: props.deadLetterQueue } : {}),
      environment,
    };
    this.function = fromSource
      ? new NodejsFunction(this, 'Function', {
          ...options,
          entry,
          handler: 'handler',
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
          bundling: {
            forceDockerBundling: false,
            format: OutputFormat.ESM,
            target: RESPONDER_BUNDLING.target,
            mainFields: [...RESPONDER_BUNDLING.mainFields],
            minify: RESPONDER_BUNDLING.minify,
            sourceMap: RESPONDER_BUNDLING.sourcemap,
            sourcesContent: RESPONDER_BUNDLING.sourcesContent,
            banner: RESPONDER_BUNDLING.banner,
            externalModules: [],
            esbuildArgs: { '--alias': Object.entries(RESPONDER_BUNDLING.alias).map(([from, to]) => `${from}=${to}`) },
          },
        })
      : new lambda.Function(this, 'Function', { ...options, handler: HANDLER, code: lambda.Code.fromAsset(prebuilt) });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime Firebreak is built and tested for (esbuild target node22, Node 22 APIs); it is an ' +
        'actively supported Lambda runtime (deprecation scheduled for 2027, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). ' +
        'Moving to a newer runtime is a deliberate, tested change of one constant, not an automatic one.',
    });

    // One acknowledgement per resource pattern: the one for "*" covers every action on "*" in this
    // role, X-Ray's and any added later. The allow-list of actions on "*" per responder is
    // test/stack/wildcard-resources.test.ts; cdk-nag does not see a new one.
    acknowledgeWildcardResources(this.role, [
      ...props.statements.flatMap((planned) => planned.wildcards),
      {
        resource: '*',
        why: 'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html); Lambda adds them for active tracing.',
      },
    ]);
  }
}

/** Lambda refuses a function whose environment variables total more than 4 KB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * What CloudFormation puts where the stack has a reference it resolves at deploy time: pseudo
 * parameters at their longest (`aws-us-gov`, a region name, 12 digits, a stack name of at most 128
 * characters), anything else (a generated table name, a topic, key or state machine ARN) at
 * UNRESOLVED_VALUE_ALLOWANCE_BYTES.
 */
const PSEUDO_PARAMETER_BYTES: Readonly<Record<string, number>> = {
  'AWS::Partition': 10,
  'AWS::Region': 20,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 20,
  'AWS::StackName': 128,
};

/**
 * What a resource reference is counted as: an ARN or generated name with a stack name of usual
 * length (`arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-iam-credentials-attack-sequence-credential`
 * is 103 bytes). An estimate, not a bound: an unusually long stack name can still pass the limit at deploy.
 */
export const UNRESOLVED_VALUE_ALLOWANCE_BYTES = 160;

/** The most bytes a resolved CloudFormation value can take once deployed. */
function resolvedBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + resolvedBytes(item), 0);
  if (value !== null && typeof value === 'object') {
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === 'string' && Object.hasOwn(PSEUDO_PARAMETER_BYTES, ref)) return PSEUDO_PARAMETER_BYTES[ref] as number;
    const join = (value as { 'Fn::Join'?: unknown })['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const parts = join[1] as unknown[];
      return parts.reduce((sum: number, part) => sum + resolvedBytes(part), 0) + Buffer.byteLength(join[0]) * Math.max(0, parts.length - 1);
    }
  }
  return UNRESOLVED_VALUE_ALLOWANCE_BYTES;
}

/** The environment's size as Lambda counts it (names and values, UTF-8), each value resolved at its longest. */
export function environmentSize(scope: IConstruct, environment: Readonly<Record<string, string>>): number {
  const stack = Stack.of(scope);
  return Object.entries(environment).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + resolvedBytes(stack.resolve(value)), 0);
}

/** What to do when a variable the stack writes from the playbooks is the largest of an environment over the limit. */
const ENVIRONMENT_ADVICE: Readonly<Record<string, string>> = {
  [SECURITY_ENV.routingTable]:
    "The routing table (every automatic playbook's match, priority, mode and steps, compressed) grows with the automatic playbooks: " +
    'deploy fewer of them, or give them shorter match lists (finding types, alarm names).',
};
const DEFAULT_ENVIRONMENT_ADVICE = 'Deploy fewer playbooks with steps of this responder, or give their steps fewer distinct options.';

/**
 * Fails the synth, naming the function and its largest variables, when its environment would pass
 * Lambda's 4 KB: the deployment would fail later and less clearly. The values the stack writes from
 * the playbooks (FIREBREAK_PLAYBOOK_RAILS, FIREBREAK_PLAYBOOK_STEPS, triage's FIREBREAK_ROUTING_TABLE)
 * grow with them.
 */
export function assertEnvironmentFits(scope: IConstruct, responder: string, environment: Readonly<Record<string, string>>): void {
  const size = environmentSize(scope, environment);
  if (size <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return;
  const bySize = Object.keys(environment)
    .map((name) => ({ name, size: environmentSize(scope, { [name]: environment[name] as string }) }))
    .sort((a, b) => b.size - a.size);
  const largest = bySize.slice(0, 3).map(({ name, size: bytes }) => `${name} (${bytes} bytes)`);
  const advice = ENVIRONMENT_ADVICE[bySize[0]?.name ?? ''] ?? DEFAULT_ENVIRONMENT_ADVICE;
  throw new Error(
    `responder "${responder}": its environment variables would total about ${size} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} (largest: ${largest.join(', ')}). ${advice}`,
  );
}
