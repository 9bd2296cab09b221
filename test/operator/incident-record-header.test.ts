/**
 * Row 17b (review-records): the incident record's header (account, Region, finding type, resource,
 * drill and sample flags, times) is what `firebreak incidents` filters on and what the report says the
 * incident was. Every step appends to the record for the incident key its payload names, and anyone
 * allowed `lambda:InvokeFunction` on any responder can send one a payload: the step refuses to act,
 * but its entry, and with it the header, is written. These tests run the writes against the simulated
 * table, as DynamoDB applies them.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { buildIncidentReport } from '../../lib/operator/incident-report';
import { renderIncidentReportMarkdown } from '../../lib/operator/incident-report-render';
import { listIncidents, readGatheredIncident, readIncidentRecord } from '../../lib/operator/incidents';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { routingTableFor } from '../../lib/playbooks/routing';
import { triage } from '../../lib/playbooks/triage';
import { noteVerifiedOrigin } from '../../lib/responders/attempt-actions';
import { DynamoDbIncidentRecords, recordingHandler } from '../../lib/responders/incident-record';
import { TRIAGE_RECORD_CONDITION, triageRecordWrite } from '../../lib/responders/triage-record';
import { SeededSimulatedAws } from '../support/sim-builder';
import { INSTANCE_ID, ec2Incident } from '../support/incidents';

const TABLE = 'firebreak-state';
const routing = routingTableFor(loadPlaybookDirectorySync('playbooks'), { forceDryRun: false });
const times = { startedAt: new Date('2026-11-20T10:00:00.300Z'), endedAt: new Date('2026-11-20T10:00:00.340Z') };

function world() {
  const sim = new SeededSimulatedAws({ seed: 'incident-record-header' });
  sim.addTable({ name: TABLE, partitionKey: 'pk' });
  return sim.clientFactory().dynamodb();
}

/** The dispatcher's RecordTriage task (lib/playbooks/dispatcher.ts), as Step Functions sends it. */
async function recordTriage(ddb: ReturnType<typeof world>, incident = ec2Incident()): Promise<void> {
  const write = triageRecordWrite(triage(incident, routing), times, 30)!;
  await ddb.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { pk: { S: write.pk } },
      UpdateExpression: write.updateExpression,
      ConditionExpression: TRIAGE_RECORD_CONDITION,
      ExpressionAttributeNames: write.names,
      ExpressionAttributeValues: write.values,
    }),
  );
}

/** A responder invoked directly (lambda:InvokeFunction) with a payload of the invoker's choosing: it refuses, its entry is written. */
async function directInvocation(ddb: ReturnType<typeof world>, incident: Record<string, unknown>, step = 'update-security-hub-finding'): Promise<void> {
  const refusing = recordingHandler(step, () => Promise.reject(new Error('refused: no grant')), { records: new DynamoDbIncidentRecords(ddb, TABLE, 30) });
  await refusing({ incident }).catch(() => undefined);
}

const FORGED = {
  key: ec2Incident().key,
  account: '000000000000',
  region: 'ap-south-2',
  source: 'firebreak.gameday',
  findingType: 'Recon:EC2/PortProbeUnprotectedPort',
  severity: { score: 1, label: 'Low' },
  resource: { instanceId: 'i-00000000000000000' },
  gameDay: true,
  sample: true,
  times: { created: '2001-01-01T00:00:00.000Z', received: '2001-01-01T00:00:00.000Z' },
};

