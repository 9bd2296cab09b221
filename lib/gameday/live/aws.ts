/**
 * Thin AWS adapters of the live game day. Each takes an injected SDK v3 client, makes one kind of
 * call (paging where the API pages) and turns AWS's answers into what the pure modules use, or into
 * an error that says exactly what is missing.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { CreateSampleFindingsCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import type { ExecutionListItem, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { STSClient } from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { awsErrorCode, isAccessDeniedAwsError } from '../../aws/errors';
import { GAMEDAY_SOURCE } from '../../incident/schemas';
import { InjectionRejectedError, LiveSetupError, WatchFailedError } from './errors';
import type { DescribedInstance, GameDayEntry } from './injection';
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
function callError(error: unknown, api: string, make: (message: string, options: { cause: unknown }) => Error): Error {
  const problem = credentialsProblem(error);
  if (problem) return problem;
  const code = awsErrorCode(error) ?? 'UnknownError';
  if (isAccessDeniedAwsError(error)) return make(`not allowed to call ${api} (${code}): your role needs ${api}`, { cause: error });
  return make(`${api} failed (${code}): ${messageOf(error)}`, { cause: error });
}

const setupError = (message: string, options: { cause: unknown }) => new LiveSetupError(message, options);
const rejectedError = (message: string, options: { cause: unknown }) => new InjectionRejectedError(message, options);
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
      `stack ${stackName} not found in ${where.region}/${where.account}: deploy it with \`npx cdk deploy\` or pass --stack NAME (and --region) of the deployed one`,
    );
  }
  const outputs = (stack.Outputs ?? []).flatMap((output) =>
    output.OutputKey && output.OutputValue !== undefined
      ? [{ key: output.OutputKey, value: output.OutputValue, ...(output.Description ? { description: output.Description } : {}) }]
      : [],
  );
  return readDeployedStack(stack.StackName ?? stackName, outputs, stack.StackStatus);
}

function describedFrom(instance: Instance): DescribedInstance {
  const tags = Object.fromEntries((instance.Tags ?? []).flatMap((tag) => (tag.Key ? [[tag.Key, tag.Value ?? '']] : [])));
  const interfaces = [...(instance.NetworkInterfaces ?? [])].sort(
    (a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0),
  );
  return {
    ...(instance.InstanceType ? { instanceType: instance.InstanceType } : {}),
    ...(instance.Placement?.AvailabilityZone ? { availabilityZone: instance.Placement.AvailabilityZone } : {}),
    ...(instance.ImageId ? { imageId: instance.ImageId } : {}),
    ...(instance.State?.Name ? { state: instance.State.Name } : {}),
    ...(instance.LaunchTime ? { launchTime: new Date(instance.LaunchTime).toISOString() } : {}),
    ...(instance.IamInstanceProfile?.Arn
      ? { instanceProfile: { arn: instance.IamInstanceProfile.Arn, ...(instance.IamInstanceProfile.Id ? { id: instance.IamInstanceProfile.Id } : {}) } }
      : {}),
    networkInterfaces: interfaces.flatMap((eni) =>
      eni.NetworkInterfaceId
        ? [
            {
              networkInterfaceId: eni.NetworkInterfaceId,
              ...(eni.PrivateIpAddress ? { privateIpAddress: eni.PrivateIpAddress } : {}),
              ...(eni.PrivateDnsName ? { privateDnsName: eni.PrivateDnsName } : {}),
              ...(eni.Association?.PublicIp ? { publicIp: eni.Association.PublicIp } : {}),
              ...(eni.Association?.PublicDnsName ? { publicDnsName: eni.Association.PublicDnsName } : {}),
              ...(eni.SubnetId ? { subnetId: eni.SubnetId } : {}),
              ...(eni.VpcId ? { vpcId: eni.VpcId } : {}),
              securityGroups: (eni.Groups ?? []).flatMap((group) =>
                group.GroupId ? [{ groupId: group.GroupId, ...(group.GroupName ? { groupName: group.GroupName } : {}) }] : [],
              ),
            },
          ]
        : [],
    ),
    tags,
  };
}

/** ec2:DescribeInstances on the target (`--describe`): its ENIs, VPC, groups, profile and tags, as GuardDuty would report them. */
export async function describeTargetInstance(ec2: EC2Client, instanceId: string, where: Where): Promise<DescribedInstance> {
  try {
    const answer = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = answer.Reservations?.flatMap((reservation) => reservation.Instances ?? []).find((item) => item.InstanceId === instanceId);
    if (instance) return describedFrom(instance);
  } catch (error) {
    const code = awsErrorCode(error);
    if (code !== 'InvalidInstanceID.NotFound' && code !== 'InvalidInstanceID.Malformed') throw callError(error, 'ec2:DescribeInstances', setupError);
  }
  throw new LiveSetupError(`--describe: instance ${instanceId} not found in ${where.region}/${where.account} (check --instance and --region)`);
}

