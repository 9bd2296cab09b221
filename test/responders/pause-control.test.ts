/**
 * The emergency-pause function: who pauses is AWS's word (the Function URL's authenticated caller),
 * the operations topic hears of every pause and resume BEFORE it takes effect, a second pause never
 * replaces the first, and each DynamoDB and SNS call is the exact one IAM allows.
 */
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PAUSE_KEY, pauseItem } from '../../lib/responders/emergency-pause';
import type { PauseAnnouncer } from '../../lib/responders/pause-control';
import { DynamoDbPauseSwitch, PauseTopicNotConfiguredError, SnsPauseAnnouncer, controlPause, createPauseControlHandler, operationsTopicArnFromEnv, pauseAnnouncementMessages } from '../../lib/responders/pause-control';
import { callerProof } from '../../lib/operator/caller-proof';
import { CALLER_PROOF_HEADER } from '../../lib/responders/caller-proof';
import { LocalCallerProofs } from '../../lib/gameday/caller-proofs';
import { silentLogger } from '../../lib/responders/logging';

const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const TABLE = 'firebreak-state';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:firebreak-operations';
const NOW = new Date('2026-11-20T10:00:00.000Z');
const ALICE = 'arn:aws:sts::111122223333:assumed-role/OnCall/alice';

/** STS for the callers' proofs (lib/gameday/caller-proofs.ts: real SigV4, checked at NOW). */
const proofs = new LocalCallerProofs('eu-west-1', () => NOW);

/** A Function URL event as AWS builds it from `firebreak pause`'s request, with the caller proof the CLI makes. */
async function urlEvent(body: unknown, caller: string | null = ALICE, method = 'POST') {
  const text = JSON.stringify(body);
  const credentials = caller !== null ? proofs.credentialsOf(caller) : undefined;
  return {
    body: text,
    isBase64Encoded: false,
    ...(credentials !== undefined ? { headers: { [CALLER_PROOF_HEADER]: await callerProof('pause', text, 'eu-west-1', credentials, NOW) } } : {}),
    requestContext: { http: { method }, ...(caller !== null ? { authorizer: { iam: { userArn: caller, accessKey: credentials?.accessKeyId } } } : {}) },
  };
}

const deps = (announcer: PauseAnnouncer = new SnsPauseAnnouncer(new SNSClient({ region: 'eu-west-1' }), TOPIC)) => ({
  store: new DynamoDbPauseSwitch(new DynamoDBClient({ region: 'eu-west-1' }), TABLE),
  announcer,
  callers: proofs,
  logger: silentLogger,
  now: () => NOW,
});

const PAUSED_ITEM = pauseItem({ pausedBy: ALICE, pausedAt: NOW.toISOString(), reason: 'false-positive storm' });
const calls = () => [...ddb.calls(), ...sns.calls()].map((call) => call.args[0].constructor.name);
/** The plain text of an announcement (its `default` entry: the publish carries one message per protocol). */
const textOf = (input: { Message?: string } | undefined) => (JSON.parse(input?.Message ?? '{}') as { default?: string }).default;

/** The pause item's PutItem (a test's own PutItem behaviour is that one's: the spends keep theirs). */
const PAUSE_PUT = { Item: { pk: { S: PAUSE_KEY } } };
/** Any spend's PutItem (an item with spentBy, whatever it holds: aws-sdk-client-mock matches the input partially). */
const SPEND_PUT = { Item: { spentBy: {} } } as unknown as PutItemCommandInput;
/** The caller proofs spent so far (`proof#<signature>` items), as the state table's conditional PutItem keeps them. */
let spent: Set<string>;
/** The spends asked for, their exact inputs: each pause or resume takes its proof once. */
const spends = () => ddb.commandCalls(PutItemCommand).filter((c) => c.args[0].input.Item?.pk?.S?.startsWith('proof#'));

beforeEach(() => {
  ddb.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  spent = new Set();
  // Only the spends (an item with spentBy): a test's own PutItem behaviour is the pause item's.
  ddb.on(PutItemCommand, SPEND_PUT).callsFake((input: { Item: { pk: { S: string } } }) => {
    if (spent.has(input.Item.pk.S)) throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    spent.add(input.Item.pk.S);
    return {};
  });
});
afterEach(() => {
  ddb.reset();
  sns.reset();
});

