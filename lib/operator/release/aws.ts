/**
 * Thin AWS adapters of `firebreak release`: each takes an injected SDK v3 client, makes one kind of
 * call and turns AWS's answer into plain data, or into an error that says what is missing (exit 2)
 * or what AWS refused (exit 1).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ExecutionStatus, SFNClient } from '@aws-sdk/client-sfn';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describeInstance, tagRecord } from '../../aws/describe-instance';
import { awsErrorCode, isAccessDeniedAwsError } from '../../aws/errors';
import { credentialsProblem } from '../aws';
import { ReleaseFailedError, ReleaseSetupError } from './errors';
import type { ManualRequest } from '../manual-request';
import type { RecordedQuarantine } from './request';
import { claimsOf, quarantineRecordKey } from '../../responders/quarantine-records';

/** Where a call was made, for messages. */
export interface Where {
  readonly region: string;
  readonly account: string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What ec2:DescribeInstances says of the instance to release. */
export interface InstanceToRelease {
  readonly state?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** ec2:DescribeInstances of the instance: its state and tags, or a ReleaseSetupError when it cannot be read. */
export async function describeInstanceToRelease(ec2: EC2Client, instanceId: string, where: Where): Promise<InstanceToRelease> {
  const lookup = await describeInstance(ec2, instanceId, {
    notFound: 'not-found-or-malformed',
    account: where.account,
    onError: (error) => {
      const problem = credentialsProblem(error);
      if (problem) return problem;
      const code = awsErrorCode(error) ?? 'UnknownError';
      if (isAccessDeniedAwsError(error)) {
        return new ReleaseSetupError(
          `not allowed to call ec2:DescribeInstances in ${where.region}/${where.account} (${code}), which reads the instance's incident tag: pass --incident KEY (the key is in the quarantine alert), or use a role with ec2:DescribeInstances`,
          { cause: error },
        );
      }
      return new ReleaseFailedError(`ec2:DescribeInstances failed (${code}): ${messageOf(error)}`, { cause: error });
    },
  });
  if (lookup.found) {
    const { instance } = lookup;
    return { ...(instance.State?.Name ? { state: instance.State.Name } : {}), tags: tagRecord(instance.Tags) };
  }
  throw new ReleaseSetupError(`instance ${instanceId} not found in ${where.region}/${where.account}: check --instance, --region and --account`);
}

/**
 * dynamodb:GetItem (consistent) of the instance's pre-quarantine record: the incident that
 * quarantined it, the incidents that hold it (claims) and whether it was released; undefined when
 * Firebreak keeps none. Throws the
 * SDK's error when the caller may not read the table (the caller decides what then), a
 * LiveSetupError for missing or expired credentials, a ReleaseFailedError otherwise.
 */
export async function readRecordedQuarantine(dynamodb: DynamoDBClient, table: string, where: Where, instanceId: string): Promise<RecordedQuarantine | undefined> {
  let item;
  try {
    ({ Item: item } = await dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: quarantineRecordKey(where.account, where.region, instanceId) } },
        ConsistentRead: true,
        ProjectionExpression: 'incidentKey, released, claims',
      }),
    ));
  } catch (error) {
    const problem = credentialsProblem(error);
    if (problem) throw problem;
    if (isAccessDeniedAwsError(error)) throw error;
    throw new ReleaseFailedError(`dynamodb:GetItem of the pre-quarantine record failed (${awsErrorCode(error) ?? 'UnknownError'}): ${messageOf(error)}`, { cause: error });
  }
  if (item?.incidentKey?.S === undefined) return undefined;
  // A record written before claims has none: its own incident alone holds the instance.
  const claims = [...claimsOf({ incidentKey: item.incidentKey.S, ...(item.claims?.SS !== undefined ? { claims: [...item.claims.SS].sort() } : {}) })];
  return { incidentKey: item.incidentKey.S, released: item.released?.BOOL === true, claims };
}

/** What StartExecution answered. */
export interface StartedRelease {
  readonly executionArn: string;
  readonly startDate?: Date;
}

/** What the started execution does, for its error messages (a release of an instance unless told). */
export interface ManualExecutionKind {
  /** e.g. 'release', 'DNS unblock'. */
  readonly name: string;
  /** e.g. 'a release of this instance'. */
  readonly asked: string;
}

