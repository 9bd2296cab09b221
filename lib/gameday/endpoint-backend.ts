/**
 * The game day against an AWS-compatible endpoint (`firebreak gameday run --endpoint-url URL`):
 * LocalStack, a moto server, or an isolated test account. The game-day backend (account-backend/)
 * prepares, inspects and cleans up there exactly as in the simulated account; what is particular
 * to an endpoint:
 *  - clients(role) are real SDK clients aimed at the endpoint. A middleware, below the SDK's retry
 *    step (so every attempt counts), records each call into the call log and applies the
 *    scenario's injected faults and denied actions *in the client*: the endpoint never sees a
 *    faulted or denied call; the responder gets the service's own exception class with the AWS
 *    error code as `name`, `$fault` and the HTTP status, so the SDK retries it as it would AWS's.
 *  - states:DescribeExecution is answered from the engine's executions in the client too, and
 *    SendTaskHeartbeat / SendTaskSuccess / SendTaskFailure by the engine's waiting tasks.
 *  - Time is the wall clock: advance() is a no-op (approval timeouts and retry backoffs really pass).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { FirebreakError } from '../contracts/errors';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { IAMClient, IAMServiceException } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, FinalizeRequestMiddleware, RetryStrategyV2 } from '@smithy/types';
import { AccountBackend } from './account-backend/account-backend';
import type { OperatorClients } from './account-backend/context';
import { EnvironmentSetupError, errorCode, errorText } from './account-backend/context';
import { notImplementedByEndpoint } from './endpoint-coverage';
import { describeExecution, executionHistory, startExecution } from './account-backend/executions';
import { faultSpecOf } from './account-backend/deployment-resources';
import type { ExecutionDirectory, ExecutionStarter, GameDayBackend, GameDayCall, GameDayClients } from './backend';
import { wallClockMs } from './backend';
import type { EnvironmentDocument } from './scenario';
import { accessDenied, answerTaskTokenCall, FaultQueue, matchesAction, SERVICE_BY_CLIENT, SimulatedServiceError, TASK_TOKEN_ACTIONS } from './sim';
import type { ServiceName, TaskTokenHandler } from './sim';

/** The SDK client configuration the endpoint backend lets a caller add (tests: credentials, a retry strategy without sleeps). */
export interface EndpointClientConfig {
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly retryStrategy?: RetryStrategyV2;
  readonly maxAttempts?: number;
}

/** Any SDK v3 client the backend makes (what `configureClient` receives). */
export type EndpointSdkClient =
  | EC2Client
  | IAMClient
  | SNSClient
  | SQSClient
  | DynamoDBClient
  | SFNClient
  | STSClient
  | KMSClient
  | AutoScalingClient
  | ElasticLoadBalancingV2Client
  | ElasticLoadBalancingClient
  | S3Client
  | SecurityHubClient
  | GuardDutyClient;

export interface EndpointBackendOptions {
  /** The AWS-compatible endpoint (LocalStack `http://localhost:4566`, a moto server, or an AWS service endpoint). */
  readonly endpointUrl: string;
  /** AMI for RunInstances (default `FIREBREAK_GAMEDAY_IMAGE_ID` or `ami-0123456789abcdef0`, which LocalStack and moto accept). */
  readonly imageId?: string;
  /** Suffix of the names of everything created (default: 6 random hex digits). */
  readonly runId?: string;
  readonly clientConfig?: EndpointClientConfig;
  /**
   * Called with every SDK client the backend makes, before its first call. For tests only: they
   * pass `(client) => sim.attach(client, { wire: 'full' })` so that a SimulatedAws answers instead
   * of the network (`full` wiring, so the recording middleware sees every attempt).
   */
  readonly configureClient?: (client: EndpointSdkClient) => void;
  /** Between two polls while waiting for instance states and the table (default 2000 ms). */
  readonly pollIntervalMs?: number;
  /** Longest wait for an instance state or the table (default 300000 ms). */
  readonly waitTimeoutMs?: number;
  /** Where cleanup problems are reported (default: standard error). */
  readonly report?: (line: string) => void;
}

/** The endpoint URL cannot be used (not a URL, not http or https). */
export class EndpointBackendUnavailableError extends FirebreakError {
  override readonly name = 'EndpointBackendUnavailableError';
}

const DEFAULT_IMAGE_ID = 'ami-0123456789abcdef0';

const EXCEPTION_BY_SERVICE: Readonly<Partial<Record<ServiceName, new (options: ConstructorParameters<typeof EC2ServiceException>[0]) => Error>>> = {
  ec2: EC2ServiceException,
  iam: IAMServiceException,
  sns: SNSServiceException,
  sqs: SQSServiceException,
  dynamodb: DynamoDBServiceException,
  states: SFNServiceException,
};