describe('firebreak pause, through the function', () => {
  it('announces on the operations topic, then writes the pause item naming the AWS-authenticated caller (the exact calls)', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand, PAUSE_PUT).resolves({});
    const order: string[] = [];
    sns.on(PublishCommand).callsFake(() => (order.push('publish'), { MessageId: 'm-1' }));
    ddb.on(PutItemCommand, PAUSE_PUT).callsFake(() => (order.push('put'), {}));
    const answer = await controlPause(await urlEvent({ action: 'pause', reason: 'false-positive storm', pausedBy: 'someone-else' }), deps());
    // A body field naming someone else is refused outright (strict body): who paused is AWS's word.
    expect(answer).toMatchObject({ statusCode: 400, outcome: 'refused' });
    expect(order).toEqual([]);

    const paused = await controlPause(await urlEvent({ action: 'pause', reason: 'false-positive storm' }), deps());
    expect(paused).toMatchObject({ statusCode: 200, outcome: 'paused', pause: { paused: true, pausedBy: ALICE, pausedAt: NOW.toISOString(), reason: 'false-positive storm' } });
    expect(order).toEqual(['publish', 'put']);
    expect(ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: PAUSE_KEY } }, ConsistentRead: true }]);
    // First of all the proof is spent (each pause or resume takes its proof once, row 5k), then the pause item.
    // (The refused body above spent nothing: a 400 is decided before the proof is spent.)
    expect(calls()).toEqual(['PutItemCommand', 'GetItemCommand', 'PutItemCommand', 'PublishCommand']);
    const [spend, pause] = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    const proof = (await urlEvent({ action: 'pause', reason: 'false-positive storm' })).headers?.[CALLER_PROOF_HEADER] ?? '';
    expect(spend).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: `proof#${new URLSearchParams(proof).get('X-Amz-Signature')}` },
        action: { S: 'pause' },
        spentBy: { S: ALICE },
        spentAt: { S: '2026-11-20T10:00:00.000Z' },
        // The proof's own expiry (X-Amz-Date + X-Amz-Expires, 600 s): DynamoDB's TTL removes it after.
        ttl: { N: String(NOW.getTime() / 1000 + 600) },
        // This call's own mark (a random UUID): a retry of this PutItem that finds it is no replay.
        spendId: { S: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) },
      },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect([pause]).toEqual([
      {
        TableName: TABLE,
        Item: { pk: { S: 'pause#deployment' }, pausedBy: { S: ALICE }, pausedAt: { S: '2026-11-20T10:00:00.000Z' }, reason: { S: 'false-positive storm' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
    const [publish] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publish).toEqual({ TopicArn: TOPIC, Subject: `[FIREBREAK PAUSED] by ${ALICE}`, MessageStructure: 'json', Message: expect.any(String) });
    expect(textOf(publish)).toContain(`Firebreak's emergency pause was set by ${ALICE} at 2026-11-20T10:00:00.000Z.\nReason given: "false-positive storm"`);
    expect(publish?.Subject?.length).toBeLessThanOrEqual(100);
  });

  it('announces in every protocol the operations topic may deliver to: a chat channel shows only the custom-notification JSON', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand, PAUSE_PUT).resolves({});
    await controlPause(await urlEvent({ action: 'pause', reason: 'false-positive storm' }), deps());
    const [publish] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    const entries = JSON.parse(publish?.Message ?? '{}') as Record<string, string>;
    const subject = `[FIREBREAK PAUSED] by ${ALICE}`;
    expect(Object.keys(entries).sort()).toEqual(['default', 'email', 'https', 'sms']);
    expect(entries.email).toBe(entries.default);
    expect(entries.sms).toBe(`Firebreak ${subject}`);
    // Amazon Q Developer in chat applications (AWS Chatbot) drops anything but its documented shape.
    expect(JSON.parse(entries.https ?? '')).toEqual({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: subject,
        description: entries.default,
        nextSteps: ['If nobody on your team expected this, treat it as an incident.', 'firebreak status shows whether containment is paused, by whom, since when and why.'],
        keywords: ['emergency-pause'],
      },
      metadata: { summary: subject, eventType: 'firebreak.emergency-pause', relatedResources: [], additionalContext: {} },
    });
  });

  it('keeps the chat entry within its caps when the caller\'s ARN is as long as IAM allows', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand, PAUSE_PUT).resolves({});
    const long = `arn:aws:sts::111122223333:assumed-role/${'r'.repeat(64)}/${'s'.repeat(1900)}`;
    await controlPause(await urlEvent({ action: 'pause', reason: 'x'.repeat(500) }, long), deps());
    const entries = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as Record<string, string>;
    const chat = JSON.parse(entries.https ?? '') as { content: { description: string } };
    // The whole announcement fits the chat entry (the caller once, the 500-character reason, the advice).
    expect(chat.content.description).toBe(entries.default);
    expect(chat.content.description.length).toBeLessThanOrEqual(3500);
    expect(entries.sms?.length).toBeLessThanOrEqual(280);
    // A longer text is cut there, marked.
    const cut = JSON.parse((JSON.parse(pauseAnnouncementMessages('s', 'y'.repeat(5000))) as Record<string, string>).https ?? '') as { content: { description: string } };
    expect(cut.content.description).toBe(`${'y'.repeat(3499)}…`);
  });

  it('ATTACK: writes nothing when the operations topic refuses the alert (no silent pause)', async () => {
    ddb.on(GetItemCommand).resolves({});
    sns.on(PublishCommand).rejects(Object.assign(new Error('denied'), { name: 'AuthorizationErrorException' }));
    await expect(controlPause(await urlEvent({ action: 'pause', reason: 'storm' }), deps())).rejects.toThrow(/sns:Publish/);
    // The proof was spent (the request is not taken twice); the pause item was never written.
    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.pk?.S)).toEqual([expect.stringMatching(/^proof#/)]);
  });

  it('never replaces a pause in force: says who paused first, announces nothing, writes nothing', async () => {
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    const answer = await controlPause(await urlEvent({ action: 'pause', reason: 'me too' }, 'arn:aws:sts::111122223333:assumed-role/OnCall/bob'), deps());
    expect(answer).toMatchObject({ statusCode: 409, outcome: 'already-paused', message: expect.stringContaining(`paused by ${ALICE}`) });
    // The proof spent, the pause read: nothing else.
    expect(calls()).toEqual(['PutItemCommand', 'GetItemCommand']);
    expect(spends()).toHaveLength(1);
  });

  it('says so when another pause won the race (the condition failed), with the pause in force', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand, PAUSE_PUT).rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException', Item: PAUSED_ITEM }));
    expect(await controlPause(await urlEvent({ action: 'pause', reason: 'storm' }, 'arn:aws:iam::111122223333:user/bob'), deps())).toMatchObject({ statusCode: 409, outcome: 'already-paused', pause: { pausedBy: ALICE } });
  });

  it('announces that an announced pause did not take effect when the write fails', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand, PAUSE_PUT).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    await expect(controlPause(await urlEvent({ action: 'pause', reason: 'storm' }), deps())).rejects.toThrow(/dynamodb:PutItem/);
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual([`[FIREBREAK PAUSED] by ${ALICE}`, `[FIREBREAK PAUSE FAILED] by ${ALICE}`]);
  });

  it.each([
    ['no reason', { action: 'pause' }],
    ['an empty reason', { action: 'pause', reason: '  ' }],
    ['a reason with a line break', { action: 'pause', reason: 'storm\nresume later' }],
    ['an unknown action', { action: 'disable' }],
  ])('refuses %s, changing nothing', async (_what, body) => {
    ddb.on(GetItemCommand).resolves({});
    expect(await controlPause(await urlEvent(body), deps())).toMatchObject({ statusCode: 400, outcome: 'refused' });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('refuses a request without an AWS-authenticated caller, and anything but a POST', async () => {
    expect(await controlPause(await urlEvent({ action: 'status' }, null), deps())).toMatchObject({ statusCode: 401 });
    expect(await controlPause(await urlEvent({ action: 'status' }, ALICE, 'GET'), deps())).toMatchObject({ statusCode: 400 });
    expect(calls()).toEqual([]);
  });
});

