import { describe, expect, it } from 'vitest';
import type { AccountInspection, GameDayCall } from '../../lib/gameday/backend';
import { containedBy, describeContained, measureContainment } from '../../lib/gameday/timeline';
import { REVOKE_SESSIONS_POLICY_NAME } from '../../lib/responders/quarantine-credentials';
import { MALWARE_OBJECT_TAGS } from '../../lib/responders/s3-malware-object';

const GROUPS = { 'sg-iso': 'firebreak-isolation', 'sg-web': 'web-tier' };
const INJECTED = new Date('2025-01-15T09:00:00.000Z');

let seq = 0;
function call(api: string, input: Record<string, unknown>, at: number, extra: Partial<GameDayCall> = {}): GameDayCall {
  seq += 1;
  return { seq, at: new Date(INJECTED.getTime() + at), api, account: '111122223333', region: 'eu-west-1', caller: 'responder', input, outcome: 'ok', dryRun: false, injected: false, attempt: 1, ...extra };
}

const isolate = (eni: string, at: number, extra: Partial<GameDayCall> = {}) => call('ec2:ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: eni, Groups: ['sg-iso'] }, at, extra);
const disableKey = (key: string, at: number, status = 'Inactive') => call('iam:UpdateAccessKey', { UserName: 'alice', AccessKeyId: key, Status: status }, at);
const revoke = (role: string, at: number, policyName = REVOKE_SESSIONS_POLICY_NAME) => call('iam:PutRolePolicy', { RoleName: role, PolicyName: policyName, PolicyDocument: '{}' }, at);
const tag = (key: string, at: number, tags: { Key: string; Value: string }[]) => call('s3:PutObjectTagging', { Bucket: 'uploads', Key: key, Tagging: { TagSet: tags } }, at);
const INFECTED = { Key: MALWARE_OBJECT_TAGS.scan.key, Value: MALWARE_OBJECT_TAGS.scan.value };

describe('containedBy: the calls that contain something', () => {
  it('recognises an ENI left in the isolation group alone, a key made Inactive, the revoke deny and the malware tag', () => {
    expect(containedBy(isolate('eni-1', 0), GROUPS)).toEqual({ kind: 'eni', id: 'eni-1' });
    expect(containedBy(disableKey('AKIAEXAMPLE', 0), GROUPS)).toEqual({ kind: 'access-key', id: 'AKIAEXAMPLE' });
    expect(containedBy(revoke('app-role', 0), GROUPS)).toEqual({ kind: 'role-sessions', id: 'app-role' });
    expect(containedBy(tag('a.exe', 0, [{ Key: 'owner', Value: 'x' }, INFECTED]), GROUPS)).toEqual({ kind: 's3-object', id: 'uploads/a.exe' });
  });

  it('does not count releases, other groups or policies, dry runs and failed calls', () => {
    expect(containedBy(call('ec2:ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-1', Groups: ['sg-web'] }, 0), GROUPS)).toBeUndefined();
    expect(containedBy(call('ec2:ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-1', Groups: ['sg-iso', 'sg-web'] }, 0), GROUPS)).toBeUndefined();
    expect(containedBy(disableKey('AKIAEXAMPLE', 0, 'Active'), GROUPS)).toBeUndefined();
    expect(containedBy(revoke('app-role', 0, 'SomeoneElsesPolicy'), GROUPS)).toBeUndefined();
    expect(containedBy(tag('a.exe', 0, [{ Key: 'owner', Value: 'x' }]), GROUPS)).toBeUndefined();
    expect(containedBy(tag('a.exe', 0, [{ Key: MALWARE_OBJECT_TAGS.scan.key, Value: 'no-threats-found' }]), GROUPS)).toBeUndefined();
    expect(containedBy(isolate('eni-1', 0, { dryRun: true }), GROUPS)).toBeUndefined();
    expect(containedBy(isolate('eni-1', 0, { outcome: 'error', errorCode: 'UnauthorizedOperation' }), GROUPS)).toBeUndefined();
    expect(containedBy(call('ec2:DescribeInstances', {}, 0), GROUPS)).toBeUndefined();
  });
});

describe('measureContainment', () => {
  const after = { groupNames: GROUPS } as unknown as AccountInspection;

  it('ends at the last containing call and counts each resource once, by kind', () => {
    const calls = [isolate('eni-1', 1000), isolate('eni-1', 1500), disableKey('AKIAEXAMPLE', 2000), call('sns:Publish', {}, 9000), revoke('app-role', 2500), disableKey('AKIAEXAMPLE', 2600, 'Active')];
    const containment = measureContainment(calls, after, INJECTED, 0);
    expect(containment).toEqual({ simMs: 2500, isolatedEnis: 1, contained: { eni: 1, 'access-key': 1, 'role-sessions': 1 } });
    expect(describeContained(containment?.contained ?? {})).toBe("1 ENI(s) isolated, 1 access key(s) deactivated, 1 role(s)' older sessions revoked");
  });

  it('is undefined when nothing was contained (a dry run, a refusal, an alert only)', () => {
    expect(measureContainment([isolate('eni-1', 1000, { dryRun: true }), call('sns:Publish', {}, 2000)], after, INJECTED, 0)).toBeUndefined();
  });
});