describe('ATTACK (review-records): the header of an incident record', () => {
  it('is the triaged incident\'s, not that of a payload sent to a responder before the finding arrived', async () => {
    const ddb = world();
    const genuine = ec2Incident();
    await directInvocation(ddb, FORGED);
    await recordTriage(ddb, genuine);
    const record = await readIncidentRecord(ddb, TABLE, genuine.key);
    expect(record?.header).toEqual({
      incidentKey: genuine.key,
      account: genuine.account,
      region: genuine.region,
      source: genuine.source,
      findingType: genuine.findingType,
      severityLabel: genuine.severity.label,
      severityScore: genuine.severity.score,
      resource: 'i-0abc1234def567890',
      gameDay: false,
      sample: false,
      createdAt: genuine.times.created,
      receivedAt: genuine.times.received,
    });
    // Listed under its own account and receipt, not hidden by the forged ones.
    const { incidents } = await listIncidents(ddb, TABLE, { account: genuine.account, since: genuine.times.received });
    expect(incidents.map((incident) => incident.key)).toEqual([genuine.key]);
    expect((await listIncidents(ddb, TABLE, { account: FORGED.account })).incidents).toEqual([]);
  });

  it('stays the first triage\'s when a direct invocation comes after it', async () => {
    const ddb = world();
    const genuine = ec2Incident();
    await recordTriage(ddb, genuine);
    await directInvocation(ddb, FORGED);
    const record = await readIncidentRecord(ddb, TABLE, genuine.key);
    expect(record?.header).toMatchObject({ account: genuine.account, gameDay: false, sample: false, receivedAt: genuine.times.received });
  });

  it('is read from the top-level facts for a record no triage wrote facts into (written before row 17b, or never triaged)', async () => {
    const ddb = world();
    const genuine = ec2Incident();
    await directInvocation(ddb, { ...genuine }, 'quarantine-instance');
    const record = await readIncidentRecord(ddb, TABLE, genuine.key);
    expect(record?.header).toMatchObject({ account: genuine.account, receivedAt: genuine.times.received, gameDay: false });
    const { incidents } = await listIncidents(ddb, TABLE, { account: genuine.account, since: genuine.times.received, until: genuine.times.received });
    expect(incidents.map((incident) => incident.key)).toEqual([genuine.key]);
  });
});

// Row 17c (review-17): triage's facts are written only if triage's write succeeds, and DynamoDB
// refuses a write that would take the item past 400 KB. Every direct invocation of a step appends
// an entry whatever the step decides, and a payload's `reasons` alone put 20 strings of 500
// characters in it (each lone surrogate 6 bytes once JSON escapes it): a few dozen invocations
// naming the coming incident fill its record, the genuine triage's write is refused (the dispatcher
// catches it and goes on), and the record has no `triageFacts`: the forger's facts are the header again.
describe('ATTACK (review-17): a record filled before its incident arrives', () => {
  /** Direct invocations with the biggest entries the payload can make, then smaller ones, until each size no longer fits. */
  async function fill(ddb: ReturnType<typeof world>, incident: Record<string, unknown>): Promise<number> {
    let written = 0;
    const records = new DynamoDbIncidentRecords(ddb, TABLE, 30);
    for (const length of [500, 50, 5, 1]) {
      for (let refused = false; !refused; ) {
        const reasons = Array.from({ length: 20 }, () => '\ud800'.repeat(length));
        const logger = { warn: () => (refused = true) };
        const refusing = recordingHandler('update-security-hub-finding', () => Promise.reject(new Error('refused: no grant')), { records, logger });
        await refusing({ incident, reasons }).catch(() => undefined);
        if (!refused) written += 1;
      }
    }
    return written;
  }

  it("keeps triage's facts and entry: the steps' entries cannot take the room triage's write needs", async () => {
    const ddb = world();
    const genuine = ec2Incident();
    expect(await fill(ddb, FORGED)).toBeGreaterThan(0);
    // The dispatcher's RecordTriage task catches a failed write and goes on (lib/playbooks/dispatcher.ts).
    const refused = await recordTriage(ddb, genuine).then(
      () => undefined,
      (error: Error) => error.name,
    );
    const record = await readIncidentRecord(ddb, TABLE, genuine.key);
    expect(record?.header).toMatchObject({ account: genuine.account, region: genuine.region, gameDay: false, sample: false, receivedAt: genuine.times.received });
    expect(refused).toBeUndefined();
    expect(record?.entries.at(-1)).toMatchObject({ step: 'triage', status: 'start-playbook' });
    const { incidents } = await listIncidents(ddb, TABLE, { account: genuine.account, since: genuine.times.received });
    expect(incidents.map((incident) => incident.key)).toEqual([genuine.key]);
  });
});

