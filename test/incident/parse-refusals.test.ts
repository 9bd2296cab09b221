import { describe, expect, it } from 'vitest';
import { EventParseError, parseEvent, parseEventJson, parseEvents } from '../../lib/incident/parse';
import { fieldAt, fixtureEvent, toPascalCase, withField } from './events';

const receivedAt = new Date('2026-04-01T12:00:00.000Z');

/** The EventParseError `run` throws (failing the test if it throws anything else, or nothing). */
function refusal(run: () => unknown): EventParseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EventParseError);
    return error as EventParseError;
  }
  throw new Error('expected an EventParseError, but the event was accepted');
}

const refuse = (input: unknown): EventParseError => refusal(() => parseEvent(input, { receivedAt }));

const guardDutyEvent = fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json');
const finding = fieldAt(guardDutyEvent, ['detail']);
const alarmEvent = fixtureEvent('cloudwatch-alarm-ec2-status-check-alarm-to-ok.json');

describe('EventParseError', () => {
  it('is an Error named EventParseError whose message names the field path, the expectation and what was found', () => {
    const error = refuse(withField(guardDutyEvent, ['detail', 'severity'], 'high'));
    expect(error.name).toBe('EventParseError');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('detail.severity: expected a number from 0 to 10, received "high"');
    expect(error.issues).toEqual([{ path: 'detail.severity', expected: 'a number from 0 to 10', received: '"high"' }]);
  });
});

