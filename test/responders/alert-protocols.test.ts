import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupReason, parseAlertInput, publishAlert } from '../../lib/responders/alert';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { CHAT_LIMITS, MAX_SMS_CHARACTERS, chatNotification, protocolMessages, structuredMessage } from '../../lib/responders/alert-protocols';
import { silentLogger } from '../../lib/responders/logging';
import { ResponderAccessDeniedError } from '../../lib/contracts/responder-errors';
import { INSTANCE_ID, ec2Incident, ec2Resource } from '../support/incidents';

const NOW = new Date('2026-11-20T10:03:00.000Z');
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:999988887777:firebreak-alerts';
const BACKUP_ARN = 'arn:aws:sns:eu-west-1:999988887777:firebreak-operations';
const KEY = 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d';

const report = (overrides: Record<string, unknown> = {}) =>
  parseAlertInput({
    kind: 'report',
    incident: ec2Incident(),
    mode: 'enforce',
    playbook: 'compromised-ec2',
    execution: { executionArn: 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2:gd-7ab9' },
    options: { advice: 'Rotate the credentials the instance held.' },
    results: {
      contain: {
        responder: 'quarantine-instance',
        status: 'quarantined',
        actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0aaa1111bbbb2222c', outcome: 'done', detail: 'Isolated.', at: NOW.toISOString() }],
      },
    },
    ...overrides,
  });

describe('protocolMessages', () => {
  it('keeps the plain text as default, puts the incident key first in e-mail and sends chat its custom-notification JSON', () => {
    const input = report();
    const alert = buildAlertMessage(input, { now: NOW });
    const messages = protocolMessages(input, alert);

    expect(messages.default).toBe(alert.message);
    expect(messages.email.split('\n')[0]).toBe(`Incident ${KEY} (every alert of this incident carries this key)`);
    expect(messages.email.endsWith(alert.message)).toBe(true);
    const chat = JSON.parse(messages.https) as ReturnType<typeof chatNotification>;
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: alert.subject, keywords: ['High', 'Backdoor:EC2/C&CActivity.B!DNS', '111122223333'] },
      metadata: {
        threadId: KEY,
        summary: alert.subject,
        eventType: 'firebreak.report',
        relatedResources: ['i-0abc1234def567890', '7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d', 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2:gd-7ab9'],
        additionalContext: { incidentKey: KEY, account: '111122223333', region: 'eu-west-1', playbook: 'compromised-ec2', mode: 'enforce', kind: 'report' },
      },
    });
    expect(chat.content.nextSteps[0]).toBe('Rotate the credentials the instance held.');
    expect(chat.content.description).toContain('WHAT FIREBREAK DID');
    expect(chat.content.description).toContain('*Links*\nGuardDuty finding: https://eu-west-1.console.aws.amazon.com/guardduty/');
    // Next steps, links and the alert's own metadata are not repeated in the description.
    expect(chat.content.description).not.toContain('WHAT TO DO NEXT');
    expect(chat.content.description).not.toContain('ABOUT THIS ALERT');
  });

  it('gives every alert of one incident the same thread id, and an alert without an incident none', () => {
    const request = report({ kind: 'approval-request', approval: { taskToken: 't', waitingSteps: ['contain'], timeoutSeconds: 3600 } });
    const failure = report({ kind: 'failure', failure: { step: 'contain', error: 'ResponderFailedError' } });
    const threads = [report(), request, failure].map((input) => chatNotification(input, buildAlertMessage(input, { now: NOW })).metadata.threadId);
    expect(threads).toEqual([KEY, KEY, KEY]);

    const invalid = parseAlertInput({ kind: 'invalid-event', rawEvent: { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding' }, reason: 'detail: required' });
    const chat = chatNotification(invalid, buildAlertMessage(invalid, { now: NOW }));
    expect(chat.metadata.threadId).toBeUndefined();
    expect(chat.metadata.eventType).toBe('firebreak.invalid-event');
  });

  it('keeps finding text inert in chat: no channel-wide mention, no live link, no markup', () => {
    const input = report({ incident: ec2Incident({ title: '<!channel> @here see <https://evil.example.com|the fix> [x](https://evil.example.com)' }) });
    const chat = chatNotification(input, buildAlertMessage(input, { now: NOW }));
    const text = JSON.stringify(chat.content);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('@here');
    expect(text).not.toContain('https://evil');
    expect(text).not.toContain('](');
  });

  // Before: the description kept the message's order, the finding's story (WHAT WAS FOUND, ON WHAT…)
  // before what Firebreak did and did not do, and was cut at 3,500 characters. Whoever may tag the
  // instance (its own role often may: ec2:CreateTags) filled the cut with tags, and chat readers never
  // read that the instance was NOT isolated, nor what Firebreak did (a Medium incident has no next step
  // saying so either).
  it('ATTACK (review-alerts): the instance\'s tags cannot push what Firebreak did and did not do out of the chat description', () => {
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`team-${i}`.padEnd(120, 'x'), 'v'.repeat(250)]));
    const incident = ec2Incident({ severity: { score: 5, label: 'Medium' }, resource: ec2Resource({ tags }) });
    const snapshotted = { responder: 'snapshot-volumes', status: 'snapshotted', actions: [{ api: 'ec2:CreateSnapshots', target: 'vol-0root000000000001', outcome: 'done', detail: 'Started snap-0000000000000000a.', at: NOW.toISOString() }] };
    const input = report({ incident, playbook: 'notify-and-snapshot', results: { evidence: snapshotted } });
    const alert = buildAlertMessage(input, { now: NOW });
    const { description } = chatNotification(input, alert).content;
    expect(alert.message).toContain(`Instance ${INSTANCE_ID} was NOT isolated (no containment step ran).`);
    expect(description).toContain(`Instance ${INSTANCE_ID} was NOT isolated (no containment step ran).`);
    expect(description).toContain('[evidence] done: ec2:CreateSnapshots on vol-0root000000000001: Started snap-0000000000000000a.');
    // Firebreak's account comes before the finding's story, which is cut.
    expect(description.indexOf('WHAT FIREBREAK DID NOT DO')).toBeLessThan(description.indexOf('WHAT WAS FOUND'));
    expect(description).toContain('(cut here: the e-mail alert and the execution history have the rest)');
    expect(description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
  });

  // review-5q: the chat ranks built sections by their heading; finding text that reads as one does not become one.
  it('tried (review-5q): a title, description and tags written as headings (WHAT FIREBREAK DID NOT DO, LINKS) are neither moved first nor hidden', () => {
    const fake = 'x\n\nWHAT FIREBREAK DID NOT DO\nNothing: all clear.\n\nLINKS\nABOUT THIS ALERT\nWHAT FIREBREAK DID (playbook compromised-ec2)';
    const incident = ec2Incident({ title: `WHAT FIREBREAK DID NOT DO ${fake}`, description: fake, resource: ec2Resource({ tags: { 'WHAT FIREBREAK DID NOT DO': 'LINKS', LINKS: fake } }) });
    const input = report({ incident });
    const alert = buildAlertMessage(input, { now: NOW });
    const { description } = chatNotification(input, alert).content;
    // Only the built sections start a line with a heading; the finding's lines are indented or inside quotes.
    const headings = description.split('\n').filter((line) => /^[A-Z][A-Z ]+[A-Z]( \(|$)/.test(line));
    expect(headings.filter((line) => line.startsWith('WHAT FIREBREAK DID NOT DO'))).toHaveLength(1);
    expect(headings).not.toContain('LINKS');
    expect(headings).not.toContain('ABOUT THIS ALERT');
    expect(description.indexOf('\nWHAT FIREBREAK DID NOT DO\n')).toBeLessThan(description.indexOf('WHAT WAS FOUND'));
    expect(description).toContain('WHAT WAS FOUND');
    expect(description).toContain('Nothing: all clear.');
  });

  it('tried (review-5q): a title with IDNA dots and fullwidth letters gives no live host name in the subject (chat title) or SMS', () => {
    for (const title of ['go to evil\u3002com now', 'go to www\uFF0Eevil\uFF0Ehorse now', 'go to \uFF45\uFF56\uFF49\uFF4C\uFF0E\uFF43\uFF4F\uFF4D now']) {
      const input = report({ incident: ec2Incident({ title }) });
      const alert = buildAlertMessage(input, { now: NOW });
      const { sms } = protocolMessages(input, alert);
      for (const text of [alert.subject, sms, chatNotification(input, alert).content.title]) {
        expect(text).not.toMatch(/(?:evil|www)[.\u3002\uFF0E\uFF61](?:com|evil)/i);
      }
    }
  });

  it('cuts a long alert for chat at a line, keeps its links whole, and stays within the caps', () => {
    const actions = Array.from({ length: 60 }, (_, i) => ({ api: 'ec2:CreateTags', target: `i-0abc1234def56789${String(i).padStart(1, '0')}`, outcome: 'done', detail: 'x'.repeat(300) }));
    const input = report({ results: { contain: { responder: 'quarantine-instance', status: 'quarantined', actions } } });
    const chat = chatNotification(input, buildAlertMessage(input, { now: NOW }));
    expect(chat.content.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
    expect(chat.content.description).toContain('(cut here: the e-mail alert and the execution history have the rest)');
    expect(chat.content.description).toMatch(/\*Links\*\nGuardDuty finding: https:\/\/\S+\nEC2 instance: https:\/\/\S+\nStep Functions execution: https:\/\/\S+$/);
    expect(chat.content.nextSteps.length).toBeLessThanOrEqual(CHAT_LIMITS.nextSteps);
  });

  it('sends SMS one short line naming the incident key', () => {
    const input = report();
    const sms = protocolMessages(input, buildAlertMessage(input, { now: NOW })).sms;
    expect(sms.length).toBeLessThanOrEqual(MAX_SMS_CHARACTERS);
    expect(sms).not.toContain('\n');
    expect(sms).toMatch(/^Firebreak High: Backdoor:EC2\/C&CActivity\.B!DNS on i-0abc1234def567890/);
    expect(sms).toContain(`(incident ${KEY})`);
  });

  it('stays within SNS 256 KiB for the largest alert the builder makes', () => {
    const actions = Array.from({ length: 2000 }, (_, i) => ({ api: 'ec2:CreateTags', target: `target-${i}`, outcome: 'done', detail: '"\n'.repeat(200) }));
    const input = report({ incident: ec2Incident({ description: '"\\'.repeat(5000) }), results: { contain: { responder: 'quarantine-instance', status: 'quarantined', actions } } });
    const message = structuredMessage(input, buildAlertMessage(input, { now: NOW }));
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThan(256 * 1024);
    expect(JSON.parse(message)).toHaveProperty('default');
  });
});

describe('the largest alert an attacker can write', () => {
  // Held: JSON doubles a backslash, and the chat entry is JSON inside JSON (four bytes a backslash), so
  // text of backslashes is what grows the publish most. Every field an attacker writes is capped (the
  // parser's budgets, the alert's caps per line and section), and the whole stays far below SNS's
  // 256 KiB: an alert too large to publish would be lost with its failure alert, which repeats it.
  it('tried (review-alerts): backslashes and quotes in the title, description, every tag and every network interface stay within SNS 256 KiB', () => {
    const filler = '\\"'.repeat(600);
    const tags = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`${i}${filler}`.slice(0, 128), filler.slice(0, 256)]));
    const base = ec2Resource();
    const interfaces = Array.from({ length: 64 }, () => ({ ...base.networkInterfaces[0]!, securityGroups: Array.from({ length: 16 }, (_, i) => ({ groupId: `sg-0${i}`, groupName: filler.slice(0, 255) })) }));
    const incident = ec2Incident({ title: filler, description: filler.repeat(8), resource: ec2Resource({ tags, networkInterfaces: interfaces }) });
    const actions = Array.from({ length: 200 }, (_, i) => ({ api: 'ec2:CreateTags', target: `${i}${filler}`, outcome: i % 2 === 0 ? 'done' : 'skipped', detail: filler }));
    const input = report({ incident, failure: { step: 'contain', error: filler, cause: filler.repeat(10) }, kind: 'failure', results: { contain: { responder: 'quarantine-instance', status: filler, actions } } });
    const message = structuredMessage(input, buildAlertMessage(input, { now: NOW }));
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThan(200 * 1024);
  });
});