// Row 17d (review-17c): row 17c's budget is the steps' together, so direct invocations naming a
// coming or running incident could use all of it, and the entries of what the incident's own steps
// did (an isolation, a snapshot, a release) were then not written: a review read a record without
// its actions. The entries of invocations the step did not confirm as its execution's take only a
// smaller part of the budget; a step that confirmed its origin (noteVerifiedOrigin) still fits.
describe('ATTACK (review-17c): the steps\' budget used up by direct invocations before the incident\'s own steps', () => {
  it("writes the incident's own step entries however many direct invocations came first", async () => {
    const ddb = world();
    const genuine = ec2Incident();
    const records = new DynamoDbIncidentRecords(ddb, TABLE, 30);
    // Direct invocations naming the coming incident, each refused by the step, with the largest
    // entries, then smaller ones, until none fits.
    let written = 0;
    for (const length of [500, 50, 5, 1]) {
      for (let refused = false; !refused; ) {
        const reasons = Array.from({ length: 20 }, () => '\ud800'.repeat(length));
        const refusing = recordingHandler('update-security-hub-finding', () => Promise.reject(new Error('refused: no grant')), { records, logger: { warn: () => (refused = true) } });
        await refusing({ incident: FORGED, reasons }).catch(() => undefined);
        if (!refused) written += 1;
      }
    }
    expect(written).toBeGreaterThan(0);
    await recordTriage(ddb, genuine);
    // The incident's own steps, each confirming its invocation came from its execution.
    const warnings: unknown[] = [];
    for (const step of ['containment-guard', 'snapshot-volumes', 'quarantine-instance']) {
      const acting = recordingHandler(
        step,
        async () => {
          noteVerifiedOrigin();
          return { status: 'done', mode: 'enforce', actions: [{ api: 'ec2:ModifyInstanceAttribute', target: INSTANCE_ID, outcome: 'done', detail: `${step} acted` }] };
        },
        { records, logger: { warn: (...args: unknown[]) => warnings.push(args) } },
      );
      await acting({ incident: genuine, mode: 'enforce', options: {} });
    }
    expect(warnings).toEqual([]);
    const record = await readIncidentRecord(ddb, TABLE, genuine.key);
    expect(record?.entries.slice(-3).map((entry) => entry.step)).toEqual(['containment-guard', 'snapshot-volumes', 'quarantine-instance']);
    expect(record?.entries.at(-1)).toMatchObject({ actions: [{ outcome: 'done', detail: 'quarantine-instance acted' }] });
  });
});

