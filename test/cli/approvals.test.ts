import {
  InvalidToken,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  APPROVAL_REJECTED_ERROR,
  ApprovalCredentialsError,
  ApprovalFailedError,
  ApprovalRequestClosedError,
  approveTask,
  createApprovalCommands,
  rejectTask,
} from '../../lib/cli/approvals';
import { buildProgram } from '../../lib/cli/main';

const sfnMock = mockClient(SFNClient);
const stsMock = mockClient(STSClient);

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAe0wJ7Jc+firebreak-test-token==';
const CALLER = 'arn:aws:sts::999988887777:assumed-role/IncidentResponder/alice@example.com';
const AT = new Date('2026-11-20T10:15:00.000Z');
const now = () => AT;

const sfn = () => new SFNClient({ region: 'eu-west-1' });
const sts = () => new STSClient({ region: 'eu-west-1' });

const successInputs = () => sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input);
const failureInputs = () => sfnMock.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input);

function noCredentials(): Error {
  return Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
}

beforeEach(() => {
  sfnMock.reset();
  stsMock.reset();
  stsMock.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '999988887777', UserId: 'AROAEXAMPLE:alice' });
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
});
afterEach(() => {
  sfnMock.reset();
  stsMock.reset();
  vi.restoreAllMocks();
});

describe('approveTask', () => {
  it('sends SendTaskSuccess with who (the STS caller ARN), when and the comment', async () => {
    const answer = await approveTask(sfn(), sts(), TOKEN, 'looked at the flow logs, go', now);

    expect(stsMock.commandCalls(GetCallerIdentityCommand).map((call) => call.args[0].input)).toEqual([{}]);
    expect(successInputs()).toEqual([
      {
        taskToken: TOKEN,
        output: JSON.stringify({ approved: true, by: CALLER, at: '2026-11-20T10:15:00.000Z', comment: 'looked at the flow logs, go' }),
      },
    ]);
    expect(answer).toEqual({ approved: true, by: CALLER, at: '2026-11-20T10:15:00.000Z', comment: 'looked at the flow logs, go' });
  });

  it('leaves the comment out when none is given', async () => {
    await approveTask(sfn(), sts(), TOKEN, undefined, now);

    expect(successInputs()).toEqual([
      { taskToken: TOKEN, output: JSON.stringify({ approved: true, by: CALLER, at: '2026-11-20T10:15:00.000Z' }) },
    ]);
  });

  it("records 'unknown' as the approver when STS fails for a reason other than credentials, and still answers", async () => {
    stsMock.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));

    const answer = await approveTask(sfn(), sts(), TOKEN, undefined, now);

    expect(answer.by).toBe('unknown');
    expect(successInputs()).toHaveLength(1);
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'Invalid Token', $metadata: {} })],
  ])('turns %s into ApprovalRequestClosedError with a clear message', async (_name, error) => {
    sfnMock.on(SendTaskSuccessCommand).rejects(error());

    const answering = approveTask(sfn(), sts(), TOKEN, undefined, now);

    await expect(answering).rejects.toBeInstanceOf(ApprovalRequestClosedError);
    await expect(answering).rejects.toThrow('this approval request has already been answered or has timed out');
  });

  it('sends nothing to Step Functions when there are no credentials, and says what to set', async () => {
    stsMock.on(GetCallerIdentityCommand).rejects(noCredentials());

    const answering = approveTask(sfn(), sts(), TOKEN, undefined, now);

    await expect(answering).rejects.toBeInstanceOf(ApprovalCredentialsError);
    await expect(answering).rejects.toThrow(/^no AWS credentials found: set AWS_PROFILE/);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('names the missing IAM action when Step Functions denies the answer', async () => {
    sfnMock.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    const answering = approveTask(sfn(), sts(), TOKEN, undefined, now);

    await expect(answering).rejects.toBeInstanceOf(ApprovalFailedError);
    await expect(answering).rejects.toThrow(/states:SendTaskSuccess/);
  });
});

