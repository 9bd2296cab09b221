/**
 * How real SDK v3 clients reach the simulated account.
 *
 * Two middlewares go into the client's own stack, after the retry and signing steps (so the SDK
 * serializes, signs and retries exactly as it does against AWS):
 *  - the *answering* middleware (deserialize step, before the deserializer) hands the command to
 *    the simulator; a success is returned as the command's output;
 *  - an AWS error answer is rendered as the HTTP error response of the service's own protocol
 *    (EC2 query XML, AWS query XML, JSON) and passed down to the *transport* middleware (in place
 *    of the HTTP handler), so that the SDK's own deserializer builds the exception. The responder
 *    therefore gets the very class, `name`, `$fault`, `$metadata` and retry behaviour it would get
 *    from AWS. No socket is ever opened.
 *
 * With `fast` wiring (the default) a third middleware answers successful first attempts at the
 * initialize step, skipping serialization and signing (about 5× cheaper: a 10,000-finding storm
 * stays quick). Anything else takes the full path: an error answer is carried down the whole
 * pipeline so that the SDK deserializes and retries it exactly as above, and a request with
 * `DryRun: true` is serialized first, because only the wire shows whether the API has a DryRun
 * parameter at all (the IAM instance profile association APIs do not: the SDK drops it).
 */
import type {
  DeserializeHandlerArguments,
  DeserializeMiddleware,
  HandlerExecutionContext,
  InitializeMiddleware,
  RetryErrorInfo,
  RetryStrategyV2,
  RetryToken,
  StandardRetryToken,
} from '@smithy/types';
import type { ServiceName } from './call';
import { SimulatedServiceError, SimulatorUnsupportedApiError } from './errors';
import type { SimClock } from './clock';

/** SDK client class name → IAM service prefix. */
export const SERVICE_BY_CLIENT: Readonly<Record<string, ServiceName>> = {
  EC2Client: 'ec2',
  IAMClient: 'iam',
  SNSClient: 'sns',
  SQSClient: 'sqs',
  STSClient: 'sts',
  DynamoDBClient: 'dynamodb',
  SFNClient: 'states',
  EventBridgeClient: 'events',
  KMSClient: 'kms',
  AutoScalingClient: 'autoscaling',
  ElasticLoadBalancingV2Client: 'elasticloadbalancing',
  ElasticLoadBalancingClient: 'elasticloadbalancing',
  Route53ResolverClient: 'route53resolver',
  S3Client: 's3',
  SecurityHubClient: 'securityhub',
  GuardDutyClient: 'guardduty',
};

/** One command as it reaches the simulator. */
export interface WireRequest {
  readonly clientName: string;
  readonly commandName: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly accessKeyId: string;
  readonly region: string;
  /** What the serialized request says about DryRun (EC2 query body `DryRun=true`). */
  readonly wireDryRun: boolean;
  /** The SDK attempt number (from the `amz-sdk-request` header), 1-based. */
  readonly attempt: number;
  readonly requestId: string;
}

export interface WireAnswerer {
  /** Answers synchronously: an output object, or throws (SimulatedServiceError → HTTP error answer). */
  answer(request: WireRequest): object;
  newRequestId(): string;
}

interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

const XML_NAMESPACES: Partial<Record<ServiceName, string>> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  sns: 'http://sns.amazonaws.com/doc/2010-03-31/',
  autoscaling: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
  elasticloadbalancing: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
};

/** SQS speaks JSON but keeps its query-era codes in `x-amzn-query-error`. */
const SQS_QUERY_CODES: Readonly<Record<string, string>> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
};

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const encoder = new TextEncoder();

/** JSON with binary values as base64, as the JSON protocols carry them. */
function jsonBody(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
}

/** S3 APIs sent as HTTP HEAD: their error answers have no body (only the status), as S3 sends them. */
const S3_HEAD_COMMANDS: ReadonlySet<string> = new Set(['HeadObjectCommand']);

