import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClientFactory } from '../../lib/aws/clients';
import {
  AlertTopicNotConfiguredError,
  alertTopicArnFromEnv,
  createPublishAlertHandler,
  parseAlertInput,
  publishAlert,
} from '../../lib/responders/alert';
import { protocolMessages } from '../../lib/responders/alert-protocols';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { ResponderAccessDeniedError, ResponderFailedError, ResponderInputError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import { InMemoryApprovalStore } from '../../lib/responders/approval-records';
import { answerApproval } from '../../lib/responders/approval';
import { callerProof } from '../../lib/operator/caller-proof';
import { CALLER_PROOF_HEADER } from '../../lib/responders/caller-proof';
import { LocalCallerProofs } from '../../lib/gameday/caller-proofs';
import type { ApprovalRequestExecutions } from '../../lib/responders/approval-request';
import { ApprovalRequestRefusedError } from '../../lib/contracts/responder-errors';
import { ACCOUNT, INSTANCE_ID, REGION, drillIncident, ec2Incident } from '../support/incidents';
import { ORIGIN_ENVIRONMENT, confirmingOrigins } from '../support/alert-origins';
import type { AlertOrigins } from '../../lib/responders/alert-origin';

const snsMock = mockClient(SNSClient);
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:999988887777:firebreak-alerts';
const NOW = new Date('2026-11-20T10:03:00.000Z');

class SecurityAccountClients implements ClientFactory {
  private readonly snsClient = new SNSClient({ region: REGION });
  async ec2(): Promise<EC2Client> {
    throw new Error('publish-alert must not touch EC2');
  }
  async iam(): Promise<IAMClient> {
    throw new Error('publish-alert must not touch IAM');
  }
  sns(): SNSClient {
    return this.snsClient;
  }
  sfn(): SFNClient {
    return new SFNClient({ region: REGION });
  }
  dynamodb(): DynamoDBClient {
    return new DynamoDBClient({ region: REGION });
  }
}

function sdkError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });
}

const deps = () => ({ clients: new SecurityAccountClients(), logger: silentLogger, topicArn: TOPIC_ARN, now: () => NOW });

const REPORT = {
  kind: 'report',
  incident: ec2Incident(),
  mode: 'enforce',
  playbook: 'compromised-ec2',
  options: {},
  results: {
    contain: {
      responder: 'quarantine-instance',
      status: 'quarantined',
      actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0aaa1111bbbb2222c', outcome: 'done', detail: 'Isolated.', at: NOW.toISOString() }],
    },
  },
};

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'msg-0001' });
});
afterEach(() => snsMock.reset());