/** The exception the service's SDK client would throw for this answer (code as `name`, HTTP status in `$metadata`). */
function sdkError(service: ServiceName, answer: SimulatedServiceError, attempt: number): Error {
  const Exception = EXCEPTION_BY_SERVICE[service] ?? EC2ServiceException;
  return new Exception({
    name: answer.code,
    message: answer.message,
    $fault: answer.httpStatus >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: answer.httpStatus, attempts: attempt, totalRetryDelay: 0 },
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The endpoint backend (see the module comment). */
export class EndpointBackend extends AccountBackend {
  readonly description: string;
  readonly runId: string;
  private readonly options: EndpointBackendOptions;
  private readonly endpoint: URL;
  private region = 'us-east-1';
  private account = '000000000000';
  private readonly calls: GameDayCall[] = [];
  private readonly faults = new FaultQueue();
  private denied: readonly string[] = [];
  /** The engine's executions: DescribeExecution is answered from them (the endpoint does not run the state machines). */
  private executions?: ExecutionDirectory;
  private starter?: ExecutionStarter;
  /** The engine's waiting tasks: SendTaskHeartbeat / SendTaskSuccess / SendTaskFailure are answered by them. */
  private taskTokens?: TaskTokenHandler;
  private readonly roleClients = new Map<string, GameDayClients>();

  constructor(options: EndpointBackendOptions) {
    const runId = options.runId ?? randomBytes(3).toString('hex');
    super({
      runId,
      prefix: `firebreak-gameday-${runId}`,
      imageId: options.imageId ?? process.env.FIREBREAK_GAMEDAY_IMAGE_ID ?? DEFAULT_IMAGE_ID,
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      waitTimeoutMs: options.waitTimeoutMs ?? 300_000,
      report: options.report ?? ((line: string) => process.stderr.write(`${line}\n`)),
    });
    try {
      this.endpoint = new URL(options.endpointUrl);
    } catch (error) {
      throw new EndpointBackendUnavailableError(`--endpoint-url ${options.endpointUrl} is not a URL (for LocalStack: http://localhost:4566)`, { cause: error });
    }
    if (this.endpoint.protocol !== 'http:' && this.endpoint.protocol !== 'https:') {
      throw new EndpointBackendUnavailableError(`--endpoint-url ${options.endpointUrl} must be an http:// or https:// URL`);
    }
    this.options = options;
    this.runId = runId;
    this.description = `endpoint ${options.endpointUrl}`;
  }

  /**
   * The endpoint for one service: the URL itself, except that an AWS service endpoint
   * (`https://ec2.eu-west-1.amazonaws.com`) serves only its own service; the others then use
   * their default endpoints in the scenario's region.
   */
  private endpointFor(service: string): string | undefined {
    const aws = /^([a-z0-9-]+)\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.exec(this.endpoint.hostname);
    // The Classic Load Balancer API has the v2 endpoint (`elasticloadbalancing`); only its client cache differs.
    if (aws && aws[1] !== service.replace(/-classic$/, '')) return undefined;
    return this.options.endpointUrl;
  }

  private makeClient<C extends EndpointSdkClient>(Client: new (config: Record<string, unknown>) => C, service: string, role: string | undefined): C {
    const endpoint = this.endpointFor(service);
    const extra = this.options.clientConfig ?? {};
    const client = new Client({
      region: this.region,
      ...(endpoint !== undefined ? { endpoint } : {}),
      maxAttempts: extra.maxAttempts ?? 3,
      // Path-style addressing: an endpoint such as LocalStack serves every bucket on one host.
      ...(service === 's3' ? { forcePathStyle: true } : {}),
      ...(extra.credentials !== undefined ? { credentials: extra.credentials } : {}),
      ...(extra.retryStrategy !== undefined ? { retryStrategy: extra.retryStrategy } : {}),
    });
    if (role !== undefined) this.record(client, role);
    this.options.configureClient?.(client);
    return client;
  }

  /**
   * Records every attempt of `client` into the call log and answers injected faults, denied
   * actions and DescribeExecution in its place. Below the retry middleware, so each SDK attempt is
   * one record and a throttling fault is retried by the SDK exactly as AWS's would be.
   */
  private record(client: EndpointSdkClient, role: string): void {
    const middleware: FinalizeRequestMiddleware<object, object> = (next, context) => async (args) => {
      const service = SERVICE_BY_CLIENT[context.clientName ?? ''] ?? 'ec2';
      const api = `${service}:${String(context.commandName ?? '').replace(/Command$/, '')}`;
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      const body = request.body;
      const dryRun = service === 'ec2' && typeof body === 'string' && /(^|&)DryRun=true(&|$)/.test(body);
      const attempt = Number(/attempt=(\d+)/.exec(request.headers?.['amz-sdk-request'] ?? '')?.[1] ?? 1);
      const input = structuredClone(args.input) as Record<string, unknown>;
      const caller = `arn:aws:sts::${this.account}:assumed-role/${role}/firebreak-gameday`;
      const log = (outcome: 'ok' | 'error', code?: string, injected = false, unimplemented = false) => {
        this.calls.push({
          seq: this.calls.length + 1,
          at: new Date(),
          wallMs: wallClockMs(),
          api,
          account: this.account,
          region: this.region,
          caller,
          input,
          outcome,
          ...(code !== undefined ? { errorCode: code } : {}),
          dryRun,
          injected,
          attempt,
          ...(unimplemented ? { unimplemented } : {}),
        });
      };
      const fault = this.faults.take(api, this.account, this.region, input);
      if (fault && !fault.takesEffect) {
        log('error', fault.error.code, true);
        throw sdkError(service, fault.error, attempt);
      }
      if (this.denied.some((pattern) => matchesAction(pattern, api))) {
        const identity = { account: this.account, principalArn: `arn:aws:iam::${this.account}:role/${role}`, sessionArn: caller, userId: role };
        const answer = accessDenied(service, identity, api, 'with an explicit deny in an identity-based policy (game-day deniedActions, applied in the client)');
        log('error', answer.code);
        throw sdkError(service, answer, attempt);
      }
      const action = api.slice('states:'.length);
      const taskTokenAction = service === 'states' ? TASK_TOKEN_ACTIONS.find((known) => known === action) : undefined;
      const executions = this.executions;
      const taskTokens = this.taskTokens;
      const starter = this.starter;
      const served =
        api === 'states:DescribeExecution' && executions !== undefined
          ? () => describeExecution(executions, String(input.executionArn ?? ''))
          : api === 'states:GetExecutionHistory' && executions !== undefined
            ? () => executionHistory(executions, input)
          : api === 'states:StartExecution' && starter !== undefined
            ? () => startExecution(starter, input)
          : taskTokenAction !== undefined && taskTokens !== undefined
            ? () => answerTaskTokenCall(taskTokens, taskTokenAction, input)
            : undefined;
      if (served !== undefined) {
        try {
          const output = served();
          log('ok');
          return { output: { ...output, $metadata: { httpStatusCode: 200, attempts: attempt } }, response: { statusCode: 200, headers: {} } } as never;
        } catch (error) {
          if (!(error instanceof SimulatedServiceError)) throw error;
          log('error', error.code);
          throw sdkError(service, error, attempt);
        }
      }
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        log('error', errorCode(error), false, notImplementedByEndpoint(error));
        throw error;
      }
      // A fault that takes effect: the endpoint carried the call out; the responder gets the error.
      if (fault) {
        log('error', fault.error.code, true);
        throw sdkError(service, fault.error, attempt);
      }
      log('ok');
      return result;
    };
    (client.middlewareStack as unknown as {
      addRelativeTo(m: FinalizeRequestMiddleware<object, object>, o: { relation: 'after'; toMiddleware: string; name: string }): void;
    }).addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'firebreakGameDayEndpointRecorder' });
  }

  /** Clients of one role (recorded) or of the backend itself (role undefined: not recorded, no faults). One endpoint, one account. */
  private factory(role: string | undefined): GameDayClients & { sts(): STSClient } {
    const cache = new Map<string, EndpointSdkClient>();
    const get = <C extends EndpointSdkClient>(key: string, Client: new (config: Record<string, unknown>) => C): C => {
      let client = cache.get(key) as C | undefined;
      if (!client) {
        client = this.makeClient(Client, key, role);
        cache.set(key, client);
      }
      return client;
    };
    return {
      ec2: async () => get('ec2', EC2Client),
      iam: async () => get('iam', IAMClient),
      sns: () => get('sns', SNSClient),
      sfn: () => get('states', SFNClient),
      dynamodb: () => get('dynamodb', DynamoDBClient),
      sqs: () => get('sqs', SQSClient),
      kms: () => get('kms', KMSClient),
      // The Route 53 Resolver client is of an older SDK line (its smithy types differ; its wire does not).
      route53resolver: async () => get('route53resolver', Route53ResolverClient as unknown as new (config: Record<string, unknown>) => KMSClient) as unknown as Route53ResolverClient,
      s3: async () => get('s3', S3Client),
      securityhub: async () => get('securityhub', SecurityHubClient),
      // The endpoint's one region (the backend's): the intake asks in the event's region, which is it.
      guardduty: () => get('guardduty', GuardDutyClient),
      sts: () => get('sts', STSClient),
      autoScaling: async () => get('autoscaling', AutoScalingClient),
      elbv2: async () => get('elasticloadbalancing', ElasticLoadBalancingV2Client),
      // Same endpoint as v2 (one service, two APIs); its own cache entry.
      elb: async () => get('elasticloadbalancing-classic', ElasticLoadBalancingClient),
    };
  }

  protected operatorClients(region: string): OperatorClients {
    this.region = region;
    const clients = this.factory(undefined);
    return {
      ec2: () => clients.ec2({ account: this.account, region }),
      iam: () => clients.iam({ account: this.account, region }),
      sts: async () => clients.sts(),
      sns: () => clients.sns(),
      sqs: () => clients.sqs(),
      dynamodb: () => clients.dynamodb(),
      kms: () => clients.kms(),
      // One account: the environment's keys are the deployment's account's.
      environmentKms: async () => clients.kms(),
      autoScaling: () => clients.autoScaling({ account: this.account, region }),
      elbv2: () => clients.elbv2({ account: this.account, region }),
      elb: () => clients.elb({ account: this.account, region }),
      s3: () => clients.s3({ account: this.account, region }),
      route53resolver: () => clients.route53resolver({ account: this.account, region }),
    };
  }

  /**
   * Asks the endpoint who the caller is, once, before any scenario: throws EnvironmentSetupError
   * naming missing credentials or an endpoint that does not answer, which would otherwise fail
   * every scenario with the same words.
   */
  async checkReachable(): Promise<void> {
    await this.callerAccount(this.operatorClients(this.region));
  }

  protected async callerAccount(clients: OperatorClients): Promise<string> {
    try {
      const identity = await (await clients.sts()).send(new GetCallerIdentityCommand({}));
      this.account = identity.Account ?? this.account;
      return this.account;
    } catch (error) {
      const name = errorCode(error);
      if (name === 'CredentialsProviderError' || /credential/i.test(error instanceof Error ? error.message : '')) {
        throw new EnvironmentSetupError(
          `no AWS credentials for ${this.options.endpointUrl}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
            '(LocalStack and moto accept any value, e.g. test/test) or AWS_PROFILE for a test account',
          { cause: error },
        );
      }
      throw new EnvironmentSetupError(`${this.options.endpointUrl} did not answer sts:GetCallerIdentity (${errorText(error)}); is the endpoint running?`, { cause: error });
    }
  }

  protected async pause(ms: number): Promise<void> {
    await sleep(ms);
  }

  protected rehearse(environment: EnvironmentDocument): void {
    for (const fault of environment.faults) {
      this.faults.inject(faultSpecOf(fault));
    }
    this.denied = [...environment.deniedActions];
  }

  serveExecutionStarts(starter: ExecutionStarter): void {
    this.starter = starter;
  }

  serveExecutions(directory: ExecutionDirectory): void {
    this.executions = directory;
  }

  serveTaskTokens(handler: TaskTokenHandler): void {
    this.taskTokens = handler;
  }

  clients(role: string): GameDayClients {
    let clients = this.roleClients.get(role);
    if (!clients) {
      clients = this.factory(role);
      this.roleClients.set(role, clients);
    }
    return clients;
  }

  now(): Date {
    return new Date();
  }

  advance(_ms: number): void {
    // The endpoint's clock is the wall clock: retries and timeouts really wait.
  }

  callLog(): readonly GameDayCall[] {
    return [...this.calls];
  }

  callCount(): number {
    return this.calls.length;
  }
}

/**
 * The `--endpoint-url` backend: creates the environment on `endpointUrl` through the SDK, applies
 * faults and denied actions in the client, inspects with Describe* calls and deletes what it
 * created. Throws EndpointBackendUnavailableError for a URL it cannot use. The AMI comes from
 * FIREBREAK_GAMEDAY_IMAGE_ID when set.
 */
export function createEndpointBackend(endpointUrl: string): GameDayBackend {
  return new EndpointBackend({ endpointUrl });
}

/**
 * Checks once that `endpointUrl` can be used (a URL, credentials, an answer to
 * sts:GetCallerIdentity); throws EndpointBackendUnavailableError or EnvironmentSetupError saying why.
 */
export async function checkEndpointReachable(endpointUrl: string): Promise<void> {
  await new EndpointBackend({ endpointUrl }).checkReachable();
}

