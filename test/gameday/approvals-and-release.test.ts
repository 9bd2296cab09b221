/**
 * Issue 8, end to end in the local game day: approvals go through the approval function with the
 * approver's identity recorded; a release restores only a sealed, unchanged record; an instance's
 * own session cannot approve; a tampered record is refused and nothing changes.
 */
import { resolve } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { definitionsFor } from '../../lib/gameday/definitions';
import type { ApprovalDecision, ApprovalDesk } from '../../lib/gameday/engine';
import { LocalEngine, gameDayApproverArn } from '../../lib/gameday/engine';
import { LocalBackend } from '../../lib/gameday/local-backend';
import { environmentSchema, settingsSchema } from '../../lib/gameday/scenario';
import { aimEventAt, loadTemplate } from '../../lib/gameday/templates';
import type { Playbook } from '../../lib/playbooks/model';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import { RELEASE_PLAYBOOK, buildReleaseRequest } from '../../lib/operator/release/request';
import { approvalRecordKey } from '../../lib/responders/approval-records';
import { quarantineRecordKey } from '../../lib/responders/quarantine-records';
import type { SynthesizedDefinitions } from '../../lib/stack/app';

const ROOT = resolve(import.meta.dirname, '../..');
const settings = settingsSchema.parse({});
let playbooks: Playbook[];
let definitions: SynthesizedDefinitions;

beforeAll(async () => {
  playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
  definitions = await definitionsFor(settings, playbooks);
});

/** Quarantines a web server, then asks for its release; `answer` decides the release's approval, `finding` shapes the GuardDuty event. */
async function quarantineThenRelease(
  answer: (instanceId: string) => ApprovalDecision,
  beforeRelease?: (backend: LocalBackend, instanceId: string) => Promise<void>,
  finding: (event: ReturnType<typeof aimEventAt>) => ReturnType<typeof aimEventAt> = (event) => event,
) {
  const backend = new LocalBackend({ seed: 'approvals-test' });
  const environment = await backend.prepare(
    environmentSchema.parse({
      securityGroups: { 'web-tier': {}, admin: {} },
      instances: { web: { enis: [{ groups: ['web-tier'] }], instanceProfile: 'web-app-profile' } },
    }),
    settings,
  );
  const web = environment.instances.web!;
  const desk: ApprovalDesk = () => answer(web.instanceId);
  const engine = new LocalEngine({ backend, definitions, environment, settings, approvals: desk });
  await engine.deliver(finding(aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), web)));
  await engine.settle();
  await beforeRelease?.(backend, web.instanceId);
  const before = backend.sim.instance(web.instanceId);
  const tags = backend.sim.tagsOf(web.instanceId) ?? {};
  const request = buildReleaseRequest({
    instanceId: web.instanceId,
    account: web.account,
    region: web.region,
    incidentKey: tags['firebreak:incident'] ?? 'unknown',
    mode: 'enforce',
    requestedBy: 'arn:aws:sts::111122223333:assumed-role/someone/mallory',
    at: backend.now(),
    tags,
  });
  const release = engine.start(engine.stateMachineArnOf(RELEASE_PLAYBOOK)!, request.executionName, request.input);
  await release.done;
  await engine.settle();
  const table = environment.deployment.stateTableName;
  const dynamodb = backend.clients('inspector').dynamodb();
  const item = async (pk: string) => (await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }))).Item;
  return { backend, web, before, release, approval: await item(approvalRecordKey(release.executionArn)), record: await item(quarantineRecordKey(web.account, web.region, web.instanceId)) };
}

/** Changes the sealed record in the table (an added admin group, another profile), as a writer of the state table could. */
async function tamperWithRecord(backend: LocalBackend, instanceId: string): Promise<void> {
  const dynamodb = backend.clients('attacker').dynamodb();
  const key = { pk: { S: quarantineRecordKey('111122223333', 'eu-west-1', instanceId) } };
  const item = (await dynamodb.send(new GetItemCommand({ TableName: 'firebreak-state', Key: key }))).Item!;
  const record = JSON.parse(item.record!.S!) as { networkInterfaces: { groupIds: string[] }[]; instanceProfileArn?: string };
  record.networkInterfaces[0]!.groupIds.push(backend.sim.instance(instanceId)!.networkInterfaces[0]!.groupIds[0]!);
  record.instanceProfileArn = 'arn:aws:iam::111122223333:instance-profile/Administrator';
  await dynamodb.send(new PutItemCommand({ TableName: 'firebreak-state', Item: { ...item, record: { S: JSON.stringify(record) } } }));
}

const releaseResultOf = (release: { tasks: readonly { responder?: string; result?: unknown }[] }) =>
  (release.tasks.find((task) => task.responder === 'release-instance')?.result as { Payload?: { status?: string; refusal?: string; releasedBy?: string } } | undefined)?.Payload;

