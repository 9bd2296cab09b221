/**
 * update-security-hub-finding with exact inputs (aws-sdk-client-mock), on an incident parsed from a
 * real-format GuardDuty fixture: the finding's Security Hub identifier (GuardDuty ARN as Id, the
 * regional GuardDuty product ARN), the workflow status and the note (incident key, step outcomes,
 * who released, within 512/128 characters); every claim checked before any call (a finding ARN
 * naming another account, region, detector or finding is refused, nothing sent); nothing sent in
 * dry-run (Security Hub has no DryRun), for samples or for alarms; Security Hub off, a finding not
 * there and a concurrent update each answered as AWS answers them. Nothing at all is read or sent
 * without the containment guard's grant of the execution for that very incident.
 */
import { readFileSync } from 'node:fs';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { parseEvent } from '../../lib/incident';
import { childIncidentKey } from '../../lib/incident/keys';
import type { Incident } from '../../lib/incident/model';
import type { ContainmentGrant } from '../../lib/contracts/security';
import { InMemoryGrantStore, approvalKey } from '../../lib/responders/grants';
import { requestDigest } from '../../lib/responders/step-binding';
import { silentLogger } from '../../lib/responders/logging';
import { InMemorySecurityHubFindingRecords } from '../../lib/responders/security-hub-records';
import type { UpdateSecurityHubFindingInput } from '../../lib/responders/update-security-hub-finding';
import {
  SECURITY_HUB_NOTE_AUTHOR,
  SECURITY_HUB_NOTE_LIMITS,
  createUpdateSecurityHubFindingHandler,
  parseUpdateSecurityHubFindingInput,
  updateSecurityHubFinding,
} from '../../lib/responders/update-security-hub-finding';
import { sdkError } from './quarantine-fixtures';
import { grantFor, paused, playbookStepsEnvironment } from '../support/grants';
import type { InvocationOrigins } from '../../lib/responders/invocation-origin';
import { confirmingOrigins } from '../support/alert-origins';