// Row 17e (review-records): an entry names the execution, the alert kind, the failure and the mode
// its payload states, whoever invoked the step. The report and the list read the incident's status
// and its failures from those claims: a direct invocation (lambda:InvokeFunction on any responder)
// naming a contained incident, with `kind: 'failure'`, made it read "failed" (gone from `firebreak
// incidents --status contained`) and listed a failure no execution had; one naming the execution
// of a genuine step failure, answered `refused`, made that failure read as retried and left it out.
describe('ATTACK (review-records): entries of invocations no execution confirmed decide nothing', () => {
  const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:firebreak-quarantine-ec2:run-1';
  const confirmedStep = (step: string, result: () => Promise<unknown>, records: DynamoDbIncidentRecords) =>
    recordingHandler(
      step,
      async () => {
        noteVerifiedOrigin();
        return result();
      },
      { records },
    );

  it('a forged failure alert neither makes a contained incident read failed nor lists a failure', async () => {
    const ddb = world();
    const genuine = ec2Incident();
    const records = new DynamoDbIncidentRecords(ddb, TABLE, 30);
    await recordTriage(ddb, genuine);
    const isolation = { api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0abc', outcome: 'done', detail: 'moved to the isolation group' };
    await confirmedStep('quarantine-instance', async () => ({ status: 'quarantined', mode: 'enforce', actions: [isolation] }), records)({ incident: genuine, mode: 'enforce', execution: { executionArn: EXECUTION } });
    // Invoked directly: the step refuses, its entry carries the payload's kind and failure.
    const refusing = recordingHandler('snapshot-volumes', async () => ({ status: 'refused', actions: [] }), { records });
    await refusing({ incident: genuine, kind: 'failure', failure: { step: 'quarantine-instance', error: 'States.Timeout', cause: 'the instance was never isolated' }, execution: { executionArn: EXECUTION }, mode: 'dry-run' });
    const record = (await readIncidentRecord(ddb, TABLE, genuine.key))!;
    const report = buildIncidentReport(record);
    expect(report.status).toBe('contained');
    expect(report.failures).toEqual([]);
    expect(report.modes).toEqual(['enforce']);
    const { incidents } = await listIncidents(ddb, TABLE, { status: 'contained' });
    expect(incidents.map((incident) => incident.key)).toEqual([genuine.key]);
    expect(renderIncidentReportMarkdown(report)).toContain('not confirmed');
    expect(record.entries.at(-1)).toMatchObject({ step: 'snapshot-volumes', unconfirmed: true });
  });

  it("a refused direct invocation naming the execution does not make a step's genuine failure read as retried", async () => {
    const ddb = world();
    const genuine = ec2Incident();
    const records = new DynamoDbIncidentRecords(ddb, TABLE, 30);
    await recordTriage(ddb, genuine);
    const failing = confirmedStep('quarantine-instance', () => Promise.reject(Object.assign(new Error('not authorized to perform ec2:ModifyNetworkInterfaceAttribute'), { name: 'AccessDeniedError' })), records);
    await failing({ incident: genuine, mode: 'enforce', execution: { executionArn: EXECUTION } }).catch(() => undefined);
    const refusing = recordingHandler('quarantine-instance', async () => ({ status: 'refused', actions: [] }), { records });
    await refusing({ incident: genuine, execution: { executionArn: EXECUTION } });
    const report = buildIncidentReport((await readIncidentRecord(ddb, TABLE, genuine.key))!);
    expect(report.failures).toEqual([expect.objectContaining({ step: 'quarantine-instance', error: 'AccessDeniedError' })]);
  });
});

// Row 3z (review-records): a finding id is any text to the oversized-event intake, so a forged event
// with the id `<real id>-i-<hex>` is triaged under a key with the shape of a child of the real
// incident (same account and Region): its record was gathered under the real incident, as a
// resource of its own, and nested under it in the list, its failure making the real incident read failed.
describe('ATTACK (review-records): a forged incident whose key only has the shape of a child', () => {
  const FORGED_CHILD_KEY = `${ec2Incident().key}-i-0123456789abcdef0`;
  const forgedCopy = () => ({
    ...ec2Incident({ key: FORGED_CHILD_KEY, resource: { type: 'ec2-instance', instanceId: 'i-0123456789abcdef0' } as never }),
    clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 400_000 } },
  });

  async function contained(ddb: ReturnType<typeof world>, records: DynamoDbIncidentRecords) {
    const genuine = ec2Incident();
    await recordTriage(ddb, genuine);
    const quarantine = recordingHandler(
      'quarantine-instance',
      async () => {
        noteVerifiedOrigin();
        return { status: 'quarantined', mode: 'enforce', actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0abc', outcome: 'done', detail: 'isolated' }] };
      },
      { records },
    );
    await quarantine({ incident: genuine, mode: 'enforce' });
    return genuine;
  }

  it('is never gathered under the real incident nor nested under it in the list, triaged on its own or written only by direct invocations', async () => {
    const ddb = world();
    const records = new DynamoDbIncidentRecords(ddb, TABLE, 30);
    const genuine = await contained(ddb, records);
    // The forged intake copy is triaged (its own record) and its own execution's failure alert is genuine.
    await recordTriage(ddb, forgedCopy() as never);
    const alert = recordingHandler(
      'publish-alert',
      async () => {
        noteVerifiedOrigin();
        return { status: 'published', actions: [] };
      },
      { records },
    );
    await alert({ incident: forgedCopy(), kind: 'failure', failure: { step: 'contain', error: 'InstanceNotFound' } });
    // And a child-shaped record written only by a direct invocation.
    const direct = recordingHandler('quarantine-instance', async () => ({ status: 'refused', actions: [] }), { records });
    await direct({ incident: { ...ec2Incident(), key: `${genuine.key}-i-0fedcba9876543210` } });

    const gathered = (await readGatheredIncident(ddb, TABLE, genuine.key))!;
    expect(gathered.children).toEqual([]);
    expect(gathered.refused.map((refused) => refused.key).sort()).toEqual([FORGED_CHILD_KEY, `${genuine.key}-i-0fedcba9876543210`]);
    const report = buildIncidentReport(gathered.record, undefined, { children: gathered.children, refused: gathered.refused });
    expect(report.status).toBe('contained');
    const { incidents } = await listIncidents(ddb, TABLE, { status: 'contained' });
    expect(incidents.map((incident) => [incident.key, incident.children?.length ?? 0])).toEqual([[genuine.key, 0]]);
  });

  it('tried (review-records): a genuine child, started by the parent and confirmed, is still gathered', async () => {
    const ddb = world();
    const records = new DynamoDbIncidentRecords(ddb, TABLE, 30);
    const genuine = await contained(ddb, records);
    const childKey = `${genuine.key}-i-0123456789abcdef0`;
    const guard = recordingHandler(
      'containment-guard',
      async () => {
        noteVerifiedOrigin();
        return { status: 'proceed', actions: [] };
      },
      { records },
    );
    await guard({ incident: { ...ec2Incident(), key: childKey } });
    const gathered = (await readGatheredIncident(ddb, TABLE, genuine.key))!;
    expect(gathered.children.map((child) => child.header.incidentKey)).toEqual([childKey]);
    expect(gathered.refused).toEqual([]);
  });
});

