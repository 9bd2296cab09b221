import { createHash, createHmac } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApprovalCommands } from '../../lib/cli/approvals';
import type { ApprovalCliDependencies } from '../../lib/operator/approvals';
import { ApprovalRefusedError, ApprovalSetupError, answer, describeShownRequest, showRequest, signedAnswer } from '../../lib/operator/approvals';
import { buildProgram } from '../../lib/cli/main';
import type { ApprovalExecutions } from '../../lib/responders/approval';
import { createApprovalHandler } from '../../lib/responders/approval';
import type { PendingApproval } from '../../lib/responders/approval-records';
import { InMemoryApprovalStore, approvalRecordKey } from '../../lib/responders/approval-records';
import { silentLogger } from '../../lib/responders/logging';
import type { ParsedProof } from '../../lib/responders/caller-proof';
import { CALLER_PROOF_HEADER, parseCallerProof, proofBinding, proofLifetimeRefusal } from '../../lib/responders/caller-proof';
import { LocalCallerProofs } from '../../lib/gameday/caller-proofs';

const EXECUTION = 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2-instance:gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d';
const URL_ = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
const CREDENTIALS = { accessKeyId: 'ASIAQ3EGRW6JEXAMPLE1', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEXAMPLE/session+token==' };
const CALLER = 'arn:aws:sts::999988887777:assumed-role/IncidentResponder/alice';
const AT = new Date('2026-11-20T10:15:00.000Z');
/** The id of the request the function shows (the SHA-256 of its task token). */
const SHOWN_ID = createHash('sha256').update('AQCEAAAAKgAAAAMAAAAAAAAAAd+shown=').digest('hex');

const cloudFormation = mockClient(CloudFormationClient);

interface Sent {
  url: string;
  init: { method: string; headers: Record<string, string>; body: string };
}

function deps(response: { status: number; body: unknown }, sent: Sent[], overrides: Partial<ApprovalCliDependencies> = {}): ApprovalCliDependencies {
  return {
    cloudFormation: (region) => new CloudFormationClient({ region }),
    credentials: async () => CREDENTIALS,
    fetch: async (url, init) => {
      sent.push({ url, init });
      return { status: response.status, text: async () => (typeof response.body === 'string' ? response.body : JSON.stringify(response.body)) };
    },
    out: () => undefined,
    err: () => undefined,
    interactive: false,
    confirm: async () => false,
    ...overrides,
  };
}

const APPROVED = { outcome: 'approved', executionArn: EXECUTION, decidedBy: CALLER, decidedAt: AT.toISOString(), message: 'Approved: the playbook resumes its waiting steps.' };

beforeEach(() => {
  cloudFormation.reset();
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'Firebreak',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: AT,
        Outputs: [{ OutputKey: 'ApprovalFunctionUrl', OutputValue: URL_ }],
      },
    ],
  });
});