describe('publishAlert: the backup channel', () => {
  const snsMock = mockClient(SNSClient);
  const client = new SNSClient({ region: 'eu-west-1' });
  const deps = (backup: boolean) => ({
    clients: { sns: () => client },
    logger: silentLogger,
    topicArn: TOPIC_ARN,
    ...(backup ? { backupTopicArn: BACKUP_ARN } : {}),
    now: () => NOW,
  });
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  });
  afterEach(() => snsMock.reset());

  it('sends a Critical incident to both topics, the same per-protocol message each', async () => {
    const input = report({ incident: ec2Incident({ severity: { score: 9.5, label: 'Critical' } }) });
    const result = await publishAlert(input, deps(true));
    const calls = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(calls.map((call) => call.TopicArn)).toEqual([TOPIC_ARN, BACKUP_ARN]);
    expect(calls[1]).toEqual({ ...calls[0], TopicArn: BACKUP_ARN });
    expect(result.backup).toEqual({ reason: 'a Critical incident', status: 'published', messageId: 'msg-1' });
  });

  it('keeps a High incident on the alert topic only', async () => {
    const result = await publishAlert(report(), deps(true));
    expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.TopicArn)).toEqual([TOPIC_ARN]);
    expect(result.backup).toBeUndefined();
  });

  it('sends failures and unreadable events to the backup too, and nothing when the deployment has no backup', async () => {
    expect(backupReason(report({ kind: 'failure', failure: { step: 'contain', error: 'ResponderFailedError' } }))).toBe('a playbook or dispatch step failed');
    expect(backupReason(parseAlertInput({ kind: 'invalid-event', rawEvent: {} }))).toBe('an event could not be read');
    expect(backupReason(report())).toBeUndefined();

    await publishAlert(report({ kind: 'failure', failure: { step: 'contain', error: 'ResponderFailedError' } }), deps(false));
    expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.TopicArn)).toEqual([TOPIC_ARN]);
  });

  it("keeps a group's summary on the alert topic: the failed branch's own failure alert already reached the backup, so it hears of a failure once", async () => {
    const summary = report({
      kind: 'failure',
      failure: { step: 'preserve-evidence', error: 'ResponderFailedError' },
      group: { id: 'contain-and-preserve', failedStep: 'preserve-evidence', steps: { contain: { result: { status: 'quarantined' } }, 'preserve-evidence': { failure: { Error: 'ResponderFailedError' } } } },
    });
    expect(backupReason(summary)).toBeUndefined();
    await publishAlert(summary, deps(true));
    expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.TopicArn)).toEqual([TOPIC_ARN]);
    // A Critical incident's summary still goes there, as every alert of a Critical incident does.
    const critical = { ...summary, incident: { ...summary.incident!, severity: { ...summary.incident!.severity, label: 'Critical' as const } } };
    expect(backupReason(critical)).toBe('a Critical incident');
  });

  it('tells the backup channel when the alert topic refuses an alert, then fails the step', async () => {
    snsMock.on(PublishCommand, { TopicArn: TOPIC_ARN }).rejects(Object.assign(new Error('denied'), { name: 'KMSAccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    await expect(publishAlert(report(), deps(true))).rejects.toBeInstanceOf(ResponderAccessDeniedError);
    const calls = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(calls.map((call) => call.TopicArn)).toEqual([TOPIC_ARN, BACKUP_ARN]);
    expect(calls[1]!.Subject).toMatch(/^\[ALERT CHANNEL FAILED\] High: Backdoor/);
    expect(calls[1]!.Subject!.length).toBeLessThanOrEqual(100);
    // The whole backup input: the backup topic, the marked subject (cut to SNS's 100 characters), the
    // per-protocol message made over that subject, and the alert's own attributes.
    const subject = '[ALERT CHANNEL FAILED] High: Backdoor:EC2/C&CActivity.B!DNS on i-0abc1234def567890 - EC2 instance...';
    const alert = buildAlertMessage(report(), { now: NOW });
    expect(calls[1]).toEqual({
      TopicArn: BACKUP_ARN,
      Subject: subject,
      Message: structuredMessage(report(), { ...alert, subject }),
      MessageStructure: 'json',
      MessageAttributes: calls[0]!.MessageAttributes,
    });
    expect(Object.keys(calls[1]!.MessageAttributes ?? {}).length).toBeGreaterThan(0);
    expect(JSON.parse(calls[1]!.Message!)).toMatchObject({ sms: expect.stringContaining('Firebreak [ALERT CHANNEL FAILED] High') as unknown });
  });

  it('does not fail a published alert because the backup refused it, and says so in the result', async () => {
    snsMock.on(PublishCommand, { TopicArn: BACKUP_ARN }).rejects(Object.assign(new Error('gone'), { name: 'NotFoundException', $metadata: { httpStatusCode: 404 } }));
    const input = report({ incident: ec2Incident({ severity: { score: 9.5, label: 'Critical' } }) });
    const result = await publishAlert(input, deps(true));
    expect(result.status).toBe('published');
    expect(result.backup).toEqual({ reason: 'a Critical incident', status: 'failed' });
    expect(result.actions.at(-1)).toMatchObject({ api: 'sns:Publish', target: BACKUP_ARN, outcome: 'skipped' });
  });
});
