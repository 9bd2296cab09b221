/**
 * `firebreak approve` and `firebreak reject`: answer a playbook that waits for approval. The
 * compiled approval state is a `lambda:invoke.waitForTaskToken` Task; the alert it sends carries the
 * task token, and the execution resumes when someone calls SendTaskSuccess (approved) or
 * SendTaskFailure (rejected) with it
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token).
 * The answer records who gave it (the caller's ARN from STS) and when, for the incident timeline.
 */
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { z } from 'zod';
import { awsErrorCode, isAccessDeniedAwsError } from '../aws/errors';
import type { CommandRegistrar } from './main';

/** The error a rejection raises in the execution; the approval state's Catch routes it to the rejected path. */
export const APPROVAL_REJECTED_ERROR = 'Firebreak.ApprovalRejected';

/** IAM actions a person needs to answer approvals (sts:GetCallerIdentity needs no permission). */
export const APPROVAL_IAM_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure'] as const;

/** What SendTaskSuccess hands the waiting execution (the approval state's output). */
export interface ApprovalAnswer {
  readonly approved: true;
  /** ARN of the person (or role) who approved, or 'unknown' when STS could not say. */
  readonly by: string;
  /** ISO 8601 time of the answer. */
  readonly at: string;
  readonly comment?: string;
}

/** What SendTaskFailure puts in the execution's `Cause` (JSON). */
export interface RejectionCause {
  readonly by: string;
  readonly at: string;
  readonly reason?: string;
}

/** The request is no longer waiting: answered already, timed out, or never existed. Exit 1. */
export class ApprovalRequestClosedError extends Error {
  override readonly name = 'ApprovalRequestClosedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No usable AWS credentials or region: the answer was never sent. Exit 2. */
export class ApprovalCredentialsError extends Error {
  override readonly name = 'ApprovalCredentialsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Step Functions refused or failed the answer for another reason (permissions, throttling). Exit 1. */
export class ApprovalFailedError extends Error {
  override readonly name = 'ApprovalFailedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// SendTaskSuccess/SendTaskFailure limits: token 1–2048 characters, cause up to 32,768
// (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html).
const MAX_TOKEN = 2048;
const MAX_TEXT = 4000;

export const taskTokenSchema = z
  .string()
  .trim()
  .min(1, 'the task token is empty: copy it from the approval alert')
  .max(MAX_TOKEN, `a task token has at most ${MAX_TOKEN} characters: check the copy from the approval alert`);
const noteSchema = z.string().trim().max(MAX_TEXT, `at most ${MAX_TEXT} characters`).optional();

const CLOSED_CODES = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);
const EXPIRED_CODES = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The credentials or region problem behind `error`, or undefined when it is something else. */
function credentialsProblem(error: unknown): ApprovalCredentialsError | undefined {
  const code = awsErrorCode(error);
  if (code === 'CredentialsProviderError') {
    return new ApprovalCredentialsError(
      'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`, then answer again',
      { cause: error },
    );
  }
  if (code !== undefined && EXPIRED_CODES.has(code)) {
    return new ApprovalCredentialsError(
      `the AWS credentials have expired (${code}): refresh them (for example \`aws sso login\`), then answer again`,
      { cause: error },
    );
  }
  if (/region is missing/i.test(messageOf(error))) {
    return new ApprovalCredentialsError(
      'no AWS region: pass --region (the region of the playbook execution, as the alert shows it) or set AWS_REGION',
      { cause: error },
    );
  }
  return undefined;
}

/** Who is answering: the caller's ARN, or 'unknown' when STS fails for a reason other than missing credentials. */
export async function callerIdentity(sts: STSClient): Promise<string> {
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    return identity.Arn ?? 'unknown';
  } catch (error) {
    const problem = credentialsProblem(error);
    if (problem) throw problem;
    return 'unknown';
  }
}

function answerError(error: unknown, api: string): Error {
  const problem = credentialsProblem(error);
  if (problem) return problem;
  const code = awsErrorCode(error) ?? 'UnknownError';
  if (CLOSED_CODES.has(code)) {
    return new ApprovalRequestClosedError(
      `this approval request has already been answered or has timed out (${code}); the playbook has moved on, see its execution for what it did`,
      { cause: error },
    );
  }
  if (isAccessDeniedAwsError(error)) {
    return new ApprovalFailedError(
      `not allowed to answer approvals (${code}): your role needs ${api} on the playbook's state machine`,
      { cause: error },
    );
  }
  return new ApprovalFailedError(`${api} failed (${code}): ${messageOf(error)}`, { cause: error });
}

/** Approves the waiting step: SendTaskSuccess with who, when and the comment. */
export async function approveTask(
  sfn: SFNClient,
  sts: STSClient,
  token: string,
  comment?: string,
  now: () => Date = () => new Date(),
): Promise<ApprovalAnswer> {
  const by = await callerIdentity(sts);
  const answer: ApprovalAnswer = { approved: true, by, at: now().toISOString(), ...(comment ? { comment } : {}) };
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(answer) }));
  } catch (error) {
    throw answerError(error, 'states:SendTaskSuccess');
  }
  return answer;
}