/**
 * events:PutEvents of one game-day entry; resolves to the event id. PutEvents reports refused
 * entries in the answer without throwing (FailedEntryCount, and ErrorCode / ErrorMessage per entry:
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html), so both are checked.
 */
export async function putGameDayEvent(eventBridge: EventBridgeClient, entry: GameDayEntry): Promise<string> {
  let answer;
  try {
    answer = await eventBridge.send(new PutEventsCommand({ Entries: [{ ...entry, Resources: [...entry.Resources] }] }));
  } catch (error) {
    // The game-day bus denies every principal but the deployment's gameDayPrincipals, whatever IAM allows.
    if (isAccessDeniedAwsError(error) && !credentialsProblem(error)) {
      throw new InjectionRejectedError(
        `not allowed to call events:PutEvents on bus ${entry.EventBusName} (${awsErrorCode(error) ?? 'AccessDenied'}): the game-day bus admits only the deployment's gameDayPrincipals, so your principal must be one of them (and hold events:PutEvents on the bus); nothing was injected`,
        { cause: error },
      );
    }
    throw callError(error, 'events:PutEvents', rejectedError);
  }
  const result = answer.Entries?.[0];
  if ((answer.FailedEntryCount ?? 0) > 0 || result?.ErrorCode || !result?.EventId) {
    const code = result?.ErrorCode ?? 'UnknownError';
    const hint =
      code === 'NotAuthorizedForSourceException'
        ? ` (EventBridge refuses custom events whose source starts with "aws."; game-day events use ${GAMEDAY_SOURCE})`
        : code === 'AccessDeniedException'
          ? ` (the game-day bus ${entry.EventBusName} admits only the deployment's gameDayPrincipals: your principal must be one of them and hold events:PutEvents on the bus)`
          : '';
    throw new InjectionRejectedError(
      `EventBridge refused the game-day event on bus ${entry.EventBusName}: ${code}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ''}${hint}; nothing was injected (FailedEntryCount ${answer.FailedEntryCount ?? 0})`,
    );
  }
  return result.EventId;
}

/** guardduty:ListDetectors: the region's detector, or a LiveSetupError saying GuardDuty is not enabled. */
export async function findDetector(guardDuty: GuardDutyClient, where: Where): Promise<string> {
  let ids: string[];
  try {
    ids = (await guardDuty.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
  } catch (error) {
    throw callError(error, 'guardduty:ListDetectors', setupError);
  }
  // One detector per account and region (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ListDetectors.html).
  const [detectorId] = ids;
  if (detectorId === undefined) {
    throw new LiveSetupError(
      `GuardDuty is not enabled in ${where.region}/${where.account} (ListDetectors returned no detector): enable it (\`aws guardduty create-detector --enable --region ${where.region}\`) or inject a template finding instead of --guardduty-samples`,
    );
  }
  return detectorId;
}

/** guardduty:CreateSampleFindings of the given types on the detector. */
export async function createSampleFindings(guardDuty: GuardDutyClient, detectorId: string, findingTypes: readonly string[]): Promise<void> {
  try {
    await guardDuty.send(new CreateSampleFindingsCommand({ DetectorId: detectorId, FindingTypes: [...findingTypes] }));
  } catch (error) {
    throw callError(error, 'guardduty:CreateSampleFindings', rejectedError);
  }
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
