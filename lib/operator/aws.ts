/**
 * Thin AWS adapters of the operator tools (live game day, release, approvals): who the caller is,
 * in which region, the deployed stack's outputs and the playbook executions' history. Each takes an
 * injected SDK v3 client, makes one kind of call (paging where the API pages) and turns AWS's
 * answers into what the pure modules use, or into an error that says exactly what is missing.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { ExecutionListItem, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { STSClient } from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { awsErrorCode, isAccessDeniedAwsError } from '../aws/errors';
import { LiveSetupError, WatchFailedError } from './errors';
import type { DeployedStack } from './stack';
import { readDeployedStack } from './stack';

/** Who is injecting, from STS. */
export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: from the caller's ARN. */
  readonly partition: string;
}

/** Where a call was made, for messages: `eu-west-1/111122223333`. */
export interface Where {
  readonly region: string;
  readonly account: string;
}

const EXPIRED_CODES = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The credentials problem behind `error`, or undefined when it is something else. */
export function credentialsProblem(error: unknown): LiveSetupError | undefined {
  const code = awsErrorCode(error);
  if (code === 'CredentialsProviderError') {
    return new LiveSetupError(
      'no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or run `aws sso login`) for the account the Firebreak stack is deployed in',
      { cause: error },
    );
  }
  if (code !== undefined && EXPIRED_CODES.has(code)) {
    return new LiveSetupError(`the AWS credentials have expired (${code}): refresh them (for example \`aws sso login\`) and try again`, { cause: error });
  }
  if (code === 'InvalidClientTokenId' || code === 'UnrecognizedClientException' || code === 'SignatureDoesNotMatch') {
    return new LiveSetupError(`AWS does not recognize these credentials (${code}): check AWS_PROFILE / AWS_ACCESS_KEY_ID and the secret key`, { cause: error });
  }
  return undefined;
}

/** A failed call as the error to report: credentials first, then permissions, then AWS's own words. */
export function callError(error: unknown, api: string, make: (message: string, options: { cause: unknown }) => Error): Error {
  const problem = credentialsProblem(error);
  if (problem) return problem;
  const code = awsErrorCode(error) ?? 'UnknownError';
  if (isAccessDeniedAwsError(error)) return make(`not allowed to call ${api} (${code}): your role needs ${api}`, { cause: error });
  return make(`${api} failed (${code}): ${messageOf(error)}`, { cause: error });
}

export const setupError = (message: string, options: { cause: unknown }) => new LiveSetupError(message, options);
const watchError = (message: string, options: { cause: unknown }) => new WatchFailedError(message, options);

/** The region the clients use (`--region`, AWS_REGION, or the profile's), or a LiveSetupError naming both ways to give one. */
export async function resolveRegion(client: { readonly config: { readonly region: () => Promise<string> } }): Promise<string> {
  try {
    const region = await client.config.region();
    if (region) return region;
  } catch (error) {
    if (!/region is missing/i.test(messageOf(error))) throw error;
  }
  throw new LiveSetupError('no AWS region: pass --region (the region the Firebreak stack is deployed in) or set AWS_REGION');
}

/** sts:GetCallerIdentity: the account whose bus and stack are used (needs no permission, so it is the credentials check). */
export async function callerIdentity(sts: STSClient): Promise<CallerIdentity> {
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const arn = identity.Arn ?? '';
    return { account: identity.Account ?? '', arn, partition: /^arn:([\w-]+):/.exec(arn)?.[1] ?? 'aws' };
  } catch (error) {
    throw callError(error, 'sts:GetCallerIdentity', setupError);
  }
}

/** cloudformation:DescribeStacks on the stack: its outputs, or a LiveSetupError when it is not deployed there. */
export async function describeStack(cloudFormation: CloudFormationClient, stackName: string, where: Where): Promise<DeployedStack> {
  let stack;
  try {
    const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    stack = answer.Stacks?.[0];
  } catch (error) {
    // CloudFormation answers ValidationError "Stack with id X does not exist" for a missing stack.
    if (!(awsErrorCode(error) === 'ValidationError' && /does not exist/i.test(messageOf(error)))) {
      throw callError(error, 'cloudformation:DescribeStacks', setupError);
    }
  }
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
    throw new LiveSetupError(
      `stack ${stackName} not found in ${where.region}/${where.account}: deploy it with \`npx cdk deploy Firebreak\` or pass --stack NAME (and --region) of the deployed one`,
    );
  }
  const outputs = (stack.Outputs ?? []).flatMap((output) =>
    output.OutputKey && output.OutputValue !== undefined
      ? [{ key: output.OutputKey, value: output.OutputValue, ...(output.Description ? { description: output.Description } : {}) }]
      : [],
  );
  return readDeployedStack(stack.StackName ?? stackName, outputs, stack.StackStatus);
}

/** At most this many ListExecutions pages per state machine and poll: a busy machine must not turn a watch into a crawl. */
export const MAX_LIST_PAGES = 5;

/**
 * states:ListExecutions of one state machine, newest first, paged until an execution started
 * before `since` (the API lists the most recent executions first:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).
 */
export async function listExecutionsSince(sfn: SFNClient, stateMachineArn: string, since: Date): Promise<ExecutionListItem[]> {
  const found: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
    let answer;
    try {
      answer = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
    } catch (error) {
      throw callError(error, 'states:ListExecutions', watchError);
    }
    const executions = answer.executions ?? [];
    const recent = executions.filter((execution) => execution.startDate && new Date(execution.startDate).getTime() >= since.getTime());
    found.push(...recent);
    nextToken = answer.nextToken;
    if (!nextToken || recent.length < executions.length) break;
  }
  return found;
}

/** states:GetExecutionHistory of one execution, every page, oldest event first. */
export async function readExecutionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    let answer;
    try {
      answer = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) }),
      );
    } catch (error) {
      throw callError(error, 'states:GetExecutionHistory', watchError);
    }
    events.push(...(answer.events ?? []));
    nextToken = answer.nextToken;
  } while (nextToken);
  return events;
}

/** Where the dispatcher's logs go by default (lib/stack/compiled-state-machine.ts names the group after the state machine). */
export function defaultDispatcherLogGroup(dispatcherArn: string): string | undefined {
  const name = /:stateMachine:([A-Za-z0-9_-]+)$/.exec(dispatcherArn)?.[1];
  return name ? `/aws/vendedlogs/states/${name}` : undefined;
}

/**
 * The dispatcher's log group, from states:DescribeStateMachine's logging configuration. Express
 * executions are not listed by ListExecutions or kept in a history: their events exist only in
 * CloudWatch Logs (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
 */
export async function dispatcherLogGroup(sfn: SFNClient, dispatcherArn: string): Promise<string | undefined> {
  try {
    const answer = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: dispatcherArn }));
    const arn = answer.loggingConfiguration?.destinations?.[0]?.cloudWatchLogsLogGroup?.logGroupArn;
    const name = arn ? /:log-group:([^:]+)(?::\*)?$/.exec(arn)?.[1] : undefined;
    if (name) return name;
  } catch {
    // Only a hint for the engineer: fall back to the name the stack gives the group.
  }
  return defaultDispatcherLogGroup(dispatcherArn);
}