const hubMock = mockClient(SecurityHubClient);
const hub = new SecurityHubClient({ region: 'eu-west-1' });
const targets: { account: string; region: string }[] = [];
const clients = {
  securityhub: async (target: { account: string; region: string }) => {
    targets.push(target);
    return hub;
  },
};
const NOW = new Date('2026-03-19T12:00:00.000Z');
/** The deployment: enforce, and what a RESOLVED write-back's origin check reads (its stack's playbooks are `fb-<playbook>`, as EXECUTION's). */
const ENV = { FIREBREAK_MODE: 'enforce', FIREBREAK_STACK_NAME: 'fb', AWS_LAMBDA_FUNCTION_NAME: 'fb-ResponderUpdateSecurityHubFinding-1A2B3C' };
const FINDING_ARN = 'arn:aws:guardduty:eu-west-1:444455556666:detector/5ab6c7d8e9f0a1b2c3d4e5f6a7b8c9d0/finding/8b2e6d4f0a1c4e3b9d7f5a3c1e9b7d5f';
const GUARDDUTY_PRODUCT = 'arn:aws:securityhub:eu-west-1::product/aws/guardduty';
/** Security Hub's answer when it updated the test finding. */
const PROCESSED = { ProcessedFindings: [{ Id: FINDING_ARN, ProductArn: GUARDDUTY_PRODUCT }], UnprocessedFindings: [] };
const EXECUTION = { executionName: 'gd-8b2e6d4f', playbook: 'compromised-ec2-instance', executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:fb-compromised-ec2-instance:gd-8b2e6d4f' };

const rawEvent = () => JSON.parse(readFileSync(new URL('../fixtures/events/guardduty-ec2-trojan-dns-data-exfiltration.json', import.meta.url), 'utf8')) as { detail: Record<string, unknown> };
const incidentOf = (event = rawEvent()): Incident => parseEvent(event, { receivedAt: NOW });

let records = new InMemorySecurityHubFindingRecords();
afterEach(() => {
  hubMock.reset();
  targets.length = 0;
  records = new InMemorySecurityHubFindingRecords();
});

function input(incident: Incident, extra: Partial<UpdateSecurityHubFindingInput> = {}, workflowStatus: 'NOTIFIED' | 'RESOLVED' = 'NOTIFIED', mode: ResponderMode = 'enforce'): UpdateSecurityHubFindingInput {
  return { incident, mode, options: { workflowStatus }, execution: EXECUTION, results: { contain: { status: 'contained' }, 'preserve-evidence': { status: 'snapshotted' } }, ...extra };
}

/** A store holding the guard's grant of the test execution for `incident` (the kind a step of `workflowStatus` needs). */
function granting(incident: Incident, workflowStatus: 'NOTIFIED' | 'RESOLVED' = 'NOTIFIED', overrides: Partial<ContainmentGrant> = {}): InMemoryGrantStore {
  const store = new InMemoryGrantStore();
  store.grants.set(EXECUTION.executionArn, grantFor(incident, NOW, { executionArn: EXECUTION.executionArn, kind: workflowStatus === 'RESOLVED' ? 'release' : 'contain', ...overrides }));
  return store;
}

/** Runs the step; unless told otherwise, its execution holds the guard's grant for its very input. */
const run = (
  value: UpdateSecurityHubFindingInput,
  environment: Record<string, string> = ENV,
  // A release's grant binds the request its execution was started with; the grant's playbook is the
  // one the guard verified (here the one the input names), and its step sends these options.
  grants = granting(value.incident, value.options.workflowStatus, {
    ...(value.request !== undefined ? { requestDigest: requestDigest(value.request) } : {}),
    ...(value.execution?.playbook !== undefined ? { playbook: value.execution.playbook } : {}),
  }),
  // Step Functions as the RESOLVED origin check reads it: by default the execution scheduled exactly this task.
  origins: InvocationOrigins = confirmingOrigins,
) =>
  updateSecurityHubFinding(value, {
    clients,
    records,
    grants,
    origins,
    logger: silentLogger,
    environment: { ...environment, ...playbookStepsEnvironment(value.options, [value.execution?.playbook ?? 'compromised-ec2-instance']) },
    now: () => NOW,
  });

describe('updateSecurityHubFinding', () => {
  it("sets NOTIFIED and a note on the finding's Security Hub copy, in the finding's own account and region, with exactly that input", async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [{ Id: FINDING_ARN, ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty' }], UnprocessedFindings: [] });
    const incident = incidentOf();
    const result = await run(input(incident));
    expect(result.status).toBe('updated');
    expect(targets).toEqual([{ account: '444455556666', region: 'eu-west-1' }]);
    // Only what the grant binds: the earlier steps' statuses are the input's claim, left out.
    const note = `Firebreak incident ${incident.key}: handled by playbook compromised-ec2-instance (enforce). Execution gd-8b2e6d4f; what each step did: firebreak incident ${incident.key}.`;
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input)).toEqual([
      {
        FindingIdentifiers: [{ Id: FINDING_ARN, ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty' }],
        Workflow: { Status: 'NOTIFIED' },
        Note: { Text: note, UpdatedBy: SECURITY_HUB_NOTE_AUTHOR },
      },
    ]);
    expect(result.actions.map((a) => [a.api, a.outcome])).toEqual([
      ['firebreak:check-grant', 'observed'],
      ['securityhub:BatchUpdateFindings', 'done'],
    ]);
  });

  it('records the finding it checked, so that the release of the incident resolves the same one', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    await run(input(incident));
    expect(await records.get(incident.key)).toEqual({
      incidentKey: incident.key,
      id: FINDING_ARN,
      productArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty',
      account: '444455556666',
      region: 'eu-west-1',
      recordedAt: NOW.toISOString(),
    });
  });

  describe('on a release (`firebreak release`: the input names the incident, not the finding)', () => {
    const releaseOf = (incident: Incident, account = incident.account): Incident => ({
      key: incident.key,
      revision: 'release-i-0123-20260319T120000Z',
      source: 'firebreak',
      findingType: 'Firebreak:Release/Instance',
      title: 'Release',
      severity: { score: 0, label: 'Informational' },
      account,
      region: incident.region,
      resource: { kind: 'ec2-instance', instanceId: 'i-0123456789abcdef0', networkInterfaces: [], tags: {} },
      sample: false,
      gameDay: false,
      times: { created: NOW.toISOString(), updated: NOW.toISOString(), received: NOW.toISOString() },
    });
    const release = (incident: Incident) =>
      input(incident, { execution: { ...EXECUTION, playbook: 'release-instance' }, request: { requestedBy: 'arn:aws:iam::111122223333:user/alice', reason: null }, results: { release: { responder: RESPONDER_NAMES.releaseInstance, status: 'released' } } }, 'RESOLVED');

    it('resolves the finding its containment recorded, with exactly that identifier', async () => {
      hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
      const contained = incidentOf();
      await run(input(contained));
      const result = await run(release(releaseOf(contained)));
      expect(result.status).toBe('updated');
      const sent = hubMock.commandCalls(BatchUpdateFindingsCommand)[1]!.args[0].input;
      expect(sent.FindingIdentifiers).toEqual([{ Id: FINDING_ARN, ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty' }]);
      expect(sent.Workflow).toEqual({ Status: 'RESOLVED' });
    });

    it('sends nothing when the containment recorded no finding', async () => {
      const result = await run(release(releaseOf(incidentOf())));
      expect(result.status).toBe('no-record');
      expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    });

    describe("refuses a recorded finding that is not the release's incident's own GuardDuty finding (a state-table write), before any call", () => {
      const OTHER_ID = '0000aaaa0000aaaa0000aaaa0000aaaa';
      it.each([
        ['another finding of the account', { id: FINDING_ARN.replace(/finding\/[a-f0-9]+$/, `finding/${OTHER_ID}`) }, /names finding 0000aaaa0000aaaa0000aaaa0000aaaa, not incident gd-/],
        ["another product's finding", { id: 'arn:aws:inspector2:eu-west-1:444455556666:finding/0123456789abcdef', productArn: 'arn:aws:securityhub:eu-west-1::product/aws/inspector' }, /is not a GuardDuty finding ARN/],
        ['GuardDuty\'s ARN under another product', { productArn: 'arn:aws:securityhub:eu-west-1::product/aws/inspector' }, /is not GuardDuty's/],
        ['a finding ARN of another account behind a record of this one', { id: FINDING_ARN.replace('444455556666', '999988887777') }, /account 999988887777, not the incident's account 444455556666/],
      ])('%s', async (_label, tampered, reason) => {
        const contained = incidentOf();
        records.records.set(contained.key, {
          incidentKey: contained.key,
          id: FINDING_ARN,
          productArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty',
          account: '444455556666',
          region: 'eu-west-1',
          recordedAt: NOW.toISOString(),
          ...tampered,
        });
        const result = await run(release(releaseOf(contained)));
        expect(result.status).toBe('refused');
        expect(result.reason).toMatch(reason);
        expect(targets).toEqual([]);
        expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
      });
    });

    describe('ATTACK (review-securityhub): the release of one resource of a multi-resource finding never resolves the whole finding', () => {
      // An attack sequence (or any finding naming several instances or credentials) is contained one
      // resource at a time, each under a child incident key (per-instance.ts, per-credential.ts)
      // whose write-back names the sequence's one finding. Releasing one of them (a bystander, a
      // false positive for that instance) must not resolve the finding while the others are still
      // contained: RESOLVED takes it off the views people triage.
      const child = (suffix: string): Incident => ({ ...incidentOf(), key: childIncidentKey(incidentOf().key, suffix) });

      it.each([
        ['an instance of a sequence', '-i-0123456789abcdef0'],
        ['a child key with a placement hash (the form of a resource in another account or Region)', '-i-0123456789abcdef0-1a2b3c4d'],
        ['one credential of an IAM sequence', '-AKIAIOSFODNN7EXAMPLE'],
      ])('%s: nothing sent, and the result says the finding stays open', async (_label, suffix) => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        const contained = child(suffix);
        expect((await run(input(contained))).status).toBe('updated');
        const result = await run(release(releaseOf(contained)));
        expect(result.status).toBe('partial-release');
        expect(result.reason).toMatch(/one resource of finding 8b2e6d4f0a1c4e3b9d7f5a3c1e9b7d5f/);
        expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(1);
        expect(result.actions.at(-1)).toMatchObject({ api: 'firebreak:decide', outcome: 'skipped' });
      });

      it('in dry-run too: it does not say it would resolve the finding', async () => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        const contained = child('-i-0123456789abcdef0');
        await run(input(contained));
        const result = await run({ ...release(releaseOf(contained)), mode: 'dry-run' });
        expect(result.status).toBe('partial-release');
        expect(result.workflowStatus).toBeUndefined();
      });

      it("the finding's own incident still resolves it", async () => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        const contained = incidentOf();
        await run(input(contained));
        expect((await run(release(releaseOf(contained)))).status).toBe('updated');
      });
    });

    describe('ATTACK (resolved-origin): a direct invocation claiming a release the release step refused never resolves the finding (row 13h)', () => {
      // While the release execution runs its release grant is valid: anyone with lambda:InvokeFunction
      // could send the write-back's input with forged results. RESOLVED acts only for the task the
      // execution's own history scheduled with exactly this input.
      const scheduledOnly = (scheduled: unknown): InvocationOrigins => ({
        scheduledInvocation: async (_arn, _fn, payload) => (JSON.stringify(payload) === JSON.stringify(scheduled) ? { outcome: 'found' as const, ended: false } : { outcome: 'not-found' as const, ended: false }),
      });

      it('forged results: refused before any Security Hub call; the task the execution scheduled (release refused) answers not-released', async () => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        const contained = incidentOf();
        await run(input(contained));
        hubMock.resetHistory();
        const scheduled = { ...release(releaseOf(contained)), results: { release: { responder: RESPONDER_NAMES.releaseInstance, status: 'refused' } } };
        const forged = { ...scheduled, results: { x: { responder: RESPONDER_NAMES.releaseInstance, status: 'released' } } };
        const origins = scheduledOnly(scheduled);
        await expect(run(forged, ENV, undefined, origins)).rejects.toThrow(/refused this invocation: Step Functions does not confirm.*the finding was not resolved/);
        expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
        expect((await run(scheduled, ENV, undefined, origins)).status).toBe('not-released');
        expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
      });

      it('the task the execution scheduled after a release that released still resolves it; a NOTIFIED write-back reads no history', async () => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        const contained = incidentOf();
        const nothingScheduled = scheduledOnly(undefined);
        expect((await run(input(contained), ENV, undefined, nothingScheduled)).status).toBe('updated');
        const scheduled = release(releaseOf(contained));
        expect((await run(scheduled, ENV, undefined, scheduledOnly(scheduled))).status).toBe('updated');
      });
    });

    describe('ATTACK (review-13c): a release step that released nothing never lets the write-back resolve the finding', () => {
      // The release playbook passes every earlier step's result to the write-back (`results`,
      // compile.ts). A release refused (the record tampered with, contained again since it was
      // cleared), without a record, or of an instance no longer there left the resource as it was:
      // RESOLVED would take the finding off the views people triage while its instance is still
      // isolated (or never was restored). The results are the input's claim, so they may only
      // withhold RESOLVED, never grant it.
      const releasedWith = (responder: string, status: string) => ({
        ...release(releaseOf(incidentOf())),
        results: { release: { responder, status }, 'unblock-dns': { responder: RESPONDER_NAMES.unblockDnsDomains, status: 'nothing-blocked' } },
      });

      it.each([
        [RESPONDER_NAMES.releaseInstance, 'refused'],
        [RESPONDER_NAMES.releaseInstance, 'no-record'],
        [RESPONDER_NAMES.releaseInstance, 'not-found'],
        [RESPONDER_NAMES.releaseInstance, 'terminated'],
        [RESPONDER_NAMES.releaseCredentials, 'refused'],
        [RESPONDER_NAMES.releaseCredentials, 'no-credential'],
        [RESPONDER_NAMES.releaseS3Object, 'refused'],
        [RESPONDER_NAMES.releaseS3Object, 'not-found'],
        [RESPONDER_NAMES.releaseS3Object, 'changed'],
        [RESPONDER_NAMES.releaseInstance, 'a status added later'],
      ])('%s answering %s: nothing sent, the result says so', async (responder, status) => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        await run(input(incidentOf()));
        const result = await run(releasedWith(responder, status));
        expect(result.status).toBe('not-released');
        expect(result.reason).toContain(`${responder} answered ${status}`);
        expect(result.workflowStatus).toBeUndefined();
        expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(1);
        expect(result.actions.at(-1)).toMatchObject({ api: 'firebreak:decide', outcome: 'skipped' });
      });

      it('in dry-run too: it does not say it would resolve the finding', async () => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        await run(input(incidentOf()));
        const result = await run({ ...releasedWith(RESPONDER_NAMES.releaseInstance, 'refused'), mode: 'dry-run' });
        expect(result.status).toBe('not-released');
        expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(1);
      });

      it.each([
        [RESPONDER_NAMES.releaseInstance, 'released'],
        [RESPONDER_NAMES.releaseInstance, 'claim-released'],
        [RESPONDER_NAMES.releaseInstance, 'already-released'],
        [RESPONDER_NAMES.releaseCredentials, 'released'],
        [RESPONDER_NAMES.releaseCredentials, 'claim-released'],
        [RESPONDER_NAMES.releaseCredentials, 'already-released'],
        [RESPONDER_NAMES.releaseS3Object, 'untagged'],
        [RESPONDER_NAMES.releaseS3Object, 'held'],
        [RESPONDER_NAMES.releaseS3Object, 'not-tagged'],
      ])('%s answering %s (the incident let go of its resource) still resolves it', async (responder, status) => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        await run(input(incidentOf()));
        expect((await run(releasedWith(responder, status))).status).toBe('updated');
      });

      it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('a result claiming responder %s is no release step: beside a release that released it resolves, alone it does not, and never throws', async (responder) => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        await run(input(incidentOf()));
        const claimed = releasedWith(responder, 'refused');
        expect((await run({ ...claimed, results: { ...claimed.results, really: { responder: RESPONDER_NAMES.releaseInstance, status: 'released' } } })).status).toBe('updated');
        expect((await run(claimed)).status).toBe('not-released');
      });

      // Row 13g: a write-back placed before the release step, beside it in a parallel group, or in a
      // playbook without one sees no release answer. The playbook schema refuses those layouts; the
      // responder withholds RESOLVED on its own, for any definition or input that gets past it.
      it.each([
        ['no results at all', {}],
        ['only the steps that are no release (an alert, a DNS unblock)', { alert: { responder: RESPONDER_NAMES.publishAlert, status: 'published' }, 'unblock-dns': { responder: RESPONDER_NAMES.unblockDnsDomains, status: 'unblocked' } }],
        ['a release result that names no responder', { release: { status: 'released' } }],
      ])('ATTACK (resolved-after-release): %s: no release answered, nothing sent', async (_label, results) => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        await run(input(incidentOf()));
        const result = await run({ ...release(releaseOf(incidentOf())), results });
        expect(result.status).toBe('not-released');
        expect(result.reason).toContain('no release step answered before the write-back');
        expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(1);
      });

      it("a NOTIFIED write-back is never held back by an earlier step's result", async () => {
        hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
        const result = await run(input(incidentOf(), { results: { contain: { responder: RESPONDER_NAMES.releaseInstance, status: 'refused' } } }));
        expect(result.status).toBe('updated');
      });
    });

    it("refuses a release naming another account than the recorded finding's", async () => {
      hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
      const contained = incidentOf();
      await run(input(contained));
      const result = await run(release(releaseOf(contained, '999988887777')));
      expect(result.status).toBe('refused');
      expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(1);
    });
  });

  it('on release sets RESOLVED and says released, by whom and why (their words neutralized)', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    const result = await run(
      input(
        incident,
        { execution: { ...EXECUTION, playbook: 'release-instance' }, request: { requestedBy: 'arn:aws:iam::111122223333:user/alice', reason: 'false positive\n[click](http://evil.example)' }, results: { release: { responder: RESPONDER_NAMES.releaseInstance, status: 'released' } } },
        'RESOLVED',
      ),
    );
    expect(result.status).toBe('updated');
    const sent = hubMock.commandCalls(BatchUpdateFindingsCommand)[0]!.args[0].input;
    expect(sent.Workflow).toEqual({ Status: 'RESOLVED' });
    expect(sent.Note?.Text).toContain(`Firebreak incident ${incident.key}: released by playbook release-instance, requested by arn:aws:iam::111122223333:user/alice (as the release's input claims, not verified).`);
    expect(sent.Note?.Text).not.toContain('Steps:');
    expect(sent.Note?.Text).not.toContain('\n');
    expect(sent.Note?.Text).not.toContain('](http');
  });

  // review-dnshub (row 13i): `requestedBy` is whatever the starter of the release execution wrote
  // (states:StartExecution takes any input; `firebreak approve` prints it as a claim since row 5s), yet
  // the note, signed by Firebreak in the finding's own record, stated it as the person who asked.
  it('ATTACK (review-dnshub): never states the release input\'s requestedBy as a fact in the finding\'s note (row 13i)', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    await run(
      input(
        incident,
        { execution: { ...EXECUTION, playbook: 'release-instance' }, request: { requestedBy: 'arn:aws:iam::111122223333:user/ciso', reason: 'approved by the CISO' }, results: { release: { responder: RESPONDER_NAMES.releaseInstance, status: 'released' } } },
        'RESOLVED',
      ),
    );
    const note = hubMock.commandCalls(BatchUpdateFindingsCommand)[0]!.args[0].input.Note?.Text ?? '';
    expect(note).not.toMatch(/requested by arn:aws:iam::111122223333:user\/ciso\./);
    expect(note).toContain("requested by arn:aws:iam::111122223333:user/ciso (as the release's input claims, not verified)");
  });

  it('keeps the note within 512 characters and the author within 128, whatever the steps and the reason', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const results = { ...Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`step-number-${i}`, { status: 'contained' }])), release: { responder: RESPONDER_NAMES.releaseInstance, status: 'released' } };
    await run(input(incidentOf(), { results, request: { requestedBy: 'x'.repeat(400), reason: 'y'.repeat(900) } }, 'RESOLVED'));
    const sent = hubMock.commandCalls(BatchUpdateFindingsCommand)[0]!.args[0].input;
    expect(Array.from(sent.Note!.Text!).length).toBeLessThanOrEqual(SECURITY_HUB_NOTE_LIMITS.text);
    expect(sent.Note!.UpdatedBy!.length).toBeLessThanOrEqual(SECURITY_HUB_NOTE_LIMITS.updatedBy);
  });

  it('sends nothing in dry-run (Security Hub has no DryRun) and says what it would have set', async () => {
    const result = await run(input(incidentOf(), {}, 'NOTIFIED', 'dry-run'));
    expect(result.status).toBe('dry-run');
    expect(result.workflowStatus).toBe('NOTIFIED');
    expect(result.note).toContain('handled by playbook');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    expect(targets).toEqual([]);
    expect(records.records.size).toBe(0);
    expect(result.actions.at(-1)?.detail).toMatch(/no DryRun, so nothing was sent/);
  });

  it('sends nothing when the deployment is dry-run, even when the input asks for enforce', async () => {
    const result = await run(input(incidentOf()), { ...ENV, FIREBREAK_MODE: 'dry-run' });
    expect(result.status).toBe('dry-run');
    expect(result.forcedDryRun?.requested).toBe('enforce');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });

  describe('refuses a finding that is not the incident\'s own, before any call', () => {
    const spoof = (arn: string) => {
      const event = rawEvent();
      event.detail.arn = arn;
      return incidentOf(event);
    };
    it.each([
      ['another account', FINDING_ARN.replace('444455556666', '999988887777'), /account 999988887777, not the incident's account 444455556666/],
      ['another region', FINDING_ARN.replace('guardduty:eu-west-1', 'guardduty:us-east-1'), /region us-east-1/],
      ['another finding', FINDING_ARN.replace(/finding\/[a-f0-9]+$/, 'finding/0000aaaa0000aaaa0000aaaa0000aaaa'), /finding 0000aaaa/],
      ['another detector', FINDING_ARN.replace(/detector\/[a-f0-9]+/, 'detector/ffffffffffffffffffffffffffffffff'), /detector ffff/],
      ['not a GuardDuty finding ARN', 'arn:aws:securityhub:eu-west-1:444455556666:hub/default', /is not a GuardDuty finding ARN/],
      ['an ARN with a path trick', `${FINDING_ARN}/../../finding/other`, /is not a GuardDuty finding ARN/],
    ])('%s', async (_label, arn, reason) => {
      const result = await run(input(spoof(arn)));
      expect(result.status).toBe('refused');
      expect(result.reason).toMatch(reason);
      expect(targets).toEqual([]);
      expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    });
  });

  it('sends nothing for an incident that is no GuardDuty finding (a Malware Protection for S3 scan result)', async () => {
    const scan = parseEvent(JSON.parse(readFileSync(new URL('../fixtures/events/guardduty-malware-protection-s3-hostile-key.json', import.meta.url), 'utf8')), { receivedAt: NOW });
    const result = await run(input(scan));
    expect(result.status).toBe('not-guardduty');
    expect(result.reason).toMatch(/scan result is an event, not a finding/);
    expect(targets).toEqual([]);
  });

  it('never writes back for a GuardDuty sample finding', async () => {
    const event = rawEvent();
    (event.detail.service as Record<string, unknown>).additionalInfo = { sample: true };
    const result = await run(input(incidentOf(event)));
    expect(result.status).toBe('skipped-sample');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });

  it('says, without failing, when Security Hub is not enabled there', async () => {
    hubMock.on(BatchUpdateFindingsCommand).rejects(sdkError('InvalidAccessException'));
    const result = await run(input(incidentOf()));
    expect(result.status).toBe('security-hub-off');
    expect(result.actions.at(-1)).toMatchObject({ api: 'securityhub:BatchUpdateFindings', outcome: 'skipped', detail: expect.stringMatching(/^Sent; Security Hub is not enabled/) });
  });

  it('signs its notes with the one author the IAM statement allows: Firebreak and the responder name', () => {
    expect(SECURITY_HUB_NOTE_AUTHOR).toBe(`Firebreak ${RESPONDER_NAMES.updateSecurityHubFinding}`);
  });

  it('says when Security Hub holds no copy of the finding (UnprocessedFindings FindingNotFound)', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves({
      ProcessedFindings: [],
      UnprocessedFindings: [{ FindingIdentifier: { Id: FINDING_ARN, ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty' }, ErrorCode: 'FindingNotFound', ErrorMessage: 'Finding Not Found' }],
    });
    const result = await run(input(incidentOf()));
    expect(result.status).toBe('not-found');
  });

  it('throws a transient error on a concurrent update, so the state machine retries', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves({
      UnprocessedFindings: [{ FindingIdentifier: { Id: FINDING_ARN, ProductArn: 'p' }, ErrorCode: 'ConcurrentUpdateError', ErrorMessage: 'Concurrent finding updates detected' }],
    });
    await expect(run(input(incidentOf()))).rejects.toBeInstanceOf(TransientResponderError);
  });

  // Review (sechub-review): BatchUpdateFindings answers 200 whether or not it updated the finding;
  // the answer's lists say which. Before: any 200 answer whose UnprocessedFindings was empty read
  // as `updated` (an empty answer, or one listing another finding as processed), and a finding left
  // unprocessed was logged as "nothing sent to Security Hub", though the call was made.
  describe('ATTACK: a 200 answer is an update only when Security Hub lists this finding as processed', () => {
    const OTHER = FINDING_ARN.replace(/finding\/\w+$/, 'finding/0000aaaa0000aaaa0000aaaa0000aaaa');
    it.each([
      ['neither processed nor unprocessed', { ProcessedFindings: [], UnprocessedFindings: [] }],
      ['an answer without either list', {}],
      ['another finding processed, this one not named', { ProcessedFindings: [{ Id: OTHER, ProductArn: GUARDDUTY_PRODUCT }], UnprocessedFindings: [] }],
      ['this Id processed under another product', { ProcessedFindings: [{ Id: FINDING_ARN, ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/inspector' }], UnprocessedFindings: [] }],
    ])('%s: unprocessed, never updated', async (_label, answer) => {
      hubMock.on(BatchUpdateFindingsCommand).resolves(answer);
      const result = await run(input(incidentOf()));
      expect(result.status).toBe('unprocessed');
      expect(result.reason).toMatch(/did not list the finding as processed/);
      expect(result.actions.map((a) => [a.api, a.outcome])).toEqual([
        ['firebreak:check-grant', 'observed'],
        ['securityhub:BatchUpdateFindings', 'skipped'],
      ]);
    });

    it('says the call was made, and what Security Hub answered, when it leaves the finding unprocessed', async () => {
      hubMock.on(BatchUpdateFindingsCommand).resolves({
        ProcessedFindings: [],
        UnprocessedFindings: [{ FindingIdentifier: { Id: FINDING_ARN, ProductArn: GUARDDUTY_PRODUCT }, ErrorCode: 'InvalidInput', ErrorMessage: 'Invalid Input' }],
      });
      const result = await run(input(incidentOf()));
      expect(result.status).toBe('unprocessed');
      const last = result.actions.at(-1)!;
      expect([last.api, last.outcome]).toEqual(['securityhub:BatchUpdateFindings', 'skipped']);
      expect(last.detail).toMatch(/InvalidInput/);
      expect(last.detail).not.toMatch(/nothing sent/);
    });
  });

  it('fails the step, named, when the member role may not update findings', async () => {
    hubMock.on(BatchUpdateFindingsCommand).rejects(sdkError('AccessDeniedException', 403));
    await expect(run(input(incidentOf()))).rejects.toMatchObject({ name: 'ResponderAccessDeniedError' });
  });
});

describe('updateSecurityHubFinding under the containment guard\'s grant', () => {
  const PRODUCT = 'arn:aws:securityhub:eu-west-1::product/aws/guardduty';
  const expectNothingSent = () => {
    expect(targets).toEqual([]);
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    expect(records.records.size).toBe(0);
  };

  it("refuses a direct invocation (no execution) naming another served account's finding, sending nothing (review 5)", async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const VICTIM_ID = '0123456789abcdef0123456789abcdef';
    const VICTIM_ACCOUNT = '777788889999';
    const event = rawEvent() as { account?: string; detail: Record<string, unknown> };
    event.account = VICTIM_ACCOUNT;
    event.detail.accountId = VICTIM_ACCOUNT;
    event.detail.id = VICTIM_ID;
    event.detail.arn = FINDING_ARN.replace('444455556666', VICTIM_ACCOUNT).replace(/finding\/[a-f0-9]+$/, `finding/${VICTIM_ID}`);
    const incident = incidentOf(event);
    const handler = createUpdateSecurityHubFindingHandler({
      clients,
      records,
      origins: confirmingOrigins,
      grants: new InMemoryGrantStore(),
      logger: silentLogger,
      environment: { FIREBREAK_MODE: 'enforce', FIREBREAK_SERVED_ACCOUNT_IDS: `111122223333,${VICTIM_ACCOUNT}` },
    });
    const result = await handler({ incident, mode: 'enforce', options: { workflowStatus: 'RESOLVED' }, results: {} });
    expect(result.status).toBe('refused');
    expect(result.reason).toMatch(/^Refused to set the Security Hub finding of incident gd-0123456789abcdef0123456789abcdef to RESOLVED: the input names no playbook execution/);
    expect(result.actions.map((a) => [a.api, a.outcome])).toEqual([['firebreak:check-grant', 'skipped']]);
    expectNothingSent();
  });

  it('refuses a forged execution (the guard wrote no grant for it)', async () => {
    const result = await run(input(incidentOf()), ENV, new InMemoryGrantStore());
    expect(result.status).toBe('refused');
    expect(result.reason).toMatch(/the containment guard wrote no grant for execution/);
    expectNothingSent();
  });

  it("refuses the real execution's grant with any other incident (the digest binds it whole: another finding ARN)", async () => {
    const granted = incidentOf();
    const event = rawEvent();
    event.detail.title = 'Same key, another finding';
    const result = await run(input(incidentOf(event)), ENV, granting(granted));
    expect(result.status).toBe('refused');
    expect(result.reason).toMatch(/is not the one execution .* was started with/);
    expectNothingSent();
  });

  it('refuses a status the grant does not allow: RESOLVED under a contain grant, NOTIFIED under a release grant', async () => {
    const incident = incidentOf();
    const resolved = await run(input(incident, {}, 'RESOLVED'), ENV, granting(incident, 'NOTIFIED'));
    const notified = await run(input(incident, {}, 'NOTIFIED'), ENV, granting(incident, 'RESOLVED'));
    expect([resolved.status, notified.status]).toEqual(['refused', 'refused']);
    expect(resolved.reason).toMatch(/allows contain, not release/);
    expectNothingSent();
  });

  it('waits for the approval when the grant does; acts once a person approved it', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    const grants = granting(incident, 'NOTIFIED', { status: 'awaiting-approval', approvalDeadline: new Date(NOW.getTime() + 3600_000).toISOString(), onTimeout: 'evidence-only' });
    const waiting = await run(input(incident), ENV, grants);
    expect(waiting.status).toBe('refused');
    expect(waiting.reason).toMatch(/waits for a person's approval/);
    expectNothingSent();
    grants.approvals.set(EXECUTION.executionArn, {
      pk: approvalKey(EXECUTION.executionArn),
      executionArn: EXECUTION.executionArn,
      incidentKey: incident.key,
      requestedAt: NOW.toISOString(),
      decision: 'approved',
      decidedBy: 'arn:aws:iam::111122223333:user/carol',
      decidedAt: NOW.toISOString(),
    });
    const approved = await run(input(incident), ENV, grants);
    expect(approved.status).toBe('updated');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input.FindingIdentifiers)).toEqual([[{ Id: FINDING_ARN, ProductArn: PRODUCT }]]);
  });

  it("acts under its execution's grant whatever its subject (an instance, the credentials, an object)", async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    const result = await run(input(incident), ENV, granting(incident, 'NOTIFIED', { instanceId: 'iam-credentials' }));
    expect(result.status).toBe('updated');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(1);
  });

  it('acts under an expired grant (it runs last, after the evidence waits; a replay can only repeat its own status)', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    const result = await run(input(incident), ENV, granting(incident, 'NOTIFIED', { expiresAt: Math.floor(NOW.getTime() / 1000) - 3600 }));
    expect(result.status).toBe('updated');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand).map((c) => [c.args[0].input.FindingIdentifiers, c.args[0].input.Workflow])).toEqual([
      [[{ Id: FINDING_ARN, ProductArn: PRODUCT }], { Status: 'NOTIFIED' }],
    ]);
  });

  // The README listed this replay as open (session 22): it is refused by the grant check's own read
  // of the execution (DescribeExecution, grants.ts checkContainmentGrant), which every step under a
  // grant makes: a NOTIFIED replayed once the playbook ended, before the TTL deletes its grant.
  it('ATTACK: refuses a NOTIFIED write-back replayed under an expired grant once its execution ended (a finding reopened since stays open)', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    const grants = granting(incident, 'NOTIFIED', { expiresAt: Math.floor(NOW.getTime() / 1000) - 3600 });
    grants.executions.set(EXECUTION.executionArn, 'SUCCEEDED');
    const result = await run(input(incident), ENV, grants);
    expect(result).toMatchObject({ status: 'refused', reason: expect.stringContaining('SUCCEEDED, not RUNNING') });
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });

  // Review (sechub-review): the grant stays in the table until DynamoDB's TTL deletes it, days
  // after it expired. Before, anyone with lambda:InvokeFunction could replay the release's
  // write-back in that time and set RESOLVED again on a finding a person (or GuardDuty's new
  // activity) had reopened since, hiding it, with Firebreak's note replacing the person's.
  it("ATTACK: refuses a release's write-back under an expired grant (a replay would resolve again a finding reopened since)", async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    await run(input(incident));
    hubMock.resetHistory();
    const release = input(incident, { execution: { ...EXECUTION, playbook: 'release-instance' }, request: { requestedBy: 'arn:aws:iam::111122223333:user/alice', reason: null }, results: {} }, 'RESOLVED');
    const result = await run(
      release,
      ENV,
      granting(incident, 'RESOLVED', { expiresAt: Math.floor(NOW.getTime() / 1000) - 3600, playbook: 'release-instance', requestDigest: requestDigest(release.request!) }),
    );
    expect(result.status).toBe('refused');
    expect(result.reason).toMatch(/expired/);
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });

  it('stays dry-run under a dry-run grant, even when its input and the deployment say enforce', async () => {
    const incident = incidentOf();
    const result = await run(input(incident), ENV, granting(incident, 'NOTIFIED', { mode: 'dry-run' }));
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce' } });
    expectNothingSent();
  });
});