describe('firebreak resume, through the function', () => {
  it('announces who resumes, why, and which pause it lifts, then deletes the item (the exact calls)', async () => {
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    ddb.on(DeleteItemCommand).resolves({ Attributes: PAUSED_ITEM });
    const bob = 'arn:aws:sts::111122223333:assumed-role/OnCall/bob';
    const answer = await controlPause(await urlEvent({ action: 'resume', reason: 'storm over' }, bob), deps());
    expect(answer).toMatchObject({ statusCode: 200, outcome: 'resumed', pause: { paused: false } });
    expect(ddb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: { S: PAUSE_KEY } },
        // The pause read and announced, and no other (review-pause).
        ConditionExpression: 'pausedBy = :pausedBy AND pausedAt = :pausedAt',
        ExpressionAttributeValues: { ':pausedBy': { S: ALICE }, ':pausedAt': { S: NOW.toISOString() } },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
    const [publish] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publish).toMatchObject({ TopicArn: TOPIC, Subject: `[FIREBREAK RESUMED] by ${bob}` });
    expect(textOf(publish)).toContain('Reason given: "storm over"');
    expect(textOf(publish)).toContain(`The pause lifted: paused by ${ALICE} at 2026-11-20T10:00:00.000Z (reason: "false-positive storm")`);
  });

  it('ATTACK: deletes nothing when the operations topic refuses the alert (no silent resume)', async () => {
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    sns.on(PublishCommand).rejects(Object.assign(new Error('throttled'), { name: 'Throttled' }));
    await expect(controlPause(await urlEvent({ action: 'resume' }), deps())).rejects.toThrow(/sns:Publish/);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('changes nothing and announces nothing when nothing is paused', async () => {
    ddb.on(GetItemCommand).resolves({});
    expect(await controlPause(await urlEvent({ action: 'resume' }), deps())).toMatchObject({ statusCode: 200, outcome: 'not-paused' });
    expect(calls()).toEqual(['PutItemCommand', 'GetItemCommand']);
    expect(spends().map((c) => c.args[0].input.Item?.action)).toEqual([{ S: 'resume' }]);
  });

  it("ATTACK (review-pause): lifts only the pause it announced: a pause set between its read and its delete stays, and the topic hears the resume did not take effect", async () => {
    // Between this resume's read (alice's pause) and its delete, another resume lifted alice's
    // pause and carol paused again (announced). Before: the delete took carol's pause, the topic
    // heard only "alice's pause lifted", and containment ran again while carol's pause was announced.
    const carol = 'arn:aws:sts::111122223333:assumed-role/OnCall/carol';
    const CAROL_ITEM = pauseItem({ pausedBy: carol, pausedAt: '2026-11-20T10:00:00.400Z', reason: 'second storm' });
    let item: Record<string, unknown> | undefined = CAROL_ITEM;
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    ddb.on(DeleteItemCommand).callsFake((input: { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, { S?: string }> }) => {
      const values = input.ExpressionAttributeValues ?? {};
      const same = Object.entries(values).every(([name, value]) => (CAROL_ITEM as Record<string, { S?: string }>)[name.slice(1)]?.S === value.S);
      if (item === undefined || !same) {
        throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', ...(item !== undefined ? { Item: item } : {}) });
      }
      const old = item;
      item = undefined;
      return { Attributes: old };
    });
    const bob = 'arn:aws:sts::111122223333:assumed-role/OnCall/bob';

    const answer = await controlPause(await urlEvent({ action: 'resume', reason: 'storm over' }, bob), deps());

    expect(item).toBe(CAROL_ITEM);
    expect(answer).toMatchObject({ statusCode: 409, pause: { paused: true, pausedBy: carol } });
    expect(answer.outcome).not.toBe('resumed');
    const publishes = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publishes.map((p) => p.Subject)).toEqual([`[FIREBREAK RESUMED] by ${bob}`, `[FIREBREAK RESUME FAILED] by ${bob}`]);
    expect(textOf(publishes[1])).toContain(`paused by ${carol}`);
  });

  it('answers resumed, with no second alert, when another resume lifted the pause first and none was set since', async () => {
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    ddb.on(DeleteItemCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    expect(await controlPause(await urlEvent({ action: 'resume' }), deps())).toMatchObject({ statusCode: 200, outcome: 'resumed', pause: { paused: false } });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('lifts a malformed pause item too (it counts as paused, so it must be removable)', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { pk: { S: PAUSE_KEY } } });
    ddb.on(DeleteItemCommand).resolves({ Attributes: { pk: { S: PAUSE_KEY } } });
    expect(await controlPause(await urlEvent({ action: 'resume' }), deps())).toMatchObject({ outcome: 'resumed' });
    // Such an item names no pause to compare: whatever is there is lifted.
    expect(ddb.commandCalls(DeleteItemCommand)[0]?.args[0].input.ConditionExpression).toBe('attribute_exists(pk)');
    expect(textOf(sns.commandCalls(PublishCommand)[0]?.args[0].input)).toContain('cannot be read whole');
  });
});