/** The HTTP error response the service would send for `error` to `commandName`. */
export function errorAnswer(service: ServiceName, error: SimulatedServiceError, requestId: string, commandName: string): HttpAnswer {
  const status = error.httpStatus;
  switch (service) {
    case 'ec2': {
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html#api-error-response
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Response><Errors><Error><Code>${xml(error.code)}</Code><Message>${xml(error.message)}</Message></Error></Errors>` +
        `<RequestID>${requestId}</RequestID></Response>`;
      return { statusCode: status, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }, body: encoder.encode(body) };
    }
    case 'iam':
    case 'sts':
    case 'sns':
    case 'autoscaling':
    case 'elasticloadbalancing': {
      const body =
        `<ErrorResponse xmlns="${XML_NAMESPACES[service] ?? ''}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
        `<Code>${xml(error.code)}</Code><Message>${xml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { statusCode: status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: encoder.encode(body) };
    }
    case 'sqs': {
      const code = error.code === 'AccessDenied' ? 'AccessDeniedException' : error.code;
      const queryCode = SQS_QUERY_CODES[error.code] ?? error.code;
      return {
        statusCode: status,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': requestId,
          'x-amzn-query-error': `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`,
        },
        body: encoder.encode(jsonBody({ __type: code, message: error.message, ...error.extra })),
      };
    }
    case 's3': {
      // A HEAD answer has no body: the SDK knows a 404 as NotFound, any other status only by its
      // number (a 403 arrives named Unknown) (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
      if (S3_HEAD_COMMANDS.has(commandName)) return { statusCode: status, headers: { 'x-amz-request-id': requestId }, body: new Uint8Array() };
      // REST-XML: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xml(error.code)}</Code><Message>${xml(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
      return { statusCode: status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId }, body: encoder.encode(body) };
    }
    case 'securityhub':
    case 'guardduty':
      // REST-JSON: the error code in x-amzn-errortype (https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization).
      return {
        statusCode: status,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code },
        body: encoder.encode(jsonBody({ Code: error.code, Message: error.message, ...error.extra })),
      };
    case 'dynamodb':
    case 'states':
    case 'events':
    case 'kms':
    case 'route53resolver':
      return {
        statusCode: status,
        headers: { 'content-type': service === 'events' || service === 'kms' || service === 'route53resolver' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
        body: encoder.encode(jsonBody({ __type: error.code, message: error.message, ...error.extra })),
      };
  }
}

/** Credentials and region of a client, as its resolved config holds them. */
interface ResolvedClientConfig {
  readonly credentials?: () => Promise<{ accessKeyId: string }>;
  readonly region: string | (() => Promise<string>);
}

/** The part of an SDK v3 client the wiring uses. */
export interface WirableClient {
  readonly config: object;
  readonly middlewareStack: {
    add(middleware: DeserializeMiddleware<object, object>, options: { step: 'deserialize'; priority: 'high' | 'low'; name: string; tags?: string[] }): void;
    add(middleware: InitializeMiddleware<object, object>, options: { step: 'initialize'; priority: 'high' | 'low'; name: string; tags?: string[] }): void;
  };
}

/** `fast`: successful first attempts skip serialization and signing; `full`: every call takes the whole SDK pipeline. */
export type WireMode = 'fast' | 'full';

const FAST = 'firebreakSimulatedAwsFastAnswer';
const ANSWER = 'firebreakSimulatedAwsAnswer';
const TRANSPORT = 'firebreakSimulatedAwsTransport';
const TAGS = ['FIREBREAK_SIMULATED_AWS'];
const wired = new WeakSet<object>();

function wireDryRun(args: DeserializeHandlerArguments<object>): boolean {
  const body = (args.request as { body?: unknown } | undefined)?.body;
  return typeof body === 'string' && /(^|&)DryRun=true(&|$)/.test(body);
}

function attemptOf(args: DeserializeHandlerArguments<object>): number {
  const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers;
  const match = /attempt=(\d+)/.exec(headers?.['amz-sdk-request'] ?? '');
  return match ? Number(match[1]) : 1;
}

function metadata(requestId: string) {
  return { httpStatusCode: 200, requestId, attempts: 1, totalRetryDelay: 0 };
}

/** Adds the simulator middlewares to a client (once). */
export function wireClient<C extends WirableClient>(client: C, answerer: WireAnswerer, mode: WireMode = 'fast'): C {
  if (wired.has(client)) return client;
  wired.add(client);
  // Per call, by the objects one call carries down the stack (its input from the initialize step to
  // the deserialize step, the HTTP request of one attempt), not by the handler context: a client
  // with `cacheMiddleware` (as the simulated client factory builds them) shares one context between
  // every call of a command class, concurrent ones included.
  const pending = new WeakMap<object, HttpAnswer>();
  const firstAnswers = new WeakMap<object, { error: SimulatedServiceError; requestId: string }>();
  const config = client.config as ResolvedClientConfig;

  const locate = async (context: HandlerExecutionContext) => {
    const clientName = context.clientName ?? '';
    const commandName = context.commandName ?? '';
    const service = SERVICE_BY_CLIENT[clientName];
    if (!service) throw new SimulatorUnsupportedApiError(`${clientName}.${commandName}`, commandName);
    const credentials = await config.credentials?.();
    const region = typeof config.region === 'function' ? await config.region() : config.region;
    return { clientName, commandName, service, accessKeyId: credentials?.accessKeyId ?? '', region };
  };

  const fast: InitializeMiddleware<object, object> = (next, context) => async (args) => {
    const input = args.input as Record<string, unknown>;
    if (input.DryRun === true) return next(args);
    const { service: _service, ...where } = await locate(context);
    const requestId = answerer.newRequestId();
    try {
      const output = answerer.answer({ ...where, input, wireDryRun: false, attempt: 1, requestId });
      return { output: { ...output, $metadata: metadata(requestId) }, response: { statusCode: 200, headers: { 'x-amzn-requestid': requestId } } };
    } catch (error) {
      if (!(error instanceof SimulatedServiceError)) throw error;
      // Let the SDK deserialize and retry this answer exactly as it would AWS's.
      firstAnswers.set(input, { error, requestId });
      return next(args);
    }
  };

  const answering: DeserializeMiddleware<object, object> = (next, context) => async (args) => {
    const { service, ...where } = await locate(context);
    const first = firstAnswers.get(args.input);
    if (first) {
      firstAnswers.delete(args.input);
      pending.set(args.request as object, errorAnswer(service, first.error, first.requestId, where.commandName));
      return next(args);
    }
    const requestId = answerer.newRequestId();
    try {
      const output = answerer.answer({
        ...where,
        input: args.input as Record<string, unknown>,
        wireDryRun: wireDryRun(args),
        attempt: attemptOf(args),
        requestId,
      });
      return {
        output: { ...output, $metadata: metadata(requestId) },
        response: { statusCode: 200, headers: { 'x-amzn-requestid': requestId }, body: new Uint8Array() },
      };
    } catch (error) {
      if (!(error instanceof SimulatedServiceError)) throw error;
      pending.set(args.request as object, errorAnswer(service, error, requestId, where.commandName));
      return next(args);
    }
  };

  const transport: DeserializeMiddleware<object, object> = () => async (args) => {
    const answer = pending.get(args.request as object);
    pending.delete(args.request as object);
    if (!answer) throw new Error('simulated AWS transport reached without an answer: the simulator middlewares are out of order');
    return { response: answer, output: {} };
  };

  if (mode === 'fast') client.middlewareStack.add(fast, { step: 'initialize', priority: 'low', name: FAST, tags: TAGS });
  client.middlewareStack.add(answering, { step: 'deserialize', priority: 'high', name: ANSWER, tags: TAGS });
  client.middlewareStack.add(transport, { step: 'deserialize', priority: 'low', name: TRANSPORT, tags: TAGS });
  return client;
}

/**
 * The SDK's standard retry decisions (3 attempts, retry only throttling and transient errors) with
 * no real sleep: the backoff is taken on the simulated clock instead (the expected value of the
 * SDK's full-jitter delay: half of min(base × 2^retry, 20 s), base 1 s for throttling, 50 ms
 * otherwise), so a throttled game day stays fast and reproducible while its timeline shows the wait.
 */
export function simulatedRetryStrategy(clock: SimClock, maxAttempts = 3): RetryStrategyV2 {
  const token = (count: number): StandardRetryToken => ({
    getRetryCount: () => count,
    getRetryDelay: () => 0,
    getRetryCost: () => undefined,
  });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: RetryToken, errorInfo: RetryErrorInfo) => {
      const count = previous.getRetryCount();
      const retryable = errorInfo.errorType === 'THROTTLING' || errorInfo.errorType === 'TRANSIENT';
      if (!retryable || count + 1 >= maxAttempts) throw new Error('No retry token available');
      const base = errorInfo.errorType === 'THROTTLING' ? 1_000 : 50;
      clock.advance(Math.min(base * 2 ** count, 20_000) / 2);
      return token(count + 1);
    },
    recordSuccess: () => undefined,
  };
}