describe('updateSecurityHubFinding under the emergency pause', () => {
  it('clears NOTIFIED in dry-run only under an enforce grant written before the pause: nothing sent (review-pause: a direct replay tried, held)', async () => {
    const incident = incidentOf();
    const result = await run(input(incident), ENV, paused(granting(incident, 'NOTIFIED')));
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('Firebreak is PAUSED') } });
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });
});

describe('updateSecurityHubFinding in a game day', () => {
  /** The same GuardDuty event put on the game-day bus: its finding id, detector and ARN are the real finding's. */
  const drillOf = (): Incident => {
    const event = rawEvent() as { detail: Record<string, unknown>; source?: string };
    event.source = 'firebreak.gameday';
    return incidentOf(event as { detail: Record<string, unknown> });
  };

  it("ATTACK: a drill naming a production finding's ARN never writes back to it (NOTIFIED would take it off the triage queue)", async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const drill = drillOf();
    expect(drill.key.startsWith('gameday-')).toBe(true);
    expect(drill.guardDuty?.arn).toBe(FINDING_ARN);
    // The guard cleared it: the drill's instance opted in to game days.
    const result = await run(input(drill));
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', workflowStatus: 'NOTIFIED', forcedDryRun: { requested: 'enforce' } });
    expect(result.forcedDryRun?.reason).toMatch(/game-day incident: a drill.s finding is never GuardDuty.s/);
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    expect(targets).toEqual([]);
    expect(records.records.size).toBe(0);
  });

  it("ATTACK: a drill's release never resolves the finding recorded for it, even a real finding's ARN", async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const drill = drillOf();
    // A record under the drill's key naming the real finding (written before this rail, or into the table).
    records.records.set(drill.key, { incidentKey: drill.key, id: FINDING_ARN, productArn: GUARDDUTY_PRODUCT, account: drill.account, region: drill.region, recordedAt: NOW.toISOString() });
    const release: Incident = {
      key: drill.key,
      revision: 'release-i-0123-20260319T120000Z',
      source: 'firebreak',
      findingType: 'Firebreak:Release/Instance',
      title: 'Release',
      severity: { score: 0, label: 'Informational' },
      account: drill.account,
      region: drill.region,
      resource: { kind: 'ec2-instance', instanceId: 'i-0123456789abcdef0', networkInterfaces: [], tags: {} },
      sample: false,
      // The release's input says nothing of the game day; its key does.
      gameDay: false,
      times: { created: NOW.toISOString(), updated: NOW.toISOString(), received: NOW.toISOString() },
    };
    const result = await run(
      input(release, { execution: { ...EXECUTION, playbook: 'release-instance' }, request: { requestedBy: 'arn:aws:iam::111122223333:user/alice', reason: null }, results: { release: { responder: RESPONDER_NAMES.releaseInstance, status: 'released' } } }, 'RESOLVED'),
    );
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', workflowStatus: 'RESOLVED' });
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    expect(targets).toEqual([]);
  });

  it('ATTACK: a drill the guard cleared as one (its grant says game day) writes nothing back, whatever the incident claims', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    const result = await run(input(incident), ENV, granting(incident, 'NOTIFIED', { gameDay: true }));
    expect(result.status).toBe('dry-run');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
  });

  it('writes back for the real finding all the same (not a drill)', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const result = await run(input(incidentOf()));
    expect(result.status).toBe('updated');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(1);
  });
});