// Row 17f (review-records): row 17d's left item. A grant-checked step's entry counts as confirmed
// when its execution runs and its grant clears it, and the `reasons` of its payload are not part of
// what the grant binds: anyone allowed to invoke quarantine-instance, once the guard wrote the
// grant, invokes it a few times with the running execution's incident and 20 reasons of 500 lone
// surrogates. Each entry is confirmed and some 60 KB: the steps' budget was spent, and the genuine
// quarantine's entry, the isolation itself, was refused: the report read `open`, nothing contained.
describe('ATTACK (review-records): the confirmed budget spent by replays under a running grant', () => {
  it("still records the change a step made, and the report reads it contained", async () => {
    const ddb = world();
    const genuine = ec2Incident();
    const records = new DynamoDbIncidentRecords(ddb, TABLE, 30);
    await recordTriage(ddb, genuine);
    let refused = 0;
    const warn = () => (refused += 1);
    // Replays cleared by the running execution's grant (confirmed), each answering already-quarantined.
    for (let sent = 0; refused === 0 && sent < 50; sent += 1) {
      const replay = recordingHandler(
        'quarantine-instance',
        async () => {
          noteVerifiedOrigin();
          return { status: 'already-quarantined', mode: 'enforce', actions: [] };
        },
        { records, logger: { warn } },
      );
      await replay({ incident: genuine, mode: 'enforce', reasons: Array.from({ length: 20 }, () => '\ud800'.repeat(500)) });
    }
    expect(refused).toBe(1);
    const warnings: unknown[] = [];
    const quarantine = recordingHandler(
      'quarantine-instance',
      async () => {
        noteVerifiedOrigin();
        return { status: 'quarantined', mode: 'enforce', actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0abc', outcome: 'done', detail: 'moved to the isolation group' }] };
      },
      { records, logger: { warn: (...args: unknown[]) => warnings.push(args) } },
    );
    await quarantine({ incident: genuine, mode: 'enforce', reasons: Array.from({ length: 20 }, () => '\ud800'.repeat(500)) });
    expect(warnings).toEqual([]);
    const record = (await readIncidentRecord(ddb, TABLE, genuine.key))!;
    expect(record.entries.at(-1)).toMatchObject({ step: 'quarantine-instance', status: 'quarantined', actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0abc', outcome: 'done' }] });
    expect(record.entries.at(-1)!.reasons).toBeUndefined();
    expect(buildIncidentReport(record).status).toBe('contained');
  });
});