describe('firebreak status, through the function', () => {
  it('answers the pause in force with one read, announcing nothing', async () => {
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    const handler = createPauseControlHandler(deps());
    const answer = await handler(await urlEvent({ action: 'status' }));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'status', pause: { paused: true, pausedBy: ALICE }, message: expect.stringContaining('paused by') });
    expect(calls()).toEqual(['GetItemCommand']);
  });
});

describe('operationsTopicArnFromEnv', () => {
  it('takes the operations topic and refuses a function deployed without it, naming the variable', () => {
    expect(operationsTopicArnFromEnv({ BACKUP_TOPIC_ARN: TOPIC })).toBe(TOPIC);
    expect(() => operationsTopicArnFromEnv({})).toThrow(PauseTopicNotConfiguredError);
    expect(() => operationsTopicArnFromEnv({})).toThrow(/BACKUP_TOPIC_ARN/);
  });
});

describe('the emergency pause under a forged caller (review review-proof; row 5j)', () => {
  const MALLORY = 'arn:aws:sts::111122223333:assumed-role/Developer/mallory';
  const nothingChanged = () => {
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  };

  beforeEach(() => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand, PAUSE_PUT).resolves({});
  });

  it('ATTACK: a direct invocation (lambda:InvokeFunction alone) naming the on-call lead, with no proof, is refused: nothing announced, nothing written', async () => {
    // A Function URL event of the invoker's own writing.
    const forged = { ...(await urlEvent({ action: 'pause', reason: 'planned maintenance' })), headers: {} };
    expect(await controlPause(forged, deps())).toMatchObject({ statusCode: 401, outcome: 'refused', message: expect.stringContaining('carries no caller proof') });
    nothingChanged();
  });

  it("ATTACK: the invoker's own proof under the lead's name is refused, naming who signed; a proof made for a resume does not pause", async () => {
    const body = JSON.stringify({ action: 'pause', reason: 'planned maintenance' });
    const own = await callerProof('pause', body, 'eu-west-1', proofs.credentialsOf(MALLORY), NOW);
    const forged = { ...(await urlEvent({ action: 'pause', reason: 'planned maintenance' })), headers: { [CALLER_PROOF_HEADER]: own } };
    expect(await controlPause(forged, deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining(`signed by ${MALLORY}, but the request says ${ALICE}`) });
    const resume = await callerProof('pause', JSON.stringify({ action: 'resume' }), 'eu-west-1', proofs.credentialsOf(ALICE), NOW);
    const replayed = { ...(await urlEvent({ action: 'pause', reason: 'planned maintenance' })), headers: { [CALLER_PROOF_HEADER]: resume } };
    expect(await controlPause(replayed, deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('SignatureDoesNotMatch') });
    // An approval's proof for the same body is another purpose: it never pauses.
    const approval = await callerProof('approval', body, 'eu-west-1', proofs.credentialsOf(ALICE), NOW);
    expect(await controlPause({ ...(await urlEvent({ action: 'pause', reason: 'planned maintenance' })), headers: { [CALLER_PROOF_HEADER]: approval } }, deps())).toMatchObject({ statusCode: 401 });
    nothingChanged();
  });

  it('names the caller STS proved in the announcement and the pause item', async () => {
    expect(await controlPause(await urlEvent({ action: 'pause', reason: 'planned maintenance' }, MALLORY), deps())).toMatchObject({ statusCode: 200, outcome: 'paused', pause: { pausedBy: MALLORY } });
    expect(textOf(sns.commandCalls(PublishCommand)[0]?.args[0].input)).toContain(`set by ${MALLORY}`);
  });
});