const INSTANCE_RELEASE: ManualExecutionKind = { name: 'release', asked: 'a release of this instance' };

/**
 * states:StartExecution of a manual playbook's state machine (an instance release, an object or
 * credential release, a DNS unblock: `kind` names it in the errors, an instance release by default)
 * with the request's name and input (lib/operator/manual-request.ts).
 */
export async function startManualExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  request: ManualRequest,
  kind: ManualExecutionKind = INSTANCE_RELEASE,
): Promise<StartedRelease> {
  let answer;
  try {
    answer = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: request.executionName, input: JSON.stringify(request.input) }));
  } catch (error) {
    const problem = credentialsProblem(error);
    if (problem) throw problem;
    const code = awsErrorCode(error) ?? 'UnknownError';
    if (code === 'StateMachineDoesNotExist' || code === 'InvalidArn' || code === 'StateMachineDeleting') {
      throw new ReleaseSetupError(
        `the ${kind.name} state machine ${stateMachineArn} cannot be started (${code}): check --state-machine-arn, or redeploy the stack (\`npx cdk deploy Firebreak\`) and let the command read its output`,
        { cause: error },
      );
    }
    if (code === 'ExecutionAlreadyExists') {
      // Same name with other input, or an execution of that name has ended: Step Functions keeps a name for 90 days.
      throw new ReleaseFailedError(
        `a ${kind.name} execution named ${request.executionName} already exists: ${kind.asked} was asked for in the same second (with other flags); wait a second and run again, or follow that execution`,
        { cause: error },
      );
    }
    if (isAccessDeniedAwsError(error)) {
      throw new ReleaseFailedError(`not allowed to start the ${kind.name} (${code}): your role needs states:StartExecution on ${stateMachineArn}`, { cause: error });
    }
    throw new ReleaseFailedError(`states:StartExecution failed (${code}): ${messageOf(error)}`, { cause: error });
  }
  if (!answer.executionArn) throw new ReleaseFailedError('states:StartExecution answered without an execution ARN');
  return { executionArn: answer.executionArn, ...(answer.startDate ? { startDate: new Date(answer.startDate) } : {}) };
}

/** How a watched release execution ended, or that the watch gave up first. */
export type WatchedRelease =
  | { readonly kind: 'ended'; readonly status: ExecutionStatus; readonly output?: string; readonly error?: string; readonly cause?: string }
  | { readonly kind: 'timed-out' };

export interface WatchReleaseOptions {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly timeoutMs: number;
  /** Between two DescribeExecution calls. */
  readonly intervalMs: number;
  /** What the execution is, in the messages (default `release`; `DNS unblock` for `firebreak dns unblock`). */
  readonly what?: string;
}

// Still going: RUNNING, or PENDING_REDRIVE (a redrive was asked for and the execution restarts).
const NOT_ENDED = new Set<string>(['RUNNING', 'PENDING_REDRIVE']);

/** Polls states:DescribeExecution until the execution ends or `timeoutMs` passes. */
export async function watchReleaseExecution(sfn: SFNClient, executionArn: string, options: WatchReleaseOptions): Promise<WatchedRelease> {
  const deadline = options.now().getTime() + options.timeoutMs;
  const what = options.what ?? 'release';
  for (;;) {
    let answer;
    try {
      answer = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      const problem = credentialsProblem(error);
      const code = awsErrorCode(error) ?? 'UnknownError';
      throw new ReleaseFailedError(
        `${problem ? problem.message : isAccessDeniedAwsError(error) ? `not allowed to call states:DescribeExecution (${code}): your role needs it on the ${what} executions` : `states:DescribeExecution failed (${code}): ${messageOf(error)}`}; the ${what} goes on without the watch`,
        { cause: error },
      );
    }
    const status = answer.status ?? 'RUNNING';
    if (!NOT_ENDED.has(status)) {
      return {
        kind: 'ended',
        status,
        ...(answer.output !== undefined ? { output: answer.output } : {}),
        ...(answer.error !== undefined ? { error: answer.error } : {}),
        ...(answer.cause !== undefined ? { cause: answer.cause } : {}),
      };
    }
    if (options.now().getTime() + options.intervalMs > deadline) return { kind: 'timed-out' };
    await options.sleep(options.intervalMs);
  }
}