describe('parseUpdateSecurityHubFindingInput', () => {
  it('reads the earlier steps\' results beside the strict responder envelope, and refuses an unknown option', () => {
    const incident = incidentOf();
    const parsed = parseUpdateSecurityHubFindingInput({ incident, mode: 'enforce', options: {}, results: { contain: { status: 'contained', extra: 1 }, Guard: null } });
    expect(parsed.options.workflowStatus).toBe('NOTIFIED');
    expect(parsed.results.contain?.status).toBe('contained');
    expect(() => parseUpdateSecurityHubFindingInput({ incident, mode: 'enforce', options: { workflowStatus: 'SUPPRESSED' } })).toThrow(/workflowStatus/);
  });

  it('runs through the responder runtime (the Lambda handler) with the payload a compiled playbook sends', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    const handler = createUpdateSecurityHubFindingHandler({
      clients,
      records,
      origins: confirmingOrigins,
      grants: granting(incident),
      logger: silentLogger,
      environment: { ...ENV, ...playbookStepsEnvironment({ workflowStatus: 'NOTIFIED' }) },
      now: () => NOW,
    });
    const result = await handler({ incident, mode: 'enforce', options: { workflowStatus: 'NOTIFIED' }, execution: EXECUTION, results: { alert: { status: 'published' } } });
    expect(result.status).toBe('updated');
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)[0]!.args[0].input.Note?.Text).toContain(`what each step did: firebreak incident ${incident.key}.`);
  });

  // Review of session 15: the note was built from input fields no grant binds (the playbook name,
  // the execution name, the earlier steps' statuses), so a direct invocation under a days-old grant
  // wrote any story into the finding under Firebreak's name.
  it('ATTACK: writes into the note only what the grant binds, whatever the input claims', async () => {
    hubMock.on(BatchUpdateFindingsCommand).resolves(PROCESSED);
    const incident = incidentOf();
    const forged = input(incident, {
      execution: { ...EXECUTION, executionName: 'closed-by-secops', playbook: 'FALSE POSITIVE confirmed by SecOps, do not escalate' },
      results: { 'quarantine-instance': { status: 'contained' } },
    });
    // The deployment as it is (compromised-ec2-instance has this step), and a grant three days old.
    const result = await updateSecurityHubFinding(forged, {
      clients,
      records,
      origins: confirmingOrigins,
      grants: granting(incident, 'NOTIFIED', { grantedAt: new Date(NOW.getTime() - 3 * 86_400_000).toISOString() }),
      logger: silentLogger,
      environment: { ...ENV, ...playbookStepsEnvironment(forged.options) },
      now: () => NOW,
    });
    expect(result.status).toBe('updated');
    const text = hubMock.commandCalls(BatchUpdateFindingsCommand)[0]!.args[0].input.Note?.Text ?? '';
    expect(text).toBe(`Firebreak incident ${incident.key}: handled by playbook compromised-ec2-instance (enforce). Execution gd-8b2e6d4f; what each step did: firebreak incident ${incident.key}.`);
    for (const claim of ['FALSE POSITIVE', 'closed-by-secops', 'contained']) expect(text).not.toContain(claim);
  });
});