describe('parseEvent refuses what is not an accepted event', () => {
  it.each([
    ['null', null, 'null'],
    ['an array', [guardDutyEvent], 'an array of 1'],
    ['a string', 'GuardDuty Finding', '"GuardDuty Finding"'],
    ['a number', 42, '42'],
    ['a boolean', true, 'true'],
    ['an empty object', {}, 'an object'],
    ['an object of junk', { hello: 'world', nested: { deeper: [1, 2, 3] } }, 'an object'],
  ])('refuses %s at the root', (_name, input, received) => {
    const error = refuse(input);
    expect(error.issues).toEqual([
      {
        path: '(root)',
        expected: 'an EventBridge event (source, detail-type, detail), a GuardDuty finding, or a GetFindings response {"Findings": [...]}',
        received,
      },
    ]);
  });

  it('refuses severity "high" naming detail.severity', () => {
    expect(refuse(withField(guardDutyEvent, ['detail', 'severity'], 'high')).issues[0]?.path).toBe('detail.severity');
  });

  it.each([11, -1, 10.5, Number.MAX_VALUE, '11', '1e3', ''])('refuses severity %s as out of 0–10', (severity) => {
    const error = refuse(withField(guardDutyEvent, ['detail', 'severity'], severity));
    expect(error.issues).toEqual([{ path: 'detail.severity', expected: 'a number from 0 to 10', received: expect.any(String) }]);
  });

  it('refuses a missing severity as received nothing', () => {
    expect(refuse(withField(guardDutyEvent, ['detail', 'severity'], undefined)).message).toBe(
      'detail.severity: expected a number from 0 to 10, received nothing',
    );
  });

  it('refuses a finding without an id', () => {
    expect(refuse(withField(guardDutyEvent, ['detail', 'id'], undefined)).issues).toEqual([
      { path: 'detail.id', expected: 'a finding id', received: 'nothing' },
    ]);
    expect(refuse(withField(finding, ['id'], '')).issues).toEqual([{ path: 'id', expected: 'a finding id', received: '""' }]);
  });

  it('names the PascalCase path of a GetFindings finding as the caller wrote it', () => {
    const pascal = toPascalCase(withField(finding, ['id'], undefined));
    expect(refuse({ Findings: [pascal] }).issues).toEqual([{ path: 'Findings[0].Id', expected: 'a finding id', received: 'nothing' }]);
    const badGroup = toPascalCase(withField(finding, ['resource', 'instanceDetails', 'networkInterfaces', 1, 'securityGroups', 0, 'groupId'], 7));
    expect(refuse({ Findings: [badGroup] }).message).toBe(
      'Findings[0].Resource.InstanceDetails.NetworkInterfaces[1].SecurityGroups[0].GroupId: expected a security group id, received 7',
    );
  });

  it('lists every faulty field, in every finding of a GetFindings response', () => {
    const first = toPascalCase(withField(finding, ['severity'], 'high'));
    const second = toPascalCase(withField(finding, ['type'], undefined));
    const error = refusal(() => parseEvents({ Findings: [first, second] }, { receivedAt }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['Findings[0].Severity', 'Findings[1].Type']);
  });

  it('refuses an envelope from aws.guardduty whose detail-type is neither a finding nor an S3 object scan result', () => {
    const error = refuse(withField(guardDutyEvent, ['detail-type'], 'GuardDuty Runtime Protection Unhealthy'));
    expect(error.issues).toEqual([
      {
        path: 'detail-type',
        expected: '"GuardDuty Finding" or "GuardDuty Malware Protection Object Scan Result" (the detail-types Firebreak handles from aws.guardduty)',
        received: '"GuardDuty Runtime Protection Unhealthy"',
      },
    ]);
  });

  it('refuses a GuardDuty finding sent as a CloudWatch alarm, and an alarm sent from aws.guardduty', () => {
    expect(refuse(withField(guardDutyEvent, ['source'], 'aws.cloudwatch')).issues[0]?.path).toBe('detail-type');
    expect(refuse(withField(alarmEvent, ['source'], 'aws.guardduty')).issues[0]?.path).toBe('detail-type');
  });

  it('refuses any other source, naming the accepted ones', () => {
    expect(refuse(withField(guardDutyEvent, ['source'], 'aws.securityhub')).message).toBe(
      'source: expected one of "aws.guardduty", "aws.cloudwatch", "firebreak.gameday", received "aws.securityhub"',
    );
  });

  it('refuses an envelope source that names an Object.prototype member', () => {
    expect(refuse(withField(guardDutyEvent, ['source'], 'constructor')).issues[0]?.path).toBe('source');
    expect(refuse(withField(guardDutyEvent, ['source'], '__proto__')).issues[0]?.path).toBe('source');
  });

  it('refuses an envelope whose detail is missing or not an object', () => {
    expect(refuse(withField(guardDutyEvent, ['detail'], undefined)).issues[0]).toMatchObject({ path: 'detail', received: 'nothing' });
    expect(refuse(withField(guardDutyEvent, ['detail'], [finding])).issues[0]).toMatchObject({ path: 'detail', received: 'an array of 1' });
    expect(refuse(withField(guardDutyEvent, ['detail'], 'x')).issues[0]).toMatchObject({ path: 'detail', received: '"x"' });
  });

  it('refuses two findings given to parseEvent, pointing at parseEvents', () => {
    const error = refuse({ Findings: [toPascalCase(finding), toPascalCase(finding)] });
    expect(error.issues).toEqual([{ path: 'Findings', expected: 'exactly one finding (parseEvents accepts several)', received: 'an array of 2' }]);
  });

  it('refuses an empty GetFindings response in parseEvent, and a Findings that is not a list', () => {
    expect(refuse({ Findings: [] }).issues[0]).toMatchObject({ path: 'Findings', received: 'an empty array' });
    expect(refuse({ Findings: { Id: 'x' } }).issues[0]).toMatchObject({ path: 'Findings', expected: 'a list of GuardDuty findings' });
  });

  it('refuses an instance finding without an instance id', () => {
    expect(refuse(withField(guardDutyEvent, ['detail', 'resource', 'instanceDetails', 'instanceId'], undefined)).issues).toEqual([
      { path: 'detail.resource.instanceDetails.instanceId', expected: 'an EC2 instance id (resourceType is Instance)', received: 'nothing' },
    ]);
    expect(refuse(withField(guardDutyEvent, ['detail', 'resource', 'instanceDetails'], undefined)).issues[0]?.path).toBe(
      'detail.resource.instanceDetails',
    );
  });

  it('refuses ill-typed fields it reads, wherever they are', () => {
    const cases: [readonly (string | number)[], unknown, string][] = [
      [['detail', 'type'], 42, 'detail.type'],
      [['detail', 'title'], null, 'detail.title'],
      [['detail', 'createdAt'], { at: 'now' }, 'detail.createdAt'],
      [['detail', 'updatedAt'], undefined, 'detail.updatedAt'],
      [['detail', 'service', 'count'], 'four', 'detail.service.count'],
      [['detail', 'service', 'count'], 2.5, 'detail.service.count'],
      [['detail', 'resource', 'instanceDetails', 'networkInterfaces'], 'eni-1', 'detail.resource.instanceDetails.networkInterfaces'],
      [['detail', 'resource', 'instanceDetails', 'tags', 0, 'key'], 5, 'detail.resource.instanceDetails.tags[0].key'],
      [['detail', 'service', 'action', 'networkConnectionAction', 'remoteIpDetails', 'ipAddressV4'], 3232235777, 'detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4'],
      [['detail', 'resource', 'resourceType'], undefined, 'detail.resource.resourceType'],
    ];
    for (const [path, value, expectedPath] of cases) {
      expect(refuse(withField(guardDutyEvent, path, value)).issues.map((issue) => issue.path), expectedPath).toEqual([expectedPath]);
    }
  });

  it('refuses an account or region that could not be real', () => {
    expect(refuse(withField(guardDutyEvent, ['detail', 'accountId'], '1234')).issues).toEqual([
      { path: 'detail.accountId', expected: 'an AWS account id (12 digits)', received: '"1234"' },
    ]);
    expect(refuse(withField(guardDutyEvent, ['detail', 'region'], 'eu-west-1/../../x')).issues[0]?.path).toBe('detail.region');
    const noAccount = withField(withField(guardDutyEvent, ['detail', 'accountId'], undefined), ['account'], undefined);
    expect(refuse(noAccount).issues).toEqual([{ path: 'account', expected: 'an AWS account id (12 digits)', received: 'nothing' }]);
    expect(refuse(withField(finding, ['accountId'], undefined)).issues[0]).toMatchObject({ path: 'accountId', received: 'nothing' });
  });

  it('refuses an alarm with an unknown state, an unreadable state time or no name', () => {
    expect(refuse(withField(alarmEvent, ['detail', 'state', 'value'], 'BROKEN')).message).toBe(
      'detail.state.value: expected one of OK, ALARM, INSUFFICIENT_DATA, received "BROKEN"',
    );
    expect(refuse(withField(alarmEvent, ['detail', 'state', 'timestamp'], 'yesterday')).issues[0]?.path).toBe('detail.state.timestamp');
    expect(refuse(withField(alarmEvent, ['detail', 'alarmName'], undefined)).issues[0]?.path).toBe('detail.alarmName');
    expect(refuse(withField(alarmEvent, ['detail', 'alarmName'], 'a'.repeat(256))).issues[0]?.path).toBe('detail.alarmName');
  });

  it('refuses an alarm whose envelope has no account or region', () => {
    expect(refuse(withField(alarmEvent, ['account'], undefined)).issues[0]?.path).toBe('account');
    expect(refuse(withField(alarmEvent, ['region'], 'mars-1')).issues[0]?.path).toBe('region');
  });

  it('refuses a non-string dimension value with its path', () => {
    const event = withField(alarmEvent, ['detail', 'configuration', 'metrics', 0, 'metricStat', 'metric', 'dimensions', 'InstanceId'], 5);
    expect(refuse(event).issues[0]?.path).toBe('detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId');
  });

  it('refuses a bare alarm detail, asking for the whole event', () => {
    expect(refuse(fieldAt(alarmEvent, ['detail'])).issues[0]?.expected).toMatch(/whole "CloudWatch Alarm State Change" event/);
  });

  it('ignores __proto__ keys: no prototype pollution, and the event still parses', () => {
    const hostile = JSON.parse(
      JSON.stringify(guardDutyEvent).replace('"detail":{', '"__proto__":{"polluted":true},"detail":{"__proto__":{"polluted":true},'),
    ) as unknown;
    const incident = parseEvent(hostile, { receivedAt });
    expect(incident.key).toBe('gd-4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const pascal = JSON.parse(`{"Findings":[{"__proto__":{"Id":"x"},${JSON.stringify(toPascalCase(finding)).slice(1)}]}`) as unknown;
    expect(parseEvent(pascal, { receivedAt }).key).toBe('gd-4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b');
    expect(({} as Record<string, unknown>).Id).toBeUndefined();
  });

  it('does not take an id from __proto__ when the finding has none', () => {
    const hostile = JSON.parse('{"__proto__":{"id":"abc"},"type":"Backdoor:EC2/C&CActivity.B","severity":8}') as unknown;
    expect(refuse(hostile).issues.map((issue) => issue.path)).toContain('id');
  });

  it('survives deeply nested junk (tolerated where it is not read, refused where it is)', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 5000; level += 1) deep = { next: [deep] };
    const incident = parseEvent(withField(guardDutyEvent, ['detail', 'service', 'additionalInfo', 'junk'], deep), { receivedAt });
    expect(incident.key).toBe('gd-4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b');
    expect(refuse(withField(guardDutyEvent, ['detail', 'resource'], deep)).issues[0]?.path).toBe('detail.resource.resourceType');
    expect(refuse(deep).issues[0]?.path).toBe('(root)');
  });

  it('handles huge strings: a huge id or type is refused with a truncated echo, a huge free text is capped', () => {
    const huge = 'A'.repeat(5_000_000);
    const error = refuse(withField(guardDutyEvent, ['detail', 'id'], huge));
    expect(error.issues[0]).toMatchObject({ path: 'detail.id', expected: 'a finding id of at most 256 characters' });
    expect(error.message.length).toBeLessThan(200);
    expect(refuse(withField(guardDutyEvent, ['detail', 'updatedAt'], huge)).issues[0]?.path).toBe('detail.updatedAt');
    expect(parseEvent(withField(guardDutyEvent, ['detail', 'description'], huge), { receivedAt }).description?.length).toBe(8192);
  });

  it('refuses an invalid receivedAt option', () => {
    expect(refusal(() => parseEvent(guardDutyEvent, { receivedAt: new Date('nope') })).issues[0]?.path).toBe('options.receivedAt');
  });

  it('caps the message at five issues and counts the rest', () => {
    const error = refuse({ id: 1, type: 2, title: 3, severity: 'x', createdAt: {}, updatedAt: [], accountId: 4 });
    expect(error.issues.length).toBeGreaterThan(5);
    expect(error.message).toMatch(/; and \d+ more$/);
  });
});

describe('parseEventJson', () => {
  it('turns unreadable JSON into an EventParseError at the root, with the SyntaxError as cause', () => {
    const error = refusal(() => parseEventJson('{"source": "aws.guardduty",'));
    expect(error.issues[0]?.path).toBe('(root)');
    expect(error.issues[0]?.expected).toMatch(/^JSON text/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses empty text and non-string input the same way', () => {
    expect(refusal(() => parseEventJson('')).issues[0]?.path).toBe('(root)');
    expect(refusal(() => parseEventJson(undefined as unknown as string)).issues[0]?.path).toBe('(root)');
  });

  it('refuses JSON nested a million levels deep, without a RangeError escaping', () => {
    const error = refusal(() => parseEventJson(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`));
    expect(error.issues[0]?.path).toBe('(root)');
    const objects = refusal(() => parseEventJson(`${'{"detail":'.repeat(100_000)}1${'}'.repeat(100_000)}`));
    expect(objects.issues.map((issue) => issue.path)).toEqual(['source', 'detail-type']);
  });

  it('refuses valid JSON that is not an event', () => {
    expect(refusal(() => parseEventJson('null')).issues[0]?.received).toBe('null');
  });
});