describe('the emergency pause proof under attack (review review-pause)', () => {
  const LEAD = 'arn:aws:sts::111122223333:assumed-role/OnCallLead/dana';

  it('ATTACK: a status without a proof learns nothing: refused before the pause item is read', async () => {
    const forged = { ...(await urlEvent({ action: 'status' })), headers: {} };
    expect(await controlPause(forged, deps())).toMatchObject({ statusCode: 401, outcome: 'refused' });
    expect(calls()).toEqual([]);
  });

  it('ATTACK: a proof sent under another spelling of the header (a direct invocation writes its own) counts as none', async () => {
    const event = await urlEvent({ action: 'pause', reason: 'planned maintenance' });
    const proof = event.headers?.[CALLER_PROOF_HEADER] ?? '';
    expect(await controlPause({ ...event, headers: { 'X-Firebreak-Caller-Proof': proof } }, deps())).toMatchObject({ statusCode: 401, message: expect.stringContaining('carries no caller proof') });
    expect(calls()).toEqual([]);
  });

  it('binds the proof to the body as decoded: a base64 body verifies for its text, and a proof over the base64 text does not', async () => {
    ddb.on(GetItemCommand).resolves({});
    const text = JSON.stringify({ action: 'status' });
    const encoded = Buffer.from(text, 'utf8').toString('base64');
    const credentials = proofs.credentialsOf(ALICE);
    const event = (proof: string) => ({ body: encoded, isBase64Encoded: true, headers: { [CALLER_PROOF_HEADER]: proof }, requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: ALICE } } } });
    expect(await controlPause(event(await callerProof('pause', text, 'eu-west-1', credentials, NOW)), deps())).toMatchObject({ statusCode: 200, outcome: 'status' });
    expect(await controlPause(event(await callerProof('pause', encoded, 'eu-west-1', credentials, NOW)), deps())).toMatchObject({ statusCode: 401 });
  });

  it("ATTACK (row 5k): the lead's resume, captured and replayed within its 600 s, does not lift a later pause: refused, nothing announced or deleted", async () => {
    // The lead resumes (the body every `firebreak resume` without --reason sends)...
    const captured = await urlEvent({ action: 'resume' }, LEAD);
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    ddb.on(DeleteItemCommand).resolves({ Attributes: PAUSED_ITEM });
    expect(await controlPause(captured, deps())).toMatchObject({ outcome: 'resumed' });
    // ...and five minutes later alice pauses again; whoever holds the captured request and
    // lambda:InvokeFunction sends it again, unchanged (before: lifted, announced as the lead's).
    const later = { ...deps(), now: () => new Date(NOW.getTime() + 5 * 60_000) };
    expect(await controlPause(captured, later)).toMatchObject({ statusCode: 401, outcome: 'refused', message: expect.stringContaining('was used already') });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(1);
    // The pause item was not even read for the replay: refused before anything else.
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(1);
  });

  it("ATTACK (row 5k): the lead's pause, replayed after it was lifted, does not pause again", async () => {
    const captured = await urlEvent({ action: 'pause', reason: 'maintenance' }, LEAD);
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand, PAUSE_PUT).resolves({});
    expect(await controlPause(captured, deps())).toMatchObject({ outcome: 'paused' });
    // Lifted by a fresh resume (its own proof)...
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    ddb.on(DeleteItemCommand).resolves({ Attributes: PAUSED_ITEM });
    expect(await controlPause(await urlEvent({ action: 'resume', reason: 'done' }, LEAD), deps())).toMatchObject({ outcome: 'resumed' });
    // ...then the captured pause is sent again: nothing is paused, nothing announced in the lead's name.
    ddb.on(GetItemCommand).resolves({});
    expect(await controlPause(captured, deps())).toMatchObject({ statusCode: 401, outcome: 'refused' });
    expect(ddb.commandCalls(PutItemCommand, PAUSE_PUT)).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual([`[FIREBREAK PAUSED] by ${LEAD}`, `[FIREBREAK RESUMED] by ${LEAD}`]);
  });

  it('takes two requests of the same body by the same person, each with its own proof (only a request sent again whole is refused)', async () => {
    const first = await urlEvent({ action: 'resume' }, LEAD);
    ddb.on(GetItemCommand).resolves({ Item: PAUSED_ITEM });
    ddb.on(DeleteItemCommand).resolves({ Attributes: PAUSED_ITEM });
    expect(await controlPause(first, deps())).toMatchObject({ outcome: 'resumed' });
    // A second `firebreak resume` a second later signs anew (another X-Amz-Date, so another signature).
    const credentials = proofs.credentialsOf(LEAD);
    const second = { ...first, headers: { [CALLER_PROOF_HEADER]: await callerProof('pause', first.body, 'eu-west-1', credentials, new Date(NOW.getTime() + 1000)) } };
    expect(await controlPause(second, deps())).toMatchObject({ outcome: 'resumed' });
    expect(new Set(spends().map((c) => c.args[0].input.Item?.pk?.S)).size).toBe(2);
  });

  it('changes nothing when the proof cannot be recorded as used (502: the state table refused), and says so', async () => {
    ddb.on(PutItemCommand, SPEND_PUT).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    const answer = await controlPause(await urlEvent({ action: 'pause', reason: 'storm' }, LEAD), deps());
    expect(answer).toMatchObject({ statusCode: 502, outcome: 'refused', message: expect.stringContaining('could not be recorded as used') });
    expect(calls()).toEqual(['PutItemCommand']);
  });

  it("takes a first request whose spend the SDK sent twice (the first write landed, its answer was lost): the second write finds the function's own record, not a replay (review-s28)", async () => {
    // DynamoDB's client retries a PutItem whose answer it did not get (a 500, a reset connection) though
    // the write may have landed: the retry then fails its condition on the item this very call wrote.
    ddb.on(PutItemCommand, SPEND_PUT).callsFake((input: { Item: Record<string, unknown> }) => {
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', Item: input.Item });
    });
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand, PAUSE_PUT).resolves({});
    const answer = await controlPause(await urlEvent({ action: 'pause', reason: 'storm' }, LEAD), deps());
    // Before: refused (401) as "sent again whole", the operator's first pause taken for a replay.
    expect(answer).toMatchObject({ statusCode: 200, outcome: 'paused' });
    expect(spends().map((c) => c.args[0].input)).toEqual([expect.objectContaining({ ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })]);
  });

  it('ATTACK (row 5k): a replay is refused whatever the record it finds says, unless this very call wrote it', async () => {
    // The record another invocation wrote: the same proof, signer and action, another spend id.
    ddb.on(PutItemCommand, SPEND_PUT).callsFake((input: { Item: Record<string, { S?: string }> }) => {
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', Item: { ...input.Item, spendId: { S: 'another-invocation' } } });
    });
    const answer = await controlPause(await urlEvent({ action: 'pause', reason: 'storm' }, LEAD), deps());
    expect(answer).toMatchObject({ statusCode: 401, outcome: 'refused', message: expect.stringContaining('was used already') });
    expect(calls()).toEqual(['PutItemCommand']);
  });

  it('spends no proof for a status (it changes nothing; a status sent again learns what a fresh one would)', async () => {
    const status = await urlEvent({ action: 'status' }, LEAD);
    ddb.on(GetItemCommand).resolves({});
    expect(await controlPause(status, deps())).toMatchObject({ outcome: 'status' });
    expect(await controlPause(status, deps())).toMatchObject({ outcome: 'status' });
    expect(spends()).toEqual([]);
  });
});