describe('signedAnswer', () => {
  it('signs a POST to the Function URL with SigV4 for service lambda in the execution region (verifiable signature)', async () => {
    const body = JSON.stringify({ executionArn: EXECUTION, decision: 'approve' });
    const request = await signedAnswer(URL_, body, 'eu-west-1', CREDENTIALS, AT);
    expect(request.method).toBe('POST');
    expect(request.body).toBe(body);
    const host = new URL(URL_).hostname;
    expect(request.headers).toMatchObject({
      host,
      'content-type': 'application/json',
      'x-amz-date': '20261120T101500Z',
      'x-amz-security-token': CREDENTIALS.sessionToken,
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    });
    const authorization = request.headers.authorization!;
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAQ3EGRW6JEXAMPLE1\/20261120\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    // Recompute the signature as AWS does, from the signed headers.
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
    const canonical = [
      'POST',
      '/',
      '',
      ...signedHeaders.map((name) => `${name}:${request.headers[name]!.trim()}`),
      '',
      signedHeaders.join(';'),
      createHash('sha256').update(body).digest('hex'),
    ].join('\n');
    const scope = '20261120/eu-west-1/lambda/aws4_request';
    const toSign = ['AWS4-HMAC-SHA256', '20261120T101500Z', scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
    let key: Buffer = createHmac('sha256', `AWS4${CREDENTIALS.secretAccessKey}`).update('20261120').digest();
    for (const part of ['eu-west-1', 'lambda', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    expect(authorization.endsWith(`Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`)).toBe(true);
  });
});

describe('the caller proof (lib/responders/caller-proof.ts)', () => {
  const body = JSON.stringify({ executionArn: EXECUTION, decision: 'approve', requestId: SHOWN_ID });
  const verified = async (headers: Record<string, string>, sentBody: string, at = AT) => {
    const callers = new LocalCallerProofs('eu-west-1', () => at);
    callers.issue(CALLER, CREDENTIALS);
    const parsed = parseCallerProof(headers[CALLER_PROOF_HEADER], 'eu-west-1');
    return 'refused' in parsed ? parsed : callers.callerOf(parsed, proofBinding('approval', sentBody));
  };

  it('goes with an approval, under the Function URL signature, and verifies for this body only, for ten minutes', async () => {
    const request = await signedAnswer(URL_, body, 'eu-west-1', CREDENTIALS, AT, 'approval');
    expect(request.headers.authorization).toMatch(/SignedHeaders=[a-z0-9;-]*x-firebreak-caller-proof/);
    const proof = new URLSearchParams(request.headers[CALLER_PROOF_HEADER]);
    expect(Object.fromEntries(proof)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Credential': 'ASIAQ3EGRW6JEXAMPLE1/20261120/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261120T101500Z',
      'X-Amz-Expires': '600',
      'X-Amz-SignedHeaders': 'host;x-firebreak-proof-binding',
      'X-Amz-Security-Token': CREDENTIALS.sessionToken,
    });
    expect(await verified(request.headers, body)).toMatchObject({ arn: CALLER, accessKeyId: CREDENTIALS.accessKeyId });
    expect(await verified(request.headers, body.replace('approve', 'reject'))).toEqual({ refused: expect.stringContaining('SignatureDoesNotMatch') });
    // STS would take it for 15 minutes (it ignores X-Amz-Expires); the function holds it to its ten.
    const parsed = parseCallerProof(request.headers[CALLER_PROOF_HEADER], 'eu-west-1') as ParsedProof;
    expect(proofLifetimeRefusal(parsed, new Date(AT.getTime() + 600_000))).toBeUndefined();
    expect(proofLifetimeRefusal(parsed, new Date(AT.getTime() + 601_000))).toMatch(/the caller proof expired at 2026-11-20T10:25:00.000Z/);
  });

  it('is not sent to the emergency-pause function, which does not check one', async () => {
    const request = await signedAnswer(URL_, JSON.stringify({ action: 'pause' }), 'eu-west-1', CREDENTIALS, AT);
    expect(request.headers[CALLER_PROOF_HEADER]).toBeUndefined();
  });
});

describe('answer', () => {
  it('approves: reads the URL from the stack output, posts { executionArn, decision, requestId, reason } signed, returns who AWS says answered', async () => {
    const sent: Sent[] = [];
    const outcome = await answer('approve', { execution: EXECUTION, stack: 'Firebreak', comment: 'checked the flow logs' }, deps({ status: 200, body: APPROVED }, sent), SHOWN_ID, AT);
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([{ StackName: 'Firebreak' }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(URL_);
    expect(JSON.parse(sent[0]!.init.body)).toEqual({ executionArn: EXECUTION, decision: 'approve', requestId: SHOWN_ID, reason: 'checked the flow logs' });
    expect(sent[0]!.init.headers.authorization).toContain('/eu-west-1/lambda/aws4_request');
    expect(sent[0]!.init.headers[CALLER_PROOF_HEADER]).toContain('X-Amz-Credential=ASIAQ3EGRW6JEXAMPLE1%2F20261120%2Feu-west-1%2Fsts%2Faws4_request');
    expect(outcome).toMatchObject({ outcome: 'approved', decidedBy: CALLER });
  });

  it('rejects with the reason, to --url without reading the stack', async () => {
    const sent: Sent[] = [];
    await answer('reject', { execution: EXECUTION, stack: 'Firebreak', url: URL_, reason: 'false positive' }, deps({ status: 200, body: { ...APPROVED, outcome: 'rejected' } }, sent), SHOWN_ID, AT);
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(JSON.parse(sent[0]!.init.body)).toEqual({ executionArn: EXECUTION, decision: 'reject', requestId: SHOWN_ID, reason: 'false positive' });
  });

  it('says clearly when AWS denies the signed request: the ApproverPolicy is missing', async () => {
    const sent: Sent[] = [];
    await expect(answer('approve', { execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 403, body: { Message: 'Forbidden' } }, sent), SHOWN_ID)).rejects.toThrow(
      /AWS denied the request .*ApproverPolicy/,
    );
  });

  it("passes the approval function's refusal on (already answered, not waiting, the instance's own role)", async () => {
    const refusal = { outcome: 'refused', message: `${EXECUTION} was already approved by ${CALLER}: one answer only` };
    await expect(answer('reject', { execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 409, body: refusal }, []), SHOWN_ID)).rejects.toThrow(
      new ApprovalRefusedError(`the approval function refused the answer (409): ${refusal.message}`),
    );
  });

  // Regression: String(field) of the function's answer threw on {toString: null}, and a JSON body
  // that was not an object (null) threw a TypeError reading its outcome.
  it('reads an answer whose fields are not text as unknown, never String()-ing them, and a non-object body as a refusal', async () => {
    const odd = { outcome: 'approved', executionArn: { toString: null }, decidedBy: { toString: null, valueOf: null }, decidedAt: ['x'], message: 42 };
    await expect(answer('approve', { execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: odd }, []), SHOWN_ID)).resolves.toEqual({
      outcome: 'approved',
      executionArn: EXECUTION,
      decidedBy: 'unknown',
      decidedAt: '',
      message: '',
    });
    for (const body of ['null', '[1]', '"approved"']) {
      await expect(answer('approve', { execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body }, []), SHOWN_ID)).rejects.toThrow(
        new ApprovalRefusedError(`the approval function refused the answer (200): ${body}`),
      );
    }
  });

  it('ATTACK: a 200 that answers another decision or another execution is not taken for this answer', async () => {
    // The operator rejected; an answer saying "approved" (an earlier answer sent again, a function
    // that mixed up requests) must not print "Rejected" nor exit 0 as if the rejection were recorded.
    await expect(answer('reject', { execution: EXECUTION, stack: 'Firebreak', reason: 'false positive' }, deps({ status: 200, body: APPROVED }, []), SHOWN_ID)).rejects.toThrow(
      new ApprovalRefusedError(`the approval function answered approved for ${EXECUTION}, not the reject that was sent: check the execution's history before answering again`),
    );
    const other = EXECUTION.replace(/gd-[0-9a-f]+$/, 'gd-0000');
    await expect(answer('approve', { execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: { ...APPROVED, executionArn: other } }, []), SHOWN_ID)).rejects.toThrow(
      new ApprovalRefusedError(`the approval function answered approved for ${other}, not the approve that was sent for ${EXECUTION}: check the execution's history before answering again`),
    );
    await expect(showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: { ...WAITING, executionArn: other } }, []))).rejects.toThrow(
      new ApprovalRefusedError(`the approval function showed the request of ${other}, not of ${EXECUTION}: nothing was sent`),
    );
  });

  it('sends nothing without credentials, without the stack output, or with a malformed execution ARN', async () => {
    const sent: Sent[] = [];
    const noCredentials = deps({ status: 200, body: APPROVED }, sent, {
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      },
    });
    await expect(answer('approve', { execution: EXECUTION, stack: 'Firebreak' }, noCredentials, SHOWN_ID)).rejects.toThrow(/no AWS credentials found/);
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Firebreak', StackStatus: 'UPDATE_COMPLETE', CreationTime: AT, Outputs: [] }] });
    await expect(answer('approve', { execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: APPROVED }, sent), SHOWN_ID)).rejects.toThrow(
      /has no output ApprovalFunctionUrl/,
    );
    await expect(answer('approve', { execution: 'arn:aws:states:nope', stack: 'Firebreak' }, deps({ status: 200, body: APPROVED }, sent), SHOWN_ID)).rejects.toBeInstanceOf(
      ApprovalSetupError,
    );
    expect(sent).toHaveLength(0);
  });
});