/** Rejects the waiting step: SendTaskFailure with error Firebreak.ApprovalRejected and who, when, why as the cause. */
export async function rejectTask(
  sfn: SFNClient,
  sts: STSClient,
  token: string,
  reason?: string,
  now: () => Date = () => new Date(),
): Promise<RejectionCause> {
  const by = await callerIdentity(sts);
  const cause: RejectionCause = { by, at: now().toISOString(), ...(reason ? { reason } : {}) };
  try {
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: APPROVAL_REJECTED_ERROR, cause: JSON.stringify(cause) }),
    );
  } catch (error) {
    throw answerError(error, 'states:SendTaskFailure');
  }
  return cause;
}

/** Exit status for an approval error: 2 when nothing could be sent (input, credentials), 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  return error instanceof ApprovalCredentialsError || error instanceof z.ZodError ? 2 : 1;
}

export interface ApprovalClients {
  readonly sfn: SFNClient;
  readonly sts: STSClient;
}

/** Real SDK clients, created only when a command runs. */
export function defaultApprovalClients(region?: string): ApprovalClients {
  const config = region ? { region } : {};
  return { sfn: new SFNClient(config), sts: new STSClient(config) };
}

function parseInput(options: { token: string; note?: string }, noteName: string): { token: string; note?: string } {
  const token = taskTokenSchema.safeParse(options.token);
  if (!token.success) throw new z.ZodError(token.error.issues.map((issue) => ({ ...issue, path: ['--token'] })));
  const note = noteSchema.safeParse(options.note);
  if (!note.success) throw new z.ZodError(note.error.issues.map((issue) => ({ ...issue, path: [noteName] })));
  return { token: token.data, ...(note.data ? { note: note.data } : {}) };
}

function report(command: string, error: unknown, setExitCode: (code: number) => void): void {
  const message =
    error instanceof z.ZodError
      ? error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')
      : messageOf(error);
  console.error(`firebreak ${command}: ${message}`);
  setExitCode(exitCodeFor(error));
}

/** Builds the approve/reject registrar over a client maker (tests and the game day inject theirs). */
export function createApprovalCommands(makeClients: (region?: string) => ApprovalClients = defaultApprovalClients): CommandRegistrar {
  return (program: Command, setExitCode) => {
    program
      .command('approve')
      .description('Approve a playbook waiting for approval: its containment steps run.')
      .requiredOption('--token <token>', 'the task token from the approval alert')
      .option('--comment <text>', 'why, for the incident timeline')
      .option('--region <region>', 'region of the playbook execution (default: AWS_REGION / profile)')
      .action(async (options: { token: string; comment?: string; region?: string }) => {
        try {
          const input = parseInput({ token: options.token, ...(options.comment !== undefined ? { note: options.comment } : {}) }, '--comment');
          const { sfn, sts } = makeClients(options.region);
          const answer = await approveTask(sfn, sts, input.token, input.note);
          console.log(`Approved by ${answer.by} at ${answer.at}: the playbook resumes its containment steps.`);
        } catch (error) {
          report('approve', error, setExitCode);
        }
      });

    program
      .command('reject')
      .description('Reject a playbook waiting for approval: its containment steps do not run.')
      .requiredOption('--token <token>', 'the task token from the approval alert')
      .option('--reason <text>', 'why, for the incident timeline')
      .option('--region <region>', 'region of the playbook execution (default: AWS_REGION / profile)')
      .action(async (options: { token: string; reason?: string; region?: string }) => {
        try {
          const input = parseInput({ token: options.token, ...(options.reason !== undefined ? { note: options.reason } : {}) }, '--reason');
          const { sfn, sts } = makeClients(options.region);
          const cause = await rejectTask(sfn, sts, input.token, input.note);
          console.log(`Rejected by ${cause.by} at ${cause.at}: the playbook takes its rejected path (${APPROVAL_REJECTED_ERROR}).`);
        } catch (error) {
          report('reject', error, setExitCode);
        }
      });
  };
}

/** The registrar lib/cli/main.ts lists: `firebreak approve` and `firebreak reject`. */
export const registerApprovalCommands: CommandRegistrar = createApprovalCommands();
