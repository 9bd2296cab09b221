import { describe, expect, it } from 'vitest';
import type { GameDayCall, ResolvedEnvironment } from '../../lib/gameday/backend';
import { evaluateChat } from '../../lib/gameday/chat-expectations';
import { chatExpectationSchema } from '../../lib/gameday/chat-scenario';

const ALERTS = 'arn:aws:sns:eu-west-1:111122223333:firebreak-alerts';
const BACKUP = 'arn:aws:sns:eu-west-1:111122223333:firebreak-operations';
const environment = { deployment: { alertTopicArn: ALERTS, backupTopicArn: BACKUP } } as unknown as ResolvedEnvironment;

function chat(overrides: { title?: string; threadId?: string; nextSteps?: string[] } = {}) {
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: overrides.title ?? 'High: Backdoor:EC2/C&CActivity.B on i-0abc',
      description: 'EC2 instance i-0abc is compromised\n\n*Links*\nGuardDuty finding: https://console.aws.amazon.com/guardduty',
      nextSteps: overrides.nextSteps ?? ['Release it with `firebreak release` once you know what happened.'],
      keywords: ['High', 'game-day'],
    },
    metadata: { threadId: overrides.threadId ?? 'gd-1', summary: 'High: Backdoor', eventType: 'firebreak.containment', relatedResources: ['i-0abc'], additionalContext: { incidentKey: 'gd-1' } },
  };
}

function publish(seq: number, topic: string, https: unknown, extra: Record<string, unknown> = {}): GameDayCall {
  const plain = 'Backdoor:EC2/C&CActivity.B on i-0abc\nWhat Firebreak did';
  return {
    seq,
    at: new Date(0),
    api: 'sns:Publish',
    account: '111122223333',
    region: 'eu-west-1',
    caller: 'arn:aws:sts::111122223333:assumed-role/firebreak-responder-eu-west-1-publish-alert/x',
    input: {
      TopicArn: topic,
      MessageStructure: 'json',
      Message: JSON.stringify({ default: plain, email: `Incident gd-1 (every alert of this incident carries this key)\n\n${plain}`, sms: 'Firebreak High (incident gd-1)', https: JSON.stringify(https) }),
      MessageAttributes: { incident_key: { DataType: 'String', StringValue: 'gd-1' } },
      ...extra,
    },
    outcome: 'ok',
    dryRun: false,
    injected: false,
    attempt: 1,
  };
}

const spec = (document: Record<string, unknown>) => chatExpectationSchema.parse(document);
const passed = (results: ReturnType<typeof evaluateChat>) => results.map((result) => `${result.passed ? 'PASS' : 'FAIL'} ${result.name}`);

describe('expect.chat', () => {
  it('passes a well-formed per-protocol publish that has every wish, on the topic asked for', () => {
    const calls = [publish(1, ALERTS, chat())];
    const results = evaluateChat(spec({ count: 1, title: 'Backdoor', nextSteps: 'firebreak release', links: 'GuardDuty finding', keywords: ['High', 'game-day'], threadId: 'gd-1', text: 'What Firebreak did' }), { calls, environment });
    expect(results.every((result) => result.passed)).toBe(true);
    // The same publish is not the backup topic's.
    expect(passed(evaluateChat(spec({ topic: 'backup', count: 1 }), { calls, environment }))).toEqual(['FAIL chat (backup topic) publishes', 'FAIL chat (backup topic): every publish renders for chat, e-mail and SMS']);
  });

  it('fails a publish chat cannot render: plain text only, a title over the limit, a thread that is not the incident key', () => {
    const plainOnly = publish(1, ALERTS, chat(), { MessageStructure: undefined, Message: 'just text' });
    const tooLong = publish(2, ALERTS, chat({ title: 'x'.repeat(251) }));
    const otherThread = publish(3, ALERTS, chat({ threadId: 'gd-2' }));
    for (const call of [plainOnly, tooLong, otherThread]) {
      const [rendering] = evaluateChat(spec({}), { calls: [call], environment });
      expect(rendering?.passed).toBe(false);
    }
    expect(evaluateChat(spec({}), { calls: [tooLong], environment })[0]?.actual).toMatch(/content\.title/);
    expect(evaluateChat(spec({}), { calls: [otherThread], environment })[0]?.actual).toMatch(/chat thread gd-2 is not the incident key gd-1/);
  });

  it('fails when no single alert has every wish, naming what the closest one lacks; a failed publish does not count', () => {
    const calls = [publish(1, ALERTS, chat()), { ...publish(2, ALERTS, chat({ title: '[FAILED] x' })), outcome: 'error' as const }];
    const [count, , content] = evaluateChat(spec({ count: 2, title: '[FAILED]', keywords: 'High' }), { calls, environment });
    expect(count).toMatchObject({ passed: false, actual: '1' });
    expect(content).toMatchObject({ passed: false });
    expect(content?.actual).toMatch(/lacks: title has "\[FAILED\]"/);
  });

  it('says so when the backend prepared no backup topic', () => {
    const without = { deployment: { alertTopicArn: ALERTS } } as unknown as ResolvedEnvironment;
    expect(evaluateChat(spec({ topic: 'backup' }), { calls: [], environment: without })).toEqual([
      { name: 'chat (backup topic)', passed: false, expected: 'a backup topic', actual: 'this backend prepared no backup topic' },
    ]);
  });
});

describe('faults[].topic', () => {
  it('narrows an sns:Publish fault to one topic, and refuses to narrow any other API', async () => {
    const { faultSchema } = await import('../../lib/gameday/scenario');
    expect(faultSchema.parse({ api: 'sns:Publish', topic: 'alert', error: 'KMSDisabled' })).toMatchObject({ topic: 'alert', times: 1 });
    const refused = faultSchema.safeParse({ api: 'ec2:CreateSnapshots', topic: 'backup', error: 'InternalError' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('topic narrows an sns:Publish fault: set api to sns:Publish');
  });

  it('answers only the publishes to the named topic', async () => {
    const { publishesToTopic } = await import('../../lib/gameday/account-backend/deployment-resources');
    expect(publishesToTopic('alert')({ TopicArn: 'arn:aws:sns:eu-west-1:111122223333:gd-x-alerts' })).toBe(true);
    expect(publishesToTopic('alert')({ TopicArn: 'arn:aws:sns:eu-west-1:111122223333:gd-x-operations' })).toBe(false);
    expect(publishesToTopic('backup')({ TopicArn: 'arn:aws:sns:eu-west-1:111122223333:gd-x-operations' })).toBe(true);
  });
});