describe('publishAlert', () => {
  it('publishes one message with the exact topic, subject, per-protocol message and attributes', async () => {
    const input = parseAlertInput(REPORT);
    const expected = buildAlertMessage(input, { now: NOW });

    const result = await publishAlert(input, deps());

    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: TOPIC_ARN,
      Subject: expected.subject,
      Message: JSON.stringify(protocolMessages(input, expected)),
      MessageStructure: 'json',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'High' },
        severity_score: { DataType: 'Number', StringValue: '8' },
        playbook: { DataType: 'String', StringValue: 'compromised-ec2' },
        account: { DataType: 'String', StringValue: ACCOUNT },
        incident_key: { DataType: 'String', StringValue: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d' },
        mode: { DataType: 'String', StringValue: 'enforce' },
        kind: { DataType: 'String', StringValue: 'report' },
        source: { DataType: 'String', StringValue: 'guardduty' },
      },
    });
    expect(expected.subject).toBe(
      'High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc1234def567890 - EC2 instance i-0abc1234def567890 is...',
    );
    expect(result).toEqual({
      responder: 'publish-alert',
      incidentKey: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d',
      mode: 'enforce',
      status: 'published',
      idempotentReplay: false,
      messageId: 'msg-0001',
      subject: expected.subject,
      actions: [
        {
          api: 'sns:Publish',
          target: TOPIC_ARN,
          outcome: 'done',
          detail: `Published the report alert "${expected.subject}" (message msg-0001).`,
          at: NOW.toISOString(),
        },
      ],
    });
  });

  it('publishes in dry-run too, saying so in the subject and the status', async () => {
    const result = await publishAlert(parseAlertInput({ ...REPORT, mode: 'dry-run', incident: drillIncident() }), deps());

    const sent = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(sent.Subject!.startsWith('[GAME DAY][DRY-RUN] High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc1234def567890')).toBe(true);
    expect(sent.MessageAttributes!.mode).toEqual({ DataType: 'String', StringValue: 'dry-run' });
    expect(result.status).toBe('dry-run-published');
  });

  it('never claims enforce for a dry-run deployment: an enforce input is shown as the dry-run it was (issue 8)', async () => {
    const result = await publishAlert(parseAlertInput({ ...REPORT, mode: 'enforce' }), { ...deps(), environment: { FIREBREAK_MODE: 'dry-run' } });
    const sent = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(sent.Subject!.startsWith('[DRY-RUN]')).toBe(true);
    expect(sent.MessageAttributes!.mode).toEqual({ DataType: 'String', StringValue: 'dry-run' });
    expect(result).toMatchObject({ mode: 'dry-run', status: 'dry-run-published' });
  });

  it('sends a subject of at most 100 printable ASCII characters for a 300-character non-ASCII title', async () => {
    const title = `Instância ${INSTANCE_ID} comunicando com servidor de comando e controle — 攻撃者 🚨\n`.repeat(6).slice(0, 300);
    await publishAlert(parseAlertInput({ ...REPORT, incident: ec2Incident({ title }) }), deps());
    const subject = snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Subject!;
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7E]+$/);
  });

  it('publishes the invalid-event alert with only the attributes it has', async () => {
    const result = await publishAlert(
      parseAlertInput({ kind: 'invalid-event', mode: 'enforce', options: {}, rawEvent: { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding' }, reason: 'detail: required' }),
      deps(),
    );
    const sent = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(sent.MessageAttributes).toEqual({
      mode: { DataType: 'String', StringValue: 'enforce' },
      kind: { DataType: 'String', StringValue: 'invalid-event' },
      source: { DataType: 'String', StringValue: 'aws.guardduty' },
    });
    expect(sent.Subject).toBe('[INVALID EVENT] Unparseable GuardDuty Finding from aws.guardduty: detail: required');
    expect(result.incidentKey).toBe('no-incident');
  });

  it.each([
    ['ThrottledException', 'TransientResponderError', 400, TransientResponderError],
    ['KMSThrottlingException', 'TransientResponderError', 400, TransientResponderError],
    ['InternalErrorException', 'TransientResponderError', 500, TransientResponderError],
    ['AuthorizationErrorException', 'ResponderAccessDeniedError', 403, ResponderAccessDeniedError],
    ['KMSAccessDeniedException', 'ResponderAccessDeniedError', 400, ResponderAccessDeniedError],
    ['InvalidParameterException', 'ResponderFailedError', 400, ResponderFailedError],
  ] as const)('classifies SNS %s as %s', async (code, _name, status, errorClass) => {
    snsMock.on(PublishCommand).rejects(sdkError(code, status));
    const error = await publishAlert(parseAlertInput(REPORT), deps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('createPublishAlertHandler', () => {
  it('parses the compiled playbook failure payload and publishes it', async () => {
    const handler = createPublishAlertHandler({ ...deps(), origins: confirmingOrigins, environment: ORIGIN_ENVIRONMENT });
    const result = await handler({
      kind: 'failure',
      incident: ec2Incident(),
      mode: 'enforce',
      playbook: 'compromised-ec2',
      options: {},
      execution: {
        executionArn: 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2:x',
        executionName: 'x',
        playbook: 'compromised-ec2',
        stateMachineArn: 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-compromised-ec2',
      },
      results: {},
      failure: { step: 'contain', error: 'TransientResponderError', cause: '{"errorType":"TransientResponderError","errorMessage":"ec2:DescribeInstances failed transiently"}' },
    });
    expect(result.status).toBe('published');
    expect(result.origin).toBe('verified');
    const sent = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(sent.Subject!.startsWith('[FAILED] High: ')).toBe(true);
    expect(sent.Message).toContain('TransientResponderError: ec2:DescribeInstances failed transiently');
  });

  it('refuses a malformed payload with ResponderInputError naming the field, and publishes nothing', async () => {
    const handler = createPublishAlertHandler({ ...deps(), origins: confirmingOrigins });
    const error = await handler({ kind: 'report', mode: 'enforce' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponderInputError);
    expect((error as Error).message).toContain('input.incident');
    expect(snsMock.calls()).toHaveLength(0);
  });
});

describe('alertTopicArnFromEnv', () => {
  it('returns the configured topic', () => {
    expect(alertTopicArnFromEnv({ ALERT_TOPIC_ARN: TOPIC_ARN })).toBe(TOPIC_ARN);
    expect(alertTopicArnFromEnv({ ALERT_TOPIC_ARN: 'arn:aws-cn:sns:cn-north-1:999988887777:alerts.fifo' })).toBe('arn:aws-cn:sns:cn-north-1:999988887777:alerts.fifo');
  });

  it.each([undefined, '', 'firebreak-alerts', 'arn:aws:sqs:eu-west-1:999988887777:q'])('fails clearly on %j', (value) => {
    expect(() => alertTopicArnFromEnv({ ALERT_TOPIC_ARN: value })).toThrow(AlertTopicNotConfiguredError);
    expect(() => alertTopicArnFromEnv({ ALERT_TOPIC_ARN: value })).toThrow(/ALERT_TOPIC_ARN/);
  });
});

describe('lambdas/publish-alert', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails at cold start when ALERT_TOPIC_ARN is missing', async () => {
    vi.stubEnv('ALERT_TOPIC_ARN', undefined);
    vi.resetModules();
    await expect(import('../../lambdas/publish-alert/index')).rejects.toThrow(/ALERT_TOPIC_ARN must be the ARN of the alert topic/);
  });

  it('exports the handler and createHandler for the local game day', async () => {
    vi.stubEnv('ALERT_TOPIC_ARN', TOPIC_ARN);
    vi.resetModules();
    const module = await import('../../lambdas/publish-alert/index');
    expect(typeof module.handler).toBe('function');
    const handler = module.createHandler({ ...deps(), origins: confirmingOrigins });
    await handler(REPORT);
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.TopicArn).toBe(TOPIC_ARN);
  });
});

/**
 * Step Functions as publish-alert sees it (DescribeExecution, SendTaskHeartbeat): executions by ARN,
 * and the task tokens that wait now.
 */
class FakeExecutions implements ApprovalRequestExecutions {
  readonly executions = new Map<string, { status: string; stateMachineArn: string; input?: string }>();
  readonly liveTokens = new Set<string>();
  readonly heartbeats: string[] = [];
  /** The task tokens each execution's history shows a task scheduled with (GetExecutionHistory). */
  readonly scheduledTokens = new Map<string, Set<string>>();
  readonly historyReads: string[] = [];
  async describe(executionArn: string) {
    return this.executions.get(executionArn);
  }
  async scheduled(executionArn: string, taskToken: string): Promise<boolean> {
    this.historyReads.push(taskToken);
    return this.scheduledTokens.get(executionArn)?.has(taskToken) ?? false;
  }
  async heartbeat(taskToken: string): Promise<'live' | 'closed'> {
    this.heartbeats.push(taskToken);
    return this.liveTokens.has(taskToken) ? 'live' : 'closed';
  }
}

describe('publishAlert: approval requests keep their token out of the alert (issue 8)', () => {
  const MACHINE_ARN = 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-compromised-ec2';
  const EXECUTION_ARN = 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2:gd-1';
  const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd+secret-token=';
  const REQUEST = {
    kind: 'approval-request',
    incident: ec2Incident(),
    mode: 'enforce',
    playbook: 'compromised-ec2',
    options: {},
    execution: { executionArn: EXECUTION_ARN, playbook: 'compromised-ec2' },
    approval: { taskToken: TOKEN, waitingSteps: ['contain'], timeoutSeconds: 900 },
  };
  const ENVIRONMENT = {
    FIREBREAK_MODE: 'enforce',
    FIREBREAK_APPROVAL_STATE_MACHINES: `arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-other,${MACHINE_ARN}`,
    FIREBREAK_STACK_NAME: 'Firebreak',
  };
  let executions: FakeExecutions;
  const approvalDeps = (approvals = new InMemoryApprovalStore()) => ({ ...deps(), approvals, approvalExecutions: executions, environment: ENVIRONMENT });

  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    executions = new FakeExecutions();
    executions.executions.set(EXECUTION_ARN, {
      status: 'RUNNING',
      stateMachineArn: MACHINE_ARN,
      input: JSON.stringify({ incident: ec2Incident(), mode: 'enforce', playbook: 'compromised-ec2' }),
    });
    executions.liveTokens.add(TOKEN);
    executions.scheduledTokens.set(EXECUTION_ARN, new Set([TOKEN]));
  });

  // Review of session 15: the stored playbook (shown to the approver, compared with the grant's by
  // a release's clearance) was the execution input's word; it is now the verified state machine's.
  it("ATTACK: stores the state machine's playbook, and refuses an input that names another", async () => {
    executions.executions.set(EXECUTION_ARN, {
      status: 'RUNNING',
      stateMachineArn: MACHINE_ARN,
      input: JSON.stringify({ incident: ec2Incident(), mode: 'enforce', playbook: 'notify-only (no change)' }),
    });
    const approvals = new InMemoryApprovalStore();
    await expect(publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals))).rejects.toThrow(/its input names playbook "notify-only \(no change\)", but it runs compromised-ec2/);
    expect(await approvals.get(EXECUTION_ARN)).toBeUndefined();
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);

    // Without the field, the playbook is still the machine's, never its full name.
    executions.executions.set(EXECUTION_ARN, { status: 'RUNNING', stateMachineArn: MACHINE_ARN, input: JSON.stringify({ incident: ec2Incident(), mode: 'enforce' }) });
    await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
    expect(await approvals.get(EXECUTION_ARN)).toMatchObject({ playbook: 'compromised-ec2' });
  });

  it('stores the request with its token in approval#<executionArn> before publishing, and publishes no token', async () => {
    const approvals = new InMemoryApprovalStore();
    const result = await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
    expect(await approvals.get(EXECUTION_ARN)).toMatchObject({
      executionArn: EXECUTION_ARN,
      incidentKey: ec2Incident().key,
      taskToken: TOKEN,
      playbook: 'compromised-ec2',
      instanceId: INSTANCE_ID,
      account: ACCOUNT,
      region: REGION,
      requestedAt: NOW.toISOString(),
      waitingSteps: ['contain'],
      timeoutSeconds: 900,
    });
    expect(executions.heartbeats).toEqual([TOKEN]);
    const published = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(JSON.stringify(published)).not.toContain(TOKEN);
    expect(published.Message).toContain(`firebreak approve --execution '${EXECUTION_ARN}'`);
    expect(result.actions[0]).toMatchObject({ api: 'dynamodb:PutItem', target: EXECUTION_ARN, outcome: 'done' });
  });

  it('stores what the alert says approving will and will not do, so that firebreak approve shows it too (review s20)', async () => {
    const approvals = new InMemoryApprovalStore();
    const preview = {
      responder: 'release-credentials',
      status: 'previewed',
      actions: [],
      preview: { readAt: NOW.toISOString(), keys: [{ kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JCEXAMPLE', userName: 'ci-deployer', record: 'held', holders: ['gd-other'], holderCount: 1 }] },
    };
    await publishAlert(parseAlertInput({ ...REQUEST, results: { 'Preview-release': preview } }), approvalDeps(approvals));
    const notes = (await approvals.get(EXECUTION_ARN))?.notes ?? [];
    expect(notes[0]).toMatch(/^Approving takes back only incident .*'s hold on access key AKIAQ3EGRW6JCEXAMPLE of user ci-deployer: the key STAYS INACTIVE, incident gd-other still holds it/);
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain(notes[0]);
    // A request with nothing to say stores no notes.
    const plain = new InMemoryApprovalStore();
    await publishAlert(parseAlertInput(REQUEST), approvalDeps(plain));
    expect((await plain.get(EXECUTION_ARN))?.notes).toBeUndefined();
  });

  it('keeps the first request when a retried alert stores it again with the same token', async () => {
    const approvals = new InMemoryApprovalStore();
    await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
    const again = await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
    expect((await approvals.get(EXECUTION_ARN))?.taskToken).toBe(TOKEN);
    expect((await approvals.get(EXECUTION_ARN))?.requestedAt).toBe(NOW.toISOString());
    expect(again.actions[0]).toMatchObject({ outcome: 'already-done' });
  });

  describe("the alert's deadline is the one the approval function enforces (review approval-binding)", () => {
    /** What the approval function shows of the request: its expiresAt is when it stops taking answers. */
    const enforcedBy = async (approvals: InMemoryApprovalStore) => {
      const carol = 'arn:aws:sts::999988887777:assumed-role/on-call/carol';
      const body = JSON.stringify({ executionArn: EXECUTION_ARN, show: true });
      const callers = new LocalCallerProofs('eu-west-1', () => NOW);
      const proof = await callerProof('approval', body, 'eu-west-1', callers.credentialsOf(carol), NOW);
      const shown = await answerApproval(
        { version: '2.0', headers: { [CALLER_PROOF_HEADER]: proof }, requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: carol } } }, body },
        {
          store: approvals,
          callers,
          executions: { describe: (arn) => executions.describe(arn), scheduled: (arn, token) => executions.scheduled(arn, token), heartbeat: (token) => executions.heartbeat(token), sendSuccess: async () => 'closed', sendFailure: async () => 'closed' },
          config: { stateMachineArns: [MACHINE_ARN], deniedRolePrefixes: [] },
          logger: silentLogger,
          now: () => NOW,
        },
      );
      return shown.request?.expiresAt;
    };
    const untilOf = () => /until (\S+?);/.exec(snsMock.commandCalls(PublishCommand).at(-1)!.args[0].input.Message ?? '')?.[1];

    it("shows the guard's approval deadline (its grant's), earlier than requestedAt + timeout, as the approval function refuses answers from then on", async () => {
      const approvals = new InMemoryApprovalStore();
      // The guard wrote its grant 4 s before the wait began (evidence steps ran between).
      const GRANT_DEADLINE = new Date(NOW.getTime() + 900_000 - 4_000).toISOString();
      approvals.timeoutPaths.set(EXECUTION_ARN, { approvalDeadline: GRANT_DEADLINE, onTimeout: 'contain' });
      await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      expect(await enforcedBy(approvals)).toBe(GRANT_DEADLINE);
      expect(untilOf()).toBe(GRANT_DEADLINE);
      // And what its onTimeout does, as the grant says (row 10i): unanswered, the steps run without approval.
      expect(snsMock.commandCalls(PublishCommand).at(-1)!.args[0].input.Message).toMatch(/if nobody answers by then, .* run WITHOUT approval \(this playbook's onTimeout is contain\)/);
    });

    it('ATTACK (review s25): a grant that cannot be read (denied, throttled) never stops the request\'s alert: it is published with the latest deadline, said to be perhaps earlier', async () => {
      class UnreadableGrants extends InMemoryApprovalStore {
        override timeoutPathOf(): Promise<never> {
          return Promise.reject(new ResponderAccessDeniedError('dynamodb:GetItem was denied on grant#…'));
        }
      }
      const approvals = new UnreadableGrants();
      // Before: publish-alert threw after storing the request, and no alert asked anyone to approve.
      const result = await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      expect(result.status).toBe('published');
      const message = snsMock.commandCalls(PublishCommand).at(-1)!.args[0].input.Message ?? '';
      expect(message).toContain(`answers are taken until ${new Date(NOW.getTime() + 900_000).toISOString()} at the latest`);
      expect(message).toContain('could not be read');
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'dynamodb:GetItem', outcome: 'skipped' }));
    });

    it('shows requestedAt + timeout when the execution has no grant deadline, and the first request\'s for a retried alert', async () => {
      const approvals = new InMemoryApprovalStore();
      const EARLIER = new Date(NOW.getTime() - 60_000);
      await publishAlert(parseAlertInput(REQUEST), { ...approvalDeps(approvals), now: () => EARLIER });
      expect(untilOf()).toBe(new Date(EARLIER.getTime() + 900_000).toISOString());
      // Retried a minute later (same token): the request kept is the first, and so is its deadline.
      await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      expect(await enforcedBy(approvals)).toBe(new Date(EARLIER.getTime() + 900_000).toISOString());
      expect(untilOf()).toBe(await enforcedBy(approvals));
    });
  });

  it('refuses to ask for approval without a store: no alert could be answered', async () => {
    await expect(publishAlert(parseAlertInput(REQUEST), { ...deps(), approvalExecutions: executions, environment: ENVIRONMENT })).rejects.toBeInstanceOf(ResponderFailedError);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  describe('a forged request (direct invocation) is refused, stored nowhere and never published', () => {
    const refusedWith = async (request: unknown, message: RegExp, approvals = new InMemoryApprovalStore()) => {
      const attempt = publishAlert(parseAlertInput(request), approvalDeps(approvals));
      await expect(attempt).rejects.toBeInstanceOf(ApprovalRequestRefusedError);
      await expect(attempt).rejects.toThrow(message);
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
      return approvals;
    };

    it('for an execution that does not exist yet (execution names are deterministic)', async () => {
      const approvals = await refusedWith(
        { ...REQUEST, execution: { executionArn: `${EXECUTION_ARN}-next` } },
        /does not exist/,
      );
      expect(approvals.records.size).toBe(0);
      expect(executions.heartbeats).toEqual([]);
    });

    it('for an execution that no longer runs', async () => {
      executions.executions.set(EXECUTION_ARN, { ...executions.executions.get(EXECUTION_ARN)!, status: 'SUCCEEDED' });
      expect((await refusedWith(REQUEST, /SUCCEEDED, not RUNNING/)).records.size).toBe(0);
    });

    it("for an execution of a state machine that is not one of this deployment's guarded playbooks", async () => {
      executions.executions.set(EXECUTION_ARN, { ...executions.executions.get(EXECUTION_ARN)!, stateMachineArn: MACHINE_ARN.replace('compromised-ec2', 'default-alert') });
      expect((await refusedWith(REQUEST, /not one of this deployment's guarded playbooks/)).records.size).toBe(0);
    });

    it('when no guarded playbook is configured (FIREBREAK_APPROVAL_STATE_MACHINES unset)', async () => {
      const approvals = new InMemoryApprovalStore();
      const attempt = publishAlert(parseAlertInput(REQUEST), { ...approvalDeps(approvals), environment: { FIREBREAK_MODE: 'enforce' } });
      await expect(attempt).rejects.toThrow(/FIREBREAK_APPROVAL_STATE_MACHINES/);
      expect(approvals.records.size).toBe(0);
    });

    it("for another incident than the execution's, or the same key with another instance, account or region", async () => {
      await refusedWith({ ...REQUEST, incident: ec2Incident({ key: 'gd-someone-else' }) }, /incident gd-someone-else/);
      await refusedWith({ ...REQUEST, incident: ec2Incident({ resource: { ...ec2Incident().resource, instanceId: 'i-0fffffffffffffff0' } as never }) }, /instance/);
      await refusedWith({ ...REQUEST, incident: ec2Incident({ account: '444455556666' }) }, /account/);
      expect(executions.heartbeats).toEqual([]);
    });

    // Review alert-review: the heartbeat proves a token waits, not that it waits in this execution.
    it("ATTACK: with another execution's live token (or one of the invoker's own callback state machine): refused before it is stored", async () => {
      executions.liveTokens.add('token-of-another-execution');
      const approvals = await refusedWith(
        { ...REQUEST, approval: { ...REQUEST.approval, taskToken: 'token-of-another-execution' } },
        /this execution never scheduled a task with it \(GetExecutionHistory\)/,
      );
      expect(approvals.records.size).toBe(0);
      expect(executions.historyReads).toEqual(['token-of-another-execution']);
      expect(executions.heartbeats).toEqual([]);
    });

    it('with a task token that does not wait (made up, or of a task that ended)', async () => {
      executions.scheduledTokens.get(EXECUTION_ARN)!.add('forged-token');
      const approvals = await refusedWith({ ...REQUEST, approval: { ...REQUEST.approval, taskToken: 'forged-token' } }, /task token.*not live|does not wait/);
      expect(approvals.records.size).toBe(0);
      expect(executions.heartbeats).toEqual(['forged-token']);
    });
  });

  // Review review-approval (row 5o): the request stored was the claim as received, checked only for
  // its execution, incident and token. Someone with lambda:InvokeFunction on publish-alert who reads
  // the waiting execution's history (the TaskScheduled event carries the token) and invokes first
  // stored the real token with waiting steps, timeout and notes of their own; the real request then
  // met the same token and kept theirs ('exists'). `firebreak approve` showed the forged "approving:"
  // lines as the function's word.
  describe("a request carrying the execution's real token with words of the invoker's own", () => {
    const realPayload = JSON.parse(JSON.stringify(REQUEST)) as unknown;
    /** Step Functions' history: the approval wait invoked publish-alert with exactly the real payload. */
    const historyOrigins: AlertOrigins = {
      scheduledInvocation: async (_arn, _fn, payload) => ({ outcome: JSON.stringify(payload) === JSON.stringify(realPayload) ? 'found' : 'not-found', ended: false }),
    };
    const originDeps = (approvals: InMemoryApprovalStore) => ({ ...approvalDeps(approvals), origins: historyOrigins, environment: { ...ORIGIN_ENVIRONMENT, ...ENVIRONMENT } });
    const FORGED_REQUEST = {
      ...REQUEST,
      approval: { taskToken: TOKEN, waitingSteps: ['notify (nothing changes)'], timeoutSeconds: 86400 },
      reason: { outcome: 'approved', summary: 'Approving changes nothing: the instance stays quarantined.' },
    };

    it('ATTACK (review-approval): is refused before it is stored, so the real request is the one stored and shown', async () => {
      const approvals = new InMemoryApprovalStore();
      const forged = publishAlert(parseAlertInput(FORGED_REQUEST), originDeps(approvals), FORGED_REQUEST);
      await expect(forged).rejects.toBeInstanceOf(ApprovalRequestRefusedError);
      await expect(forged).rejects.toThrow(/the execution's approval wait did not send it as received/);
      expect(await approvals.get(EXECUTION_ARN)).toBeUndefined();
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
      // The approval wait's own invocation is stored, with its own words.
      const result = await publishAlert(parseAlertInput(REQUEST), originDeps(approvals), REQUEST);
      expect(await approvals.get(EXECUTION_ARN)).toMatchObject({ taskToken: TOKEN, waitingSteps: ['contain'], timeoutSeconds: 900 });
      expect(result).toMatchObject({ origin: 'verified' });
    });
  });

  // Review review-5l: the origin check, asked by someone who starts an execution of their own of the
  // same playbook (B, its input theirs: A's incident with words of their own), whose approval wait
  // sends publish-alert B's real request. Its payload is B's history's, never A's.
  it("tried (review-5l): a request its own execution's wait really sent, moved onto another execution (its ARN and live token), is refused; sent as is, it is stored under its own execution only", async () => {
    const OWN_ARN = `${EXECUTION_ARN.slice(0, EXECUTION_ARN.lastIndexOf(':'))}:gd-1-mine`;
    const OWN = { ...REQUEST, incident: { ...ec2Incident(), title: 'Approving changes nothing: the instance stays quarantined.' }, execution: { executionArn: OWN_ARN, playbook: 'compromised-ec2' }, approval: { ...REQUEST.approval, taskToken: 'own-token' } };
    executions.executions.set(OWN_ARN, { status: 'RUNNING', stateMachineArn: MACHINE_ARN, input: JSON.stringify({ incident: OWN.incident, mode: 'enforce', playbook: 'compromised-ec2' }) });
    executions.scheduledTokens.set(OWN_ARN, new Set(['own-token']));
    executions.liveTokens.add('own-token');
    /** Each execution's history: its own wait's payload only. */
    const sent = new Map<string, string>([[EXECUTION_ARN, JSON.stringify(REQUEST)], [OWN_ARN, JSON.stringify(OWN)]]);
    const origins: AlertOrigins = { scheduledInvocation: async (arn, _fn, payload) => ({ outcome: sent.get(arn) === JSON.stringify(payload) ? 'found' : 'not-found', ended: false }) };
    const approvals = new InMemoryApprovalStore();
    const originDeps = { ...approvalDeps(approvals), origins, environment: { ...ORIGIN_ENVIRONMENT, ...ENVIRONMENT } };
    // B's words (its incident's title, passed to the wait), A's execution and live token: every other check passes.
    const moved = { ...OWN, execution: REQUEST.execution, approval: REQUEST.approval };
    await expect(publishAlert(parseAlertInput(moved), originDeps, moved)).rejects.toThrow(/the execution's approval wait did not send it as received/);
    expect(await approvals.get(EXECUTION_ARN)).toBeUndefined();
    await publishAlert(parseAlertInput(OWN), originDeps, OWN);
    expect(await approvals.get(OWN_ARN)).toMatchObject({ taskToken: 'own-token' });
    expect(await approvals.get(EXECUTION_ARN)).toBeUndefined();
    // Only the origin check refuses it: without it, the moved request is stored under A.
    const unchecked = new InMemoryApprovalStore();
    await publishAlert(parseAlertInput(moved), approvalDeps(unchecked));
    expect(await unchecked.get(EXECUTION_ARN)).toMatchObject({ taskToken: TOKEN });
  });

  // Session 37 (row 5s): `firebreak approve` shows the stored notes: an unblock's names its domain and force.
  it('ATTACK (approvals): stores, in the notes `firebreak approve` shows, the domain an unblock acts on and its force', async () => {
    const approvals = new InMemoryApprovalStore();
    await publishAlert(parseAlertInput({ ...REQUEST, request: { requestedBy: 'arn:aws:sts::999988887777:assumed-role/oncall/mallory', reason: null, dnsUnblock: { domain: 'C2.Real.Example.', force: true } } }), approvalDeps(approvals));
    const notes = (await approvals.get(EXECUTION_ARN))?.notes ?? [];
    expect(notes.join('\n')).toContain('Approving UNBLOCKS c2.real.example (and its subdomains)');
    expect(notes.join('\n')).toContain("FORCED: every other open incident's claim on c2.real.example is dropped too");
  });

  describe('a request stored first under another token', () => {
    const FORGED = {
      pk: 'approval#x',
      executionArn: EXECUTION_ARN,
      incidentKey: ec2Incident().key,
      requestedAt: '2026-11-20T10:00:00.000Z',
      taskToken: 'forged-token',
      playbook: 'compromised-ec2',
      account: ACCOUNT,
      region: REGION,
      waitingSteps: ['contain'],
      timeoutSeconds: 900,
    };

    it('is replaced when its token does not wait (a forged request, or an earlier attempt of the task)', async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest(FORGED);
      const result = await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      expect(await approvals.get(EXECUTION_ARN)).toMatchObject({ taskToken: TOKEN, instanceId: INSTANCE_ID, requestedAt: NOW.toISOString() });
      expect(executions.heartbeats).toEqual([TOKEN]);
      expect(result.actions[0]).toMatchObject({ api: 'dynamodb:PutItem', outcome: 'done', detail: expect.stringMatching(/[Rr]eplaced/) as unknown });
    });

    it('is replaced when it was an earlier attempt of the task (scheduled by this execution) whose token no longer waits', async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest(FORGED);
      executions.scheduledTokens.get(EXECUTION_ARN)!.add('forged-token');
      await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      expect((await approvals.get(EXECUTION_ARN))?.taskToken).toBe(TOKEN);
      expect(executions.heartbeats).toEqual([TOKEN, 'forged-token']);
    });

    // Review alert-review: a request planted first with a token that waits elsewhere (another
    // execution's, or the invoker's own callback state machine's) kept the real request out, and the
    // approval step failed. The execution's history says whose token it is.
    it("ATTACK: is replaced by the real request when its token still waits but this execution never scheduled it", async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest(FORGED);
      executions.liveTokens.add('forged-token');
      const result = await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      expect(await approvals.get(EXECUTION_ARN)).toMatchObject({ taskToken: TOKEN, instanceId: INSTANCE_ID, requestedAt: NOW.toISOString() });
      expect(executions.historyReads).toEqual([TOKEN, 'forged-token']);
      expect(result.actions[0]).toMatchObject({ api: 'dynamodb:PutItem', outcome: 'done', detail: expect.stringMatching(/[Rr]eplaced/) as unknown });
    });

    it('is kept, and the planted one not overwritten, when it changed meanwhile (the replacement is conditional on the planted token)', async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest(FORGED);
      executions.liveTokens.add('forged-token');
      const replaceRequest = approvals.replaceRequest.bind(approvals);
      const staleTokens: string[] = [];
      approvals.replaceRequest = async (request, staleToken) => {
        staleTokens.push(staleToken);
        // Another real attempt stored its request between the put and the replacement.
        approvals.records.set(EXECUTION_ARN, { ...FORGED, taskToken: 'another-real-token' });
        return replaceRequest(request, staleToken);
      };
      const attempt = publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      await expect(attempt).rejects.toThrow(/changed while it was being replaced/);
      expect(staleTokens).toEqual(['forged-token']);
      expect((await approvals.get(EXECUTION_ARN))?.taskToken).toBe('another-real-token');
    });

    it('is kept, and the new request refused, when its token still waits and this execution scheduled it too (two live attempts)', async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest(FORGED);
      executions.liveTokens.add('forged-token');
      executions.scheduledTokens.get(EXECUTION_ARN)!.add('forged-token');
      const attempt = publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      await expect(attempt).rejects.toBeInstanceOf(ApprovalRequestRefusedError);
      await expect(attempt).rejects.toThrow(/another task token of this execution that still waits/);
      expect((await approvals.get(EXECUTION_ARN))?.taskToken).toBe('forged-token');
    });

    it('is never replaced once answered when this execution scheduled its token: the decision stays on record', async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest(FORGED);
      executions.scheduledTokens.get(EXECUTION_ARN)!.add('forged-token');
      await approvals.decide(EXECUTION_ARN, { decision: 'approved', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-11-20T10:01:00.000Z' }, FORGED.taskToken);
      const attempt = publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      await expect(attempt).rejects.toThrow(/already answered/);
      expect(await approvals.get(EXECUTION_ARN)).toMatchObject({ taskToken: 'forged-token', decision: 'approved' });
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    });

    // Review review-approval (row 5l): Step Functions takes an execution name again 90 days on, and
    // the per-instance and per-access-key runs of an attack sequence are named without its revision:
    // a sequence updated after that runs again under the very same ARN, and approval#<executionArn>
    // (no TTL) still holds the earlier run's answered request. It kept the new request out: nobody
    // was asked, and the step failed.
    it('ATTACK (review-approval): answered in an earlier execution under the same name (a token this execution never scheduled), it no longer keeps the new request out', async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest({ ...FORGED, requestedAt: '2026-08-17T09:10:00.000Z' });
      await approvals.decide(EXECUTION_ARN, { decision: 'rejected', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-08-17T09:12:00.000Z' }, FORGED.taskToken);
      const result = await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      const stored = await approvals.get(EXECUTION_ARN);
      expect(stored).toMatchObject({ taskToken: TOKEN, instanceId: INSTANCE_ID, requestedAt: NOW.toISOString() });
      expect(stored).not.toHaveProperty('decision');
      expect(stored).not.toHaveProperty('decidedBy');
      expect(result.actions[0]).toMatchObject({ api: 'dynamodb:PutItem', outcome: 'done', detail: expect.stringMatching(/[Rr]eplaced/) as unknown });
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    });

    // Session 37 (row 5q): the earlier run's request was replaced whole, and with it the record of
    // who answered it, what, and when (its execution history is gone after 90 days). It is kept, newest
    // first and bounded, in the new request's earlierDecisions, which every later replacement of this
    // run's request carries on.
    it('ATTACK (approvals): the earlier execution\'s answer survives the new run\'s request (who, what, when), and every later attempt of it', async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest({ ...FORGED, requestedAt: '2026-08-17T09:10:00.000Z' });
      await approvals.decide(EXECUTION_ARN, { decision: 'rejected', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-08-17T09:12:00.000Z', reason: 'false positive' }, FORGED.taskToken);
      await approvals.markSent(EXECUTION_ARN, '2026-08-17T09:12:00.000Z', '2026-08-17T09:12:01.000Z');
      await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      const earlier = {
        requestedAt: '2026-08-17T09:10:00.000Z',
        incidentKey: FORGED.incidentKey,
        playbook: 'compromised-ec2',
        waitingSteps: ['contain'],
        decision: 'rejected',
        decidedBy: 'arn:aws:iam::111122223333:user/alice',
        decidedAt: '2026-08-17T09:12:00.000Z',
        reason: 'false positive',
        sentAt: '2026-08-17T09:12:01.000Z',
      };
      expect(await approvals.get(EXECUTION_ARN)).toMatchObject({ taskToken: TOKEN, earlierDecisions: [earlier] });
      // A new attempt of this run's approval step (its first token no longer waits) replaces its request: the earlier answer goes with it.
      executions.scheduledTokens.get(EXECUTION_ARN)!.add('second-attempt');
      executions.liveTokens.add('second-attempt');
      executions.liveTokens.delete(TOKEN);
      const retried = structuredClone(REQUEST) as typeof REQUEST & { approval: { taskToken: string } };
      retried.approval.taskToken = 'second-attempt';
      await publishAlert(parseAlertInput(retried), approvalDeps(approvals));
      expect(await approvals.get(EXECUTION_ARN)).toMatchObject({ taskToken: 'second-attempt', earlierDecisions: [earlier] });
    });

    it('keeps at most five earlier answers, the newest first', async () => {
      const approvals = new InMemoryApprovalStore();
      const older = Array.from({ length: 5 }, (_, index) => ({ decision: 'approved' as const, decidedBy: `arn:aws:iam::111122223333:user/u${index}`, decidedAt: `2026-0${index + 1}-01T00:00:00.000Z` }));
      await approvals.putRequest({ ...FORGED, requestedAt: '2026-08-17T09:10:00.000Z', earlierDecisions: older });
      await approvals.decide(EXECUTION_ARN, { decision: 'rejected', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-08-17T09:12:00.000Z' }, FORGED.taskToken);
      await publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals));
      const kept = (await approvals.get(EXECUTION_ARN))?.earlierDecisions;
      expect(kept?.map((entry) => entry.decidedBy)).toEqual(['arn:aws:iam::111122223333:user/alice', ...older.slice(0, 4).map((entry) => entry.decidedBy)]);
    });

    // Review review-5l: the approver answers this execution's earlier attempt (its heartbeat still
    // live) between publish-alert's put and its replacement of that attempt's request. The
    // replacement is conditional on no decision: the answer is never erased by the new request.
    it("tried (review-5l): an earlier attempt's request answered between the put and the replacement keeps its answer; the new request is refused", async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest(FORGED);
      executions.scheduledTokens.get(EXECUTION_ARN)!.add('forged-token');
      const replaceRequest = approvals.replaceRequest.bind(approvals);
      const answered: (boolean | undefined)[] = [];
      approvals.replaceRequest = async (request, staleToken, asAnswered) => {
        answered.push(asAnswered);
        await approvals.decide(EXECUTION_ARN, { decision: 'approved', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: NOW.toISOString() }, 'forged-token');
        return replaceRequest(request, staleToken, asAnswered);
      };
      await expect(publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals))).rejects.toThrow(/changed while it was being replaced/);
      expect(answered).toEqual([false]);
      expect(await approvals.get(EXECUTION_ARN)).toMatchObject({ taskToken: 'forged-token', decision: 'approved' });
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    });

    it('an answered request is replaced only while it still holds that token and its answer (conditional)', async () => {
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest(FORGED);
      await approvals.decide(EXECUTION_ARN, { decision: 'rejected', decidedBy: 'arn:aws:iam::111122223333:user/alice', decidedAt: '2026-08-17T09:12:00.000Z' }, FORGED.taskToken);
      const replaceRequest = approvals.replaceRequest.bind(approvals);
      approvals.replaceRequest = async (request, staleToken, answered) => {
        approvals.records.set(EXECUTION_ARN, { ...FORGED, taskToken: 'another-real-token' });
        return replaceRequest(request, staleToken, answered);
      };
      await expect(publishAlert(parseAlertInput(REQUEST), approvalDeps(approvals))).rejects.toThrow(/changed while it was being replaced/);
      expect((await approvals.get(EXECUTION_ARN))?.taskToken).toBe('another-real-token');
    });
  });
});
