/**
 * EventBridge pattern matching against the examples of the Amazon EventBridge User Guide
 * ("Event patterns", "Comparison operators for use in event patterns", "Content filtering").
 */
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesEventPattern, patternMismatch, validateEventPattern } from '../../lib/gameday/event-patterns';
import type { Playbook } from '../../lib/playbooks/model';
import { alarmNameFilter } from '../../lib/stack/rules';

// The guide's sample event (an EC2 state change), with the fields its content-filtering examples use.
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.123',
    FileName: 'photo.PNG',
    FilePath: '/usr/lib/node',
    LastName: '',
    responseElements: null,
    flags: [true, 'beta'],
    interfaces: [
      { id: 'eni-1', groups: ['sg-a', 'sg-b'], primary: true },
      { id: 'eni-2', groups: ['sg-c'], primary: false },
    ],
  },
};

const matches = (pattern: Record<string, unknown>, event: unknown = ec2Event) => matchesEventPattern(pattern, event);

describe('matchesEventPattern', () => {
  it('matches every named field (AND) against any listed value (OR), and ignores the others', () => {
    expect(matches({ source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } })).toBe(true);
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] })).toBe(true);
    expect(matches({ source: ['aws.ec2'], detail: { state: ['running'] } })).toBe(false);
    expect(matches({ source: ['AWS.EC2'] })).toBe(false);
  });

  it('needs the pattern’s fields with the same nesting', () => {
    expect(matches({ detail: { 'instance-id': ['i-1234567890abcdef0'] } })).toBe(true);
    expect(matches({ 'instance-id': ['i-1234567890abcdef0'] })).toBe(false);
    expect(matches({ detail: { missing: ['x'] } })).toBe(false);
  });

  it('matches an event array when any element matches (resources)', () => {
    expect(matches({ resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0', 'arn:aws:ec2:us-west-1:123456789012:instance/i-other'] })).toBe(true);
    expect(matches({ resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-other'] })).toBe(false);
    expect(matches({ detail: { flags: [true] } })).toBe(true);
  });

  it('matches arrays of objects element by element', () => {
    expect(matches({ detail: { interfaces: { id: ['eni-2'], primary: [false] } } })).toBe(true);
    // id from one element and primary from the other do not make a match.
    expect(matches({ detail: { interfaces: { id: ['eni-2'], primary: [true] } } })).toBe(false);
    expect(matches({ detail: { interfaces: { groups: ['sg-b'] } } })).toBe(true);
  });

  it('matches null and the empty string as values, and numbers by value only', () => {
    expect(matches({ detail: { responseElements: [null] } })).toBe(true);
    expect(matches({ detail: { LastName: [''] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [5] } })).toBe(true);
    expect(matches({ detail: { 'c-count': ['5'] } })).toBe(false);
  });

  it('prefix, suffix and equals-ignore-case (also inside prefix and suffix)', () => {
    expect(matches({ time: [{ prefix: '2017-12-22' }] })).toBe(true);
    expect(matches({ region: [{ prefix: 'us-' }] })).toBe(true);
    expect(matches({ detail: { FileName: [{ suffix: '.png' }] } })).toBe(false);
    expect(matches({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } })).toBe(true);
    expect(matches({ source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] })).toBe(true);
    expect(matches({ detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ prefix: '5' }] } })).toBe(false);
  });

  it('wildcard, with \\* for a literal star', () => {
    expect(matches({ resources: [{ wildcard: 'arn:aws:ec2:us-west-1:*:instance/*' }] })).toBe(true);
    expect(matches({ detail: { FilePath: [{ wildcard: '*/lib/*' }] } })).toBe(true);
    expect(matches({ detail: { name: [{ wildcard: 'a\\*b' }] } }, { detail: { name: 'a*b' } })).toBe(true);
    expect(matches({ detail: { name: [{ wildcard: 'a\\*b' }] } }, { detail: { name: 'axxb' } })).toBe(false);
  });

  it('anything-but: a value, a list, a number, and with prefix, suffix, equals-ignore-case and wildcard', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } })).toBe(false);
    expect(matches({ detail: { 'c-count': [{ 'anything-but': 5 }] } })).toBe(false);
    expect(matches({ detail: { 'c-count': [{ 'anything-but': 123 }] } })).toBe(true);
    expect(matches({ region: [{ 'anything-but': { prefix: 'us-' } }] })).toBe(false);
    expect(matches({ region: [{ 'anything-but': { prefix: 'eu-' } }] })).toBe(true);
    expect(matches({ detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['TERMINATED', 'Stopped'] } }] } })).toBe(false);
    expect(matches({ detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } })).toBe(false);
    // anything-but never matches an absent field.
    expect(matches({ detail: { absent: [{ 'anything-but': 'x' }] } })).toBe(false);
  });

  it('numeric ranges, numbers only', () => {
    expect(matches({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ numeric: ['>', 5] }] } })).toBe(false);
    expect(matches({ detail: { state: [{ numeric: ['>', 0] }] } })).toBe(false);
    expect(matches({ detail: { severity: [{ numeric: ['>=', 4] }] } }, { detail: { severity: 3.9 } })).toBe(false);
    expect(matches({ detail: { severity: [{ numeric: ['>=', 4] }] } }, { detail: { severity: 4 } })).toBe(true);
    expect(matches({ detail: { severity: [{ numeric: ['>=', 4] }] } }, { detail: { severity: '8.0' } })).toBe(false);
  });

  it('exists true/false on leaf fields', () => {
    expect(matches({ detail: { state: [{ exists: true }] } })).toBe(true);
    expect(matches({ detail: { absent: [{ exists: false }] } })).toBe(true);
    expect(matches({ detail: { state: [{ exists: false }] } })).toBe(false);
    expect(matches({ detail: { absent: [{ exists: true }] } })).toBe(false);
    // Not on intermediate nodes: an object is not a leaf value.
    expect(matches({ detail: [{ exists: true }] })).toBe(false);
    // An absent parent still satisfies exists: false below it.
    expect(matches({ nothing: { here: [{ exists: false }] } })).toBe(true);
  });

  it('cidr', () => {
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } })).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } })).toBe(false);
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:1::5' })).toBe(true);
  });

  it('$or between alternatives, combined with the other fields', () => {
    const pattern = {
      source: ['aws.ec2'],
      detail: {
        $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }],
      },
    };
    expect(matches(pattern)).toBe(true);
    expect(matches({ ...pattern, source: ['aws.s3'] })).toBe(false);
    expect(matches({ detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['>', 10] }] }] } })).toBe(false);
    expect(matches({ $or: [{ source: ['aws.s3'] }, { detail: { state: ['terminated'] } }] })).toBe(true);
  });

  it('says which field failed', () => {
    expect(patternMismatch({ source: ['aws.cloudwatch'], detail: { state: { value: ['ALARM'] } } }, { source: 'aws.cloudwatch', detail: { state: { value: 'OK' } } })).toBe(
      'detail.state.value: "OK" does not match ["ALARM"]',
    );
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html and the
  // engine EventBridge runs (aws/event-ruler README, "JSON Array Matching"): the array structure is
  // crushed out of the event, at every level, so an array nested in an array is matched element by element.
  it('FIDELITY (fid-patterns) matches values and objects inside nested arrays, as EventBridge crushes every level of array', () => {
    expect(matches({ detail: { tags: ['prod'] } }, { detail: { tags: [['dev'], ['prod', 'eu']] } })).toBe(true);
    expect(matches({ detail: { tags: [{ prefix: 'pr' }] } }, { detail: { tags: [[['prod']]] } })).toBe(true);
    expect(matches({ detail: { tags: [{ exists: true }] } }, { detail: { tags: [[]] } })).toBe(false);
    expect(matches({ detail: { tags: [{ exists: false }] } }, { detail: { tags: [[]] } })).toBe(true);
    const employees = { employees: [[{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }], [{ firstName: 'Peter', lastName: 'Jones' }]] };
    expect(matches({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
    expect(matches({ employees: { firstName: ['Peter'], lastName: ['Jones'] } }, employees)).toBe(true);
    // Still one element's fields: Anna from one object and Jones from another make no match.
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching:
  // consecutive wildcard characters are not supported, and a backslash escapes only `*` and `\`.
  it('FIDELITY (fid-patterns) refuses the wildcards EventBridge refuses: consecutive stars, and escapes of anything but * and \\', () => {
    expect(() => matches({ detail: { name: [{ wildcard: 'prod-**' }] } })).toThrow(/consecutive wildcard/);
    expect(() => matches({ detail: { name: [{ 'anything-but': { wildcard: ['a**b'] } }] } })).toThrow(/consecutive wildcard/);
    expect(() => matches({ detail: { name: [{ wildcard: 'a\\.b' }] } })).toThrow(/escapes only/);
    expect(() => matches({ detail: { name: [{ wildcard: 'ab\\' }] } })).toThrow(/escapes only/);
    // An escaped star beside a wildcard is not two wildcards; an escaped backslash before one is fine.
    expect(matches({ detail: { name: [{ wildcard: '*\\**' }] } }, { detail: { name: 'a*b' } })).toBe(true);
    expect(matches({ detail: { name: [{ wildcard: 'a\\\\*' }] } }, { detail: { name: 'a\\bc' } })).toBe(true);
  });

  it('FIDELITY (fid-patterns) the CloudWatch rule’s alarm-name filter, from globs with ** or a backslash, is a pattern EventBridge accepts and matches what the globs match', () => {
    const alarmPlaybook = {
      name: 'alarms',
      description: 'alarms',
      match: { sources: ['cloudwatch'], alarmNames: ['prod-**-cpu', 'a\\b*', 'db***'] },
      priority: 1,
      mode: 'enforce',
      steps: [],
      file: 'playbooks/alarms.yaml',
    } as unknown as Playbook;
    const pattern = { detail: { alarmName: alarmNameFilter([alarmPlaybook]) } };
    expect(() => validateEventPattern(pattern)).not.toThrow();
    expect(matches(pattern, { detail: { alarmName: 'prod-web-cpu' } })).toBe(true);
    expect(matches(pattern, { detail: { alarmName: 'a\\bcd' } })).toBe(true);
    expect(matches(pattern, { detail: { alarmName: 'db' } })).toBe(true);
    expect(matches(pattern, { detail: { alarmName: 'prod-web-mem' } })).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-anything-but:
  // anything-but takes a string, a number, or a list of only strings or only numbers.
  it('FIDELITY (fid-patterns) refuses an anything-but list that mixes strings and numbers', () => {
    expect(() => matches({ detail: { state: [{ 'anything-but': ['stopped', 5] }] } })).toThrow(InvalidEventPatternError);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ 'anything-but': [1, 2] }] } })).toBe(true);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-numeric-matching
  // and the rule compiler of aws/event-ruler (the engine EventBridge runs): `=`, `<` and `<=` stand
  // alone; a range is a lower bound (`>`, `>=`) then an upper one (`<`, `<=`).
  it('FIDELITY (fid-patterns) refuses the numeric comparisons EventBridge refuses: two lower bounds, an upper bound first, = with another', () => {
    expect(() => matches({ detail: { n: [{ numeric: ['>', 5, '>', 3] }] } })).toThrow(InvalidEventPatternError);
    expect(() => matches({ detail: { n: [{ numeric: ['<', 10, '>', 0] }] } })).toThrow(InvalidEventPatternError);
    expect(() => matches({ detail: { n: [{ numeric: ['=', 1, '<', 5] }] } })).toThrow(InvalidEventPatternError);
    expect(matches({ detail: { 'c-count': [{ numeric: ['>=', 5, '<', 6] }] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ numeric: ['<=', 5] }] } })).toBe(true);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-ip-matching:
  // a CIDR block EventBridge cannot read is refused at PutRule, not a rule that never matches.
  it('FIDELITY (fid-patterns) refuses a cidr that is no CIDR block (an address out of range, a prefix longer than the address)', () => {
    expect(() => matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/33' }] } })).toThrow(InvalidEventPatternError);
    expect(() => matches({ detail: { 'source-ip': [{ cidr: '300.0.0.0/8' }] } })).toThrow(InvalidEventPatternError);
    expect(() => matches({ detail: { 'source-ip': [{ cidr: '2001:db8::/129' }] } })).toThrow(InvalidEventPatternError);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/8' }] } })).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '2001:db8::/32' }] } })).toBe(false);
  });

  // The rule compiler of aws/event-ruler: "Null prefix/suffix not allowed" inside anything-but.
  it('FIDELITY (fid-patterns) refuses an empty prefix or suffix inside anything-but', () => {
    expect(() => matches({ region: [{ 'anything-but': { prefix: '' } }] })).toThrow(InvalidEventPatternError);
    expect(() => matches({ region: [{ 'anything-but': { suffix: ['x', ''] } }] })).toThrow(InvalidEventPatternError);
  });

  it('refuses patterns EventBridge refuses', () => {
    expect(() => matches({ source: [] })).toThrow(InvalidEventPatternError);
    expect(() => matches({ source: [{ 'starts-with': 'aws.' }] })).toThrow(/unknown operator 'starts-with'/);
    expect(() => matches({ detail: { n: [{ numeric: ['>>', 1] }] } })).toThrow(InvalidEventPatternError);
    expect(() => matches({ source: 'aws.ec2' })).toThrow(InvalidEventPatternError);
  });
});