const WAITING = {
  outcome: 'shown',
  message: 'compromised-ec2-instance waits for approval of contain',
  executionArn: EXECUTION,
  request: {
    playbook: 'compromised-ec2-instance',
    incidentKey: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d',
    account: '999988887777',
    region: 'eu-west-1',
    waitingSteps: ['contain', 'preserve-evidence'],
    requestId: SHOWN_ID,
    requestedAt: '2026-11-20T10:00:00.000Z',
    expiresAt: '2026-11-20T11:00:00.000Z',
    status: 'RUNNING',
    findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
    // Finding text is the attacker's: the terminal gets it escaped.
    title: 'EC2 instance i-0abc1234def567890 is querying a C&C domain\u001b]0;pwned\u0007',
    severity: { score: 8, label: 'High' },
    resource: { kind: 'ec2-instance', instanceId: 'i-0abc1234def567890', instanceType: 't3.micro', tags: { Name: 'web' }, networkInterfaces: [] },
  },
};

describe('showRequest and what the commands print of it', () => {
  it('posts { executionArn, show: true } signed and prints the request, its target and expiry', async () => {
    const sent: Sent[] = [];
    const shown = await showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: WAITING }, sent), AT);
    expect(JSON.parse(sent[0]!.init.body)).toEqual({ executionArn: EXECUTION, show: true });
    expect(sent[0]!.init.headers.authorization).toContain('/eu-west-1/lambda/aws4_request');
    expect(describeShownRequest(EXECUTION, shown)).toEqual([
      `Approval request of ${EXECUTION}`,
      '  playbook:  compromised-ec2-instance, waiting steps: contain, preserve-evidence',
      '  incident:  gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d, Backdoor:EC2/C&CActivity.B!DNS, severity High (8)',
      // Finding text reaches the terminal escaped, whatever prints the lines.
      '  finding:   EC2 instance i-0abc1234def567890 is querying a C&C domain\\u001b]0;pwned\\u0007',
      '  target:    ec2-instance, instanceId i-0abc1234def567890, instanceType t3.micro in account 999988887777, eu-west-1',
      '  requested: 2026-11-20T10:00:00.000Z; expires 2026-11-20T11:00:00.000Z (then the playbook takes its timeout path)',
      '  status:    RUNNING',
    ]);
  });

  // Session 37 (row 5s): who asked for a manual playbook (a release, an unblock) is whatever the
  // execution's input says (states:StartExecution takes any input); it was printed as a fact,
  // "requested: … by <the on-call lead>", and an approver trusts a request their lead made.
  it("ATTACK (approvals): prints who asked for a manual playbook as the execution's claim, not as a fact", async () => {
    const request = { ...WAITING.request, requestedBy: 'arn:aws:sts::999988887777:assumed-role/oncall/lead', reason: 'INC-4711 closed' };
    const shown = await showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: { ...WAITING, request } }, []), AT);
    expect(describeShownRequest(EXECUTION, shown)).toContainEqual(
      '  requested: 2026-11-20T10:00:00.000Z, asked by arn:aws:sts::999988887777:assumed-role/oncall/lead ("INC-4711 closed") as the execution\'s input claims (not verified); expires 2026-11-20T11:00:00.000Z (then the playbook takes its timeout path)',
    );
  });

  // Session 40 (row 10j): under `onTimeout: contain` the request's alert says silence runs the
  // waiting steps (row 10i), but `firebreak approve` printed only "then the playbook takes its
  // timeout path": an approver who meant to let it lapse rather than reject contained the instance.
  it('ATTACK (approve-timeout): prints the timeout path the approval function read from the grant: under contain, that not answering is no refusal', async () => {
    const line = async (onTimeout: unknown, timedOut?: true) =>
      describeShownRequest(EXECUTION, await showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: { ...WAITING, request: { ...WAITING.request, onTimeout, ...(timedOut ? { timedOut } : {}) } } }, []), AT)).find((l) => l.startsWith('  requested:'));
    expect(await line('contain')).toBe(
      '  requested: 2026-11-20T10:00:00.000Z; expires 2026-11-20T11:00:00.000Z (then the playbook takes its timeout path: contain, its waiting steps run without approval: not answering is no refusal, reject to stop them)',
    );
    expect(await line('evidence-only')).toBe('  requested: 2026-11-20T10:00:00.000Z; expires 2026-11-20T11:00:00.000Z (then the playbook takes its timeout path: evidence-only, its waiting steps do not run)');
    // Anything else the answer holds is named as unknown, escaped, one line.
    expect(await line('contain\n  target: i-0fake')).toContain('(then the playbook takes its timeout path: contain\\u000a target: i-0fake, which this firebreak does not know)');
  });

  // Row 10j's line told an approver to "reject to stop them" after the request timed out, after an
  // answer was recorded and once the execution no longer ran, when the approval function refuses
  // every answer: the approver took a rejection for a way out that no longer exists.
  it('ATTACK (rereview-one): says "reject to stop them" only while a rejection can, never after the timeout, an answer or the end of the execution (row 10k)', async () => {
    const line = async (request: Record<string, unknown>) =>
      describeShownRequest(EXECUTION, await showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: { ...WAITING, request: { ...WAITING.request, ...request } } }, []), AT)).find((l) => l.startsWith('  requested:'));
    expect(await line({ onTimeout: 'contain', timedOut: true })).toBe(
      '  requested: 2026-11-20T10:00:00.000Z; timed out at 2026-11-20T11:00:00.000Z (the playbook took its timeout path: contain, its waiting steps ran without approval; an answer now changes nothing)',
    );
    expect(await line({ onTimeout: 'evidence-only', timedOut: true })).toBe(
      '  requested: 2026-11-20T10:00:00.000Z; timed out at 2026-11-20T11:00:00.000Z (the playbook took its timeout path: evidence-only, its waiting steps did not run; an answer now changes nothing)',
    );
    const closed = '  requested: 2026-11-20T10:00:00.000Z; expires 2026-11-20T11:00:00.000Z (then the playbook takes its timeout path: contain, its waiting steps run without approval if nobody answers; this request takes no answer now)';
    expect(await line({ onTimeout: 'contain', decision: 'approved', decidedBy: 'arn:aws:iam::999988887777:user/alice', decidedAt: '2026-11-20T10:05:00.000Z' })).toBe(closed);
    expect(await line({ onTimeout: 'contain', status: 'SUCCEEDED' })).toBe(closed);
    // Still open, or an answer that does not say (an older function): the advice stays.
    expect(await line({ onTimeout: 'contain' })).toContain('not answering is no refusal, reject to stop them)');
    expect(await line({ onTimeout: 'contain', status: undefined })).toContain('not answering is no refusal, reject to stop them)');
  });

  it('prints what approving will and will not do, as the request stored it (review s20)', async () => {
    const notes = [
      'Approving takes back only incident gd-a\'s hold on access key AKIAQ3EGRW6JCEXAMPLE of user ci-deployer: the key STAYS INACTIVE, incident gd-b still holds it',
      'it is made Active again only by the release of the last incident holding it',
    ];
    const shown = await showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: { ...WAITING, request: { ...WAITING.request, notes } } }, []), AT);
    expect(describeShownRequest(EXECUTION, shown).slice(-2)).toEqual([`  approving: ${notes[0]}`, `             ${notes[1]}`]);
  });

  it("passes a refusal to show on (the instance's own role, a foreign execution), and a malformed ARN sends nothing", async () => {
    const refusal = { outcome: 'refused', message: 'arn:... is one of Firebreak\'s own roles' };
    await expect(showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 403, body: refusal }, []))).rejects.toThrow(
      new ApprovalRefusedError(`the approval function refused to show the request (403): ${refusal.message}`),
    );
    // An answer where a request view was expected (an older function) is not taken for one.
    await expect(showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: APPROVED }, []))).rejects.toBeInstanceOf(ApprovalRefusedError);
    const sent: Sent[] = [];
    await expect(showRequest({ execution: 'arn:aws:states:nope', stack: 'Firebreak' }, deps({ status: 200, body: WAITING }, sent))).rejects.toBeInstanceOf(ApprovalSetupError);
    expect(sent).toHaveLength(0);
  });
});