describe('rejectTask', () => {
  it('sends SendTaskFailure with error Firebreak.ApprovalRejected and who, when, why as the JSON cause', async () => {
    const cause = await rejectTask(sfn(), sts(), TOKEN, 'this host is the payment gateway, page its owner', now);

    expect(failureInputs()).toEqual([
      {
        taskToken: TOKEN,
        error: 'Firebreak.ApprovalRejected',
        cause: JSON.stringify({ by: CALLER, at: '2026-11-20T10:15:00.000Z', reason: 'this host is the payment gateway, page its owner' }),
      },
    ]);
    expect(APPROVAL_REJECTED_ERROR).toBe('Firebreak.ApprovalRejected');
    expect(cause).toEqual({ by: CALLER, at: '2026-11-20T10:15:00.000Z', reason: 'this host is the payment gateway, page its owner' });
    expect(successInputs()).toEqual([]);
  });

  it('turns a timed-out request into ApprovalRequestClosedError', async () => {
    sfnMock.on(SendTaskFailureCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    await expect(rejectTask(sfn(), sts(), TOKEN, undefined, now)).rejects.toBeInstanceOf(ApprovalRequestClosedError);
  });
});

describe('firebreak approve / reject commands', () => {
  function run(argv: string[]) {
    const program = new Command('firebreak').exitOverride();
    let exitCode = 0;
    const regions: (string | undefined)[] = [];
    createApprovalCommands((region) => {
      regions.push(region);
      return { sfn: sfn(), sts: sts() };
    })(program, (code) => {
      exitCode = Math.max(exitCode, code);
    });
    const errors: string[] = [];
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    return program
      .parseAsync(['node', 'firebreak', ...argv])
      .then(() => ({ exitCode, errors, lines, regions }));
  }

  it('approve: answers with the token and comment in the given region and exits 0', async () => {
    const { exitCode, lines, regions } = await run(['approve', '--token', ` ${TOKEN} `, '--comment', 'go', '--region', 'eu-west-1']);

    expect(exitCode).toBe(0);
    expect(regions).toEqual(['eu-west-1']);
    expect(successInputs()).toHaveLength(1);
    expect(successInputs()[0]!.taskToken).toBe(TOKEN);
    expect(JSON.parse(successInputs()[0]!.output!)).toMatchObject({ approved: true, by: CALLER, comment: 'go' });
    expect(lines.join('\n')).toContain(`Approved by ${CALLER}`);
  });

  it('reject: answers with the reason and exits 0', async () => {
    const { exitCode } = await run(['reject', '--token', TOKEN, '--reason', 'false positive']);

    expect(exitCode).toBe(0);
    expect(failureInputs()).toHaveLength(1);
    expect(JSON.parse(failureInputs()[0]!.cause!)).toMatchObject({ by: CALLER, reason: 'false positive' });
  });

  it('exits 1 with the clear message when the request was already answered or timed out', async () => {
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} }));

    const { exitCode, errors } = await run(['approve', '--token', TOKEN]);

    expect(exitCode).toBe(1);
    expect(errors.join('\n')).toContain('firebreak approve: this approval request has already been answered or has timed out');
  });

  it('exits 2 naming what is missing when there are no credentials', async () => {
    stsMock.on(GetCallerIdentityCommand).rejects(noCredentials());

    const { exitCode, errors } = await run(['reject', '--token', TOKEN]);

    expect(exitCode).toBe(2);
    expect(errors.join('\n')).toContain('firebreak reject: no AWS credentials found: set AWS_PROFILE');
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('exits 2 without calling AWS when the token is blank or too long', async () => {
    const blank = await run(['approve', '--token', '   ']);
    expect(blank.exitCode).toBe(2);
    expect(blank.errors.join('\n')).toContain('--token: the task token is empty');

    const long = await run(['approve', '--token', 'x'.repeat(2049)]);
    expect(long.exitCode).toBe(2);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(stsMock.calls()).toHaveLength(0);
  });

  it('is registered in the firebreak program', () => {
    const names = buildProgram(() => undefined).commands.map((command) => command.name());
    expect(names).toEqual(expect.arrayContaining(['approve', 'reject']));
  });
});