describe('approvals in the local game day (issue 8)', () => {
  it('releases through the approval function and records the approver, as AWS would authenticate them, as the releaser', async () => {
    const { release, approval, record, backend, web } = await quarantineThenRelease(() => ({ answer: 'approve', by: 'carol' }));
    const carol = gameDayApproverArn('carol', '111122223333');
    expect(release.status).toBe('SUCCEEDED');
    expect(releaseResultOf(release)).toMatchObject({ status: 'released', releasedBy: carol });
    expect(approval).toMatchObject({ decision: { S: 'approved' }, decidedBy: { S: carol } });
    expect(record).toMatchObject({ released: { BOOL: true }, releasedBy: { S: carol }, releaseRequestedBy: { S: 'arn:aws:sts::111122223333:assumed-role/someone/mallory' } });
    expect(backend.sim.instance(web.instanceId)?.instanceProfileArn).toBeDefined();
  });

  it('keeps the task token out of every alert: they name the execution and the firebreak approve command', async () => {
    const { backend, release } = await quarantineThenRelease(() => ({ answer: 'approve', by: 'carol' }));
    const request = backend.sim.publishedMessages().find((message) => message.subject?.startsWith('[APPROVAL NEEDED'));
    expect(request?.message).toContain(`npx firebreak approve --execution '${release.executionArn}'`);
    // The local engine's task tokens end in the base64url of the execution ARN.
    const tokenTail = Buffer.from(release.executionArn).toString('base64url');
    for (const message of backend.sim.publishedMessages()) {
      expect(message.message).not.toContain(tokenTail);
      expect(message.message).not.toMatch(/task-token|--token/);
    }
  });

  it('renders every alert of the incident for chat in one thread: the custom-notification JSON, the incident key as thread id (issue 13)', async () => {
    const { backend } = await quarantineThenRelease(() => ({ answer: 'approve', by: 'carol' }));
    const published = backend.sim.publishedMessages();
    // The quarantine tagged the instance with its incident key; the release took the tag back, the attribute stays.
    const incidentKey = published[0]?.messageAttributes.incident_key?.value;
    expect(incidentKey).toMatch(/^gd-[0-9a-f]+$/);
    // The report of the quarantine, the release's approval request and the release's report.
    expect(published.length).toBeGreaterThanOrEqual(3);
    for (const message of published) {
      expect(message.structure).toBe('json');
      const entries = JSON.parse(message.message) as Record<string, string>;
      expect(Object.keys(entries).sort()).toEqual(['default', 'email', 'https', 'sms']);
      const chat = JSON.parse(entries.https!) as { version: string; source: string; content: { title: string; description: string; nextSteps: string[] }; metadata: { threadId?: string } };
      expect(chat).toMatchObject({ version: '1.0', source: 'custom', metadata: { threadId: incidentKey } });
      expect(chat.content.title).toBe(message.subject);
      expect(chat.content.nextSteps.length).toBeGreaterThan(0);
      expect(entries.email!.startsWith(`Incident ${incidentKey} `)).toBe(true);
    }
    // What the game day's SQS feed (and any SQS or Lambda subscriber) reads is the plain text.
    const alerts = (await backend.inspect()).alerts;
    expect(alerts.map((alert) => alert.message)).toEqual(published.map((message) => (JSON.parse(message.message) as { default: string }).default));
  });

  it("refuses the instance's own role session as approver: nothing is released, the request times out", async () => {
    const { release, approval, backend, web, before } = await quarantineThenRelease((instanceId) => ({
      answer: 'approve',
      by: `arn:aws:sts::111122223333:assumed-role/web-app-role/${instanceId}`,
    }));
    const wait = release.tasks.find((task) => task.state === 'WaitForApproval');
    expect(wait?.approvalResponse).toMatchObject({ statusCode: 403, outcome: 'refused', message: expect.stringContaining('session of the instance') });
    expect(approval).not.toHaveProperty('decision');
    expect(releaseResultOf(release)).toBeUndefined();
    expect(backend.sim.instance(web.instanceId)).toEqual(before);
  });

  it('refuses a release from a record changed in the table (an added admin group, another profile), even when approved: nothing changes', async () => {
    const { release, backend, web, before } = await quarantineThenRelease(() => ({ answer: 'approve', by: 'carol' }), tamperWithRecord);
    expect(release.status).toBe('SUCCEEDED');
    expect(releaseResultOf(release)).toMatchObject({ status: 'refused', refusal: expect.stringContaining('integrity check') });
    expect(backend.sim.instance(web.instanceId)).toEqual(before);
    const alert = backend.sim.publishedMessages().at(-1);
    expect(alert?.message).toMatch(/refused/i);
  });

  it('keeps the C2 domain blocked for the VPC when the release is refused for a tampered record, and the alert says so', async () => {
    const domain = 'c2.evil-domain.example.com';
    const { release, backend, web } = await quarantineThenRelease(() => ({ answer: 'approve', by: 'carol' }), tamperWithRecord, (event) => {
      const detail = (event as { detail: { type: string; service: { action: Record<string, unknown> } } }).detail;
      detail.type = 'Backdoor:EC2/C&CActivity.B!DNS';
      detail.service.action = { actionType: 'DNS_REQUEST', dnsRequestAction: { domain } };
      return event;
    });
    expect(releaseResultOf(release)).toMatchObject({ status: 'refused' });
    const unblock = (release.tasks.find((task) => task.responder === 'unblock-dns-domains')?.result as { Payload?: { status?: string; refusal?: string } } | undefined)?.Payload;
    expect(unblock).toMatchObject({ status: 'refused', refusal: expect.stringContaining(`${web.instanceId} is not released`) });
    expect((await backend.inspect()).dnsFirewall).toEqual({ domains: [domain], vpcIds: [web.vpcId] });
    const report = JSON.parse(backend.sim.publishedMessages().at(-1)!.message) as { default: string };
    expect(report.default).toContain('the DNS blocks stay');
  });
});