describe('firebreak approve / reject commands', () => {
  interface RunOptions {
    readonly shown?: { status: number; body: unknown };
    /** What the function shows when asked again, after the operator confirmed (default: the same as before). */
    readonly shownAfterConfirm?: { status: number; body: unknown };
    readonly interactive?: boolean;
    readonly confirm?: boolean;
  }
  async function run(argv: string[], response: { status: number; body: unknown }, options: RunOptions = {}) {
    const program = new Command('firebreak').exitOverride();
    let exitCode = 0;
    const lines: string[] = [];
    const errors: string[] = [];
    const questions: string[] = [];
    const sent: Sent[] = [];
    const shown = options.shown ?? { status: 200, body: WAITING };
    const answers = deps(response, sent);
    createApprovalCommands({
      ...answers,
      // The function's answer to a show, and to an answer: each request gets its own.
      fetch: async (url, init) => {
        if ((JSON.parse(init.body) as { show?: unknown }).show === true) {
          sent.push({ url, init });
          const now = questions.length > 0 && options.shownAfterConfirm !== undefined ? options.shownAfterConfirm : shown;
          return { status: now.status, text: async () => JSON.stringify(now.body) };
        }
        return answers.fetch(url, init);
      },
      out: (line) => void lines.push(line),
      err: (line) => void errors.push(line),
      interactive: options.interactive ?? false,
      confirm: async (question) => {
        questions.push(question);
        return options.confirm ?? false;
      },
    })(program, (code) => {
      exitCode = Math.max(exitCode, code);
    });
    await program.parseAsync(['node', 'firebreak', ...argv]);
    const bodies = sent.map((request) => JSON.parse(request.init.body) as Record<string, unknown>);
    return { exitCode, lines, errors, sent, bodies, questions };
  }

  it('approve --execution on a terminal: shows the request and its target, asks, and answers only on yes', async () => {
    const yes = await run(['approve', '--execution', EXECUTION, '--comment', 'checked'], { status: 200, body: APPROVED }, { interactive: true, confirm: true });
    expect(yes.exitCode).toBe(0);
    // Shown, confirmed, shown again (what was confirmed must still be what waits), answered.
    expect(yes.bodies).toEqual([
      { executionArn: EXECUTION, show: true },
      { executionArn: EXECUTION, show: true },
      { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN_ID, reason: 'checked' },
    ]);
    expect(yes.questions).toEqual(['Approve this request? [y/N] ']);
    const printed = yes.lines.join('\n');
    expect(printed).toContain('target:    ec2-instance, instanceId i-0abc1234def567890');
    // The finding's escape sequence reaches the terminal escaped (terminalSafe), never raw.
    expect(printed).not.toContain('\u001b');
    expect(printed).toContain(`Approved by ${CALLER}`);

    const no = await run(['reject', '--execution', EXECUTION, '--reason', 'false positive'], { status: 200, body: { ...APPROVED, outcome: 'rejected' } }, { interactive: true, confirm: false });
    expect(no.exitCode).toBe(2);
    expect(no.bodies).toEqual([{ executionArn: EXECUTION, show: true }]);
    expect(no.questions).toEqual(['Reject this request? [y/N] ']);
    expect(no.errors.join('\n')).toContain('firebreak reject: nothing was sent: not confirmed');
  });

  it('without a terminal: answers only with --yes, and says how otherwise (exit 2, nothing answered)', async () => {
    const refused = await run(['approve', '--execution', EXECUTION], { status: 200, body: APPROVED });
    expect(refused.exitCode).toBe(2);
    expect(refused.bodies).toEqual([{ executionArn: EXECUTION, show: true }]);
    expect(refused.errors.join('\n')).toContain('pass --yes');
    const scripted = await run(['approve', '--execution', EXECUTION, '--yes'], { status: 200, body: APPROVED });
    expect(scripted.exitCode).toBe(0);
    expect(scripted.bodies).toEqual([
      { executionArn: EXECUTION, show: true },
      { executionArn: EXECUTION, decision: 'approve', requestId: SHOWN_ID },
    ]);
    expect(scripted.questions).toEqual([]);
    expect(scripted.lines.join('\n')).toContain('Approval request of');
  });

  it('sends nothing for an execution that no longer waits, and nothing when the function will not show it', async () => {
    const ended = await run(['approve', '--execution', EXECUTION, '--yes'], { status: 200, body: APPROVED }, {
      shown: { status: 200, body: { ...WAITING, message: `${EXECUTION} is TIMED_OUT: it no longer waits for an answer`, request: { ...WAITING.request, status: 'TIMED_OUT' } } },
    });
    expect(ended.exitCode).toBe(1);
    expect(ended.bodies).toHaveLength(1);
    expect(ended.errors.join('\n')).toContain('nothing was sent: ');
    const foreign = await run(['approve', '--execution', EXECUTION, '--yes'], { status: 200, body: APPROVED }, { shown: { status: 403, body: { outcome: 'refused', message: 'not an execution of this deployment' } } });
    expect(foreign.exitCode).toBe(1);
    expect(foreign.bodies).toHaveLength(1);
  });

  it('sends nothing, and asks nothing, for a request that timed out while its execution runs its timeout path: says when and which path (review approval-late)', async () => {
    const message = `the approval request of ${EXECUTION} timed out at 2026-11-27T17:29:58.000Z: the playbook took its onTimeout path, contain (its waiting steps run without approval).`;
    const late = await run(['reject', '--execution', EXECUTION, '--reason', 'a database'], { status: 200, body: { ...APPROVED, outcome: 'rejected' } }, {
      interactive: true,
      confirm: true,
      shown: { status: 200, body: { ...WAITING, message, request: { ...WAITING.request, expiresAt: '2026-11-27T17:29:58.000Z', timedOut: true } } },
    });
    expect(late.exitCode).toBe(1);
    expect(late.bodies).toEqual([{ executionArn: EXECUTION, show: true }]);
    expect(late.questions).toEqual([]);
    expect(late.errors).toEqual([`firebreak reject: nothing was sent: ${message}`]);
    expect(late.lines.join('\n')).toContain('timed out at 2026-11-27T17:29:58.000Z (the playbook took its timeout path)');
  });

  it('sends an answer already recorded without asking: the function resends it only for its own approver', async () => {
    const answered = { ...WAITING, message: `approved by ${CALLER}`, request: { ...WAITING.request, decision: 'approved', decidedBy: CALLER, decidedAt: AT.toISOString() } };
    const again = await run(['approve', '--execution', EXECUTION], { status: 200, body: APPROVED }, { shown: { status: 200, body: answered } });
    expect(again.exitCode).toBe(0);
    expect(again.questions).toEqual([]);
    expect(again.bodies).toHaveLength(2);
    expect(again.lines.join('\n')).toContain(`status:    RUNNING, approved by ${CALLER}`);
  });

  it('reject --execution --reason: exits 1 with the reason when refused, 2 when nothing was sent', async () => {
    expect((await run(['reject', '--execution', EXECUTION, '--reason', 'x', '--yes'], { status: 409, body: { outcome: 'refused', message: 'no longer waits' } })).exitCode).toBe(1);
    const bad = await run(['reject', '--execution', 'not-an-arn'], { status: 200, body: APPROVED });
    expect(bad.exitCode).toBe(2);
    expect(bad.errors.join('\n')).toContain('firebreak reject: --execution');
    expect(bad.sent).toHaveLength(0);
    const long = await run(['approve', '--execution', EXECUTION, '--comment', 'x'.repeat(1001), '--yes'], { status: 200, body: APPROVED });
    expect(long.exitCode).toBe(2);
    expect(long.errors.join('\n')).toContain('firebreak approve: --comment');
    expect(long.sent).toHaveLength(0);
  });

  // Found by a new user's run: `approve --execution nope` said only "--execution: a Step Functions
  // execution ARN", and an empty --comment zod's "Too small: expected string to have >=1 characters".
  it('names what is wrong with a malformed --execution or an empty or long note, and what is expected', async () => {
    const bad = await run(['approve', '--execution', 'nope', '--yes'], { status: 200, body: APPROVED });
    expect(bad.exitCode).toBe(2);
    expect(bad.sent).toHaveLength(0);
    expect(bad.errors).toEqual([
      'firebreak approve: --execution: expected a Step Functions execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<execution name>, as the approval alert names it), got "nope"',
    ]);
    const empty = await run(['reject', '--execution', EXECUTION, '--reason', '  ', '--yes'], { status: 200, body: APPROVED });
    expect(empty.exitCode).toBe(2);
    expect(empty.sent).toHaveLength(0);
    expect(empty.errors).toEqual(['firebreak reject: --reason: expected 1 to 1000 characters of text for the incident timeline, got none']);
    const long = await run(['approve', '--execution', EXECUTION, '--comment', 'x'.repeat(1001), '--yes'], { status: 200, body: APPROVED });
    expect(long.errors).toEqual(['firebreak approve: --comment: expected 1 to 1000 characters of text for the incident timeline, got 1001']);
  });

  it('ATTACK: finding text with line feeds cannot print lines of its own (a forged target, a forged "approving:" note)', async () => {
    // A custom Security Hub finding or a forged game-day event sets any title: its line feeds
    // printed as they are would add lines that read as the request's own, under the real ones.
    const title = 'Port probe\n  target:    ec2-instance, instanceId i-0fffffffffffffff0 in account 111122223333, eu-west-1\r\n  approving: nothing is restored, the instance stays quarantined';
    const forged = { ...WAITING, request: { ...WAITING.request, title, waitingSteps: ['contain\n  status:    REJECTED'], notes: ['restores i-0abc\nno, it does not'] } };
    const lines = describeShownRequest(EXECUTION, await showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: forged }, []), AT));
    for (const line of lines) expect(line).not.toMatch(/[\n\r]/);
    expect(lines.filter((line) => line.startsWith('  target:'))).toHaveLength(1);
    expect(lines.some((line) => line.startsWith('  approving: nothing'))).toBe(false);
    // Each run of blanks in it is one space (row 14f).
    expect(lines).toContain(`  finding:   Port probe\\u000a target: ec2-instance, instanceId i-0fffffffffffffff0 in account 111122223333, eu-west-1\\u000d\\u000a approving: nothing is restored, the instance stays quarantined`);
    const printed = await run(['approve', '--execution', EXECUTION], { status: 200, body: APPROVED }, { shown: { status: 200, body: forged }, interactive: true, confirm: false });
    for (const line of printed.lines) expect(line).not.toMatch(/[\n\r]/);
  });

  // Row 14f. Escaped line feeds (row 14a) keep a field on one line of text, not on one line of the
  // screen: a terminal wraps a long line, so a title padded with blanks (900 spaces, or U+3000
  // IDEOGRAPHIC SPACE, U+3164 HANGUL FILLER, U+2800 BRAILLE PATTERN BLANK, which no escape touches)
  // puts its own "target:" at the start of a screen line of every width dividing the padding
  // (80, 120, 160, 240 for 960 columns), under the real finding line and above the real target.
  // A manual request's reason (any length the execution input holds) pushed the rest of its line,
  // and every line after it, screens away from the question.
  it('ATTACK (review-operator): a field padded with blanks, or very long, cannot put a line of its own on the screen nor push the request away from the question', async () => {
    const forgedTarget = 'target:    ec2-instance, instanceId i-0fffffffffffffff0 in account 111122223333, eu-west-1';
    const lead = '  finding:   Port probe';
    const paddings = [' ', '\u3000', '\u3164', '\u2800', '\u00a0', '\u2003'];
    for (const blank of paddings) {
      const title = `Port probe${blank.repeat(960 - lead.length)}${forgedTarget}`;
      const reason = `INC-4711 closed${blank.repeat(500)}${'x'.repeat(100_000)}`;
      const request = { ...WAITING.request, title, requestedBy: `arn:aws:sts::999988887777:assumed-role/oncall/lead${blank.repeat(300)}`, reason, notes: [`Approving restores i-0abc${blank.repeat(400)}approving: nothing is restored`] };
      const lines = describeShownRequest(EXECUTION, await showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: { ...WAITING, request } }, []), AT));
      for (const line of lines) {
        // Every label is 13 columns wide; past it, no run of blanks of the request's own.
        expect(line.slice(13)).not.toMatch(/[\p{Zs}\u115f\u1160\u3164\uffa0\u2800]{2,}/u);
        expect(line.length).toBeLessThan(1_000);
      }
      expect(lines.find((line) => line.startsWith('  finding:'))).toBe(`  finding:   Port probe ${forgedTarget.replace(/ +/g, ' ')}`);
      expect(lines.find((line) => line.startsWith('  requested:'))).toMatch(/more characters not shown\)"\) as the execution's input claims \(not verified\); expires 2026-11-20T11:00:00.000Z/);
    }
  });

  // Row 14h. The target line showed every scalar field of the execution input's resource, in the
  // input's order, under the input's names: a resource is a loose object, so an execution started by
  // hand put a look-alike name first (`accessKey\u0406d`, Cyrillic I, the key the approver expects),
  // and the field the step reads (`accessKeyId`) after thousands of others, each under row 14f's cut:
  // the line had no bound, and what the step acts on came last, screens below what reads as it.
  it('ATTACK (rereview-operator): the target line shows the fields the steps read first, under their own names, and the rest cut short', async () => {
    const padding = Object.fromEntries(Array.from({ length: 3_000 }, (_, index) => [`tag${index}`, `value-${index}`]));
    const resource = { kind: 'access-key', ['accessKey\u0406d']: 'AKIAEXPECTEDKEY00000', userName: 'ci-deployer', ...padding, userType: 'IAMUser', accessKeyId: 'AKIAREALKEY000000000' };
    const request = { ...WAITING.request, playbook: 'release-credentials', resource };
    const lines = describeShownRequest(EXECUTION, await showRequest({ execution: EXECUTION, stack: 'Firebreak' }, deps({ status: 200, body: { ...WAITING, request } }, []), AT));
    const target = lines.find((line) => line.startsWith('  target:'))!;
    expect(target.startsWith('  target:    access-key, accessKeyId AKIAREALKEY000000000, userName ci-deployer, userType IAMUser, other fields: accessKey\\u0406d AKIAEXPECTEDKEY00000, tag0 value-0, ')).toBe(true);
    expect(target).toMatch(/more characters not shown\) in account 999988887777, eu-west-1$/);
    expect(target.length).toBeLessThan(1_000);
  });

  it('ATTACK: answers nothing when the request changed between what was confirmed and the answer (TOCTOU)', async () => {
    // The operator read one request and said yes; meanwhile that request ended and the execution
    // waits on another (another approval step, other waiting steps, other notes): the yes was not for it.
    const replaced = { ...WAITING, request: { ...WAITING.request, waitingSteps: ['release-instance'], requestedAt: '2026-11-20T10:20:00.000Z', notes: ['restores i-0abc1234def567890'] } };
    const changed = await run(['approve', '--execution', EXECUTION], { status: 200, body: APPROVED }, { interactive: true, confirm: true, shownAfterConfirm: { status: 200, body: replaced } });
    expect(changed.exitCode).toBe(2);
    expect(changed.bodies).toEqual([
      { executionArn: EXECUTION, show: true },
      { executionArn: EXECUTION, show: true },
    ]);
    expect(changed.errors.join('\n')).toContain('firebreak approve: nothing was sent: the request changed after it was shown');
    // Answered meanwhile by someone else, or no longer waiting: nothing sent either.
    const answeredMeanwhile = { ...WAITING, request: { ...WAITING.request, decision: 'rejected', decidedBy: 'arn:aws:sts::999988887777:assumed-role/IncidentResponder/bob', decidedAt: AT.toISOString() } };
    const raced = await run(['approve', '--execution', EXECUTION], { status: 200, body: APPROVED }, { interactive: true, confirm: true, shownAfterConfirm: { status: 200, body: answeredMeanwhile } });
    expect(raced.exitCode).toBe(2);
    expect(raced.bodies).toHaveLength(2);
  });

  it('sends nothing when the approval function shows no requestId (older than the command): its answer could not name the request shown', async () => {
    const { requestId: _id, ...withoutId } = WAITING.request;
    const older = await run(['approve', '--execution', EXECUTION, '--yes'], { status: 200, body: APPROVED }, { shown: { status: 200, body: { ...WAITING, request: withoutId } } });
    expect(older.exitCode).toBe(2);
    expect(older.bodies).toEqual([{ executionArn: EXECUTION, show: true }]);
    expect(older.errors.join('\n')).toContain('did not say which request');
    expect(older.errors.join('\n')).toContain('deploy the current Firebreak stack');
  });

  it('no longer takes a task token: the alert never shows one', () => {
    const program = buildProgram(() => undefined);
    const approve = program.commands.find((command) => command.name() === 'approve')!;
    expect(approve.options.map((option) => option.long)).not.toContain('--token');
    expect(approve.options.map((option) => option.long)).toContain('--execution');
    expect(approve.options.map((option) => option.long)).toContain('--yes');
  });
});

describe('firebreak approve against the approval function itself (review approval-binding)', () => {
  const MACHINE = 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-compromised-ec2-instance';
  const FIRST_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd+first-attempt=';
  const SECOND_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd+second-attempt=';
  const INCIDENT = 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d';
  const REQUEST: PendingApproval = {
    pk: approvalRecordKey(EXECUTION),
    executionArn: EXECUTION,
    incidentKey: INCIDENT,
    requestedAt: '2026-11-20T10:00:00.000Z',
    taskToken: FIRST_TOKEN,
    playbook: 'compromised-ec2-instance',
    account: '999988887777',
    region: 'eu-west-1',
    waitingSteps: ['contain'],
    timeoutSeconds: 3600,
  };

  /** The commands over the real approval function: each signed POST becomes its Function URL event, as CALLER. */
  afterEach(() => {
    vi.useRealTimers();
  });

  async function approveThroughFunction(store: InMemoryApprovalStore, beforeAnswer: () => Promise<void>) {
    const sentTokens: string[] = [];
    const executions: ApprovalExecutions = {
      describe: async () => ({ status: 'RUNNING', stateMachineArn: MACHINE, input: JSON.stringify({ incident: { key: INCIDENT } }) }),
      scheduled: async (_arn, token) => token === FIRST_TOKEN || token === SECOND_TOKEN,
      heartbeat: async () => 'live',
      sendSuccess: async (token) => {
        sentTokens.push(token);
        return 'sent';
      },
      sendFailure: async (token) => {
        sentTokens.push(token);
        return 'sent';
      },
    };
    // STS knows the CLI's credentials as CALLER's: the function checks the proof the CLI sends.
    // (The command signs at the machine's time, which is the function's: AT.)
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(AT);
    const callers = new LocalCallerProofs('eu-west-1', () => new Date());
    callers.issue(CALLER, CREDENTIALS);
    const handler = createApprovalHandler({ store, executions, callers, config: { stateMachineArns: [MACHINE], deniedRolePrefixes: [] }, logger: silentLogger, now: () => AT });
    const errors: string[] = [];
    let exitCode = 0;
    const program = new Command('firebreak').exitOverride();
    createApprovalCommands({
      ...deps({ status: 500, body: {} }, []),
      fetch: async (_url, init) => {
        if ((JSON.parse(init.body) as { show?: unknown }).show !== true) await beforeAnswer();
        const result = await handler({ version: '2.0', headers: init.headers, requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: CALLER } } }, body: init.body, isBase64Encoded: false });
        return { status: result.statusCode, text: async () => result.body };
      },
      err: (line) => void errors.push(line),
      interactive: true,
      confirm: async () => true,
    })(program, (code) => {
      exitCode = Math.max(exitCode, code);
    });
    await program.parseAsync(['node', 'firebreak', 'approve', '--execution', EXECUTION]);
    return { exitCode, errors, sentTokens };
  }

  it('ATTACK: a request replaced between the second show and the answer is not answered: nothing recorded, no token sent', async () => {
    const store = new InMemoryApprovalStore();
    await store.putRequest(REQUEST);
    // publish-alert stores the request again for a new attempt of the approval step (its first
    // token no longer waits), in the milliseconds after the command's second look.
    const replaced = await approveThroughFunction(store, async () => {
      expect(await store.replaceRequest({ ...REQUEST, taskToken: SECOND_TOKEN, requestedAt: '2026-11-20T10:05:00.000Z', waitingSteps: ['contain', 'release'] }, FIRST_TOKEN)).toBe('replaced');
    });
    expect(replaced.exitCode).toBe(1);
    expect(replaced.sentTokens).toEqual([]);
    expect((await store.get(EXECUTION))?.decision).toBeUndefined();
    expect(replaced.errors.join('\n')).toContain('is not the one stored');
  });

  it('answers the request shown when it is still the one stored', async () => {
    const store = new InMemoryApprovalStore();
    await store.putRequest(REQUEST);
    const answered = await approveThroughFunction(store, async () => undefined);
    expect(answered.errors).toEqual([]);
    expect(answered.exitCode).toBe(0);
    expect(answered.sentTokens).toEqual([FIRST_TOKEN]);
    expect(await store.get(EXECUTION)).toMatchObject({ decision: 'approved', decidedBy: CALLER });
  });
});
