import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GAMEDAY_INCIDENT_KEY_PREFIX, servedAccountsFromEnvironment } from '../../lib/contracts/security';
import { identifierIssues, isPlaceholderInstanceId } from '../../lib/incident/identifiers';
import type { Incident } from '../../lib/incident/model';
import { executionNameFor, parseEvent } from '../../lib/incident/parse';
import type { RoutedPlaybook, RoutingTable } from '../../lib/playbooks/routing';
import { routingEnvironment } from '../../lib/playbooks/routing';
import { triage } from '../../lib/playbooks/triage';
import { createTriageHandler } from '../../lib/responders/triage-handler';
import type { TriageDeployment } from '../../lib/playbooks/triage';
import { isPlaceholderInstanceId as responderPlaceholderRule } from '../../lib/responders/instance-state';
import { silentLogger } from '../../lib/responders/logging';
import { clone, fixtureEvent } from '../incident/events';
import { ACCOUNT, ec2Incident, ec2Resource } from '../support/incidents';

const CONTAIN: RoutedPlaybook = {
  name: 'compromised-ec2-instance',
  priority: 100,
  mode: 'enforce',
  match: { sources: ['guardduty', 'cloudwatch'], resourceKinds: ['ec2-instance'] },
  steps: ['quarantine-instance', 'snapshot-volumes', 'notify'],
  index: 0,
};
const ROUTING: RoutingTable = { playbooks: [CONTAIN], settings: { forceDryRun: false } };

/** Served: the security account only (no member role). */
const SECURITY_ONLY: TriageDeployment = deployment({ FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT });

function deployment(environment: Record<string, string | undefined>): TriageDeployment {
  return { servedAccounts: servedAccountsFromEnvironment(environment) };
}

function withInstanceId(instanceId: string, overrides: Partial<Incident> = {}): Incident {
  return ec2Incident({ resource: ec2Resource({ instanceId }), ...overrides });
}

describe('triage at the boundary: instance ids', () => {
  it.each([
    ['a shell injection', 'i-0abc; rm -rf /'],
    ['uppercase hex', 'i-0ABC1234DEF567890'],
    ['nine hex digits', 'i-0abc12345'],
    ['no prefix', '0abc1234def567890'],
    ['an empty id', ''],
    ['a newline', 'i-0abc1234def567890\nFORGED'],
  ])('refuses %s: alert-only, naming the field, no playbook, no execution name', (_, instanceId) => {
    const decision = triage(withInstanceId(instanceId), ROUTING);
    expect(decision).toMatchObject({ outcome: 'alert-only', playbook: null, playbookIndex: null, executionName: null, steps: [] });
    expect(decision.reasons.at(-1)).toContain('Refused at the boundary: the resource.instanceDetails.instanceId');
    expect(decision.reasons.at(-1)).toContain('is malformed');
  });

  it('refuses the placeholder i-99999999 on a finding without the sample flag', () => {
    const decision = triage(withInstanceId('i-99999999'), ROUTING);
    expect(decision).toMatchObject({ outcome: 'alert-only', playbook: null });
    expect(decision.reasons.at(-1)).toContain('the resource.instanceDetails.instanceId "i-99999999" is a placeholder id');
  });

  it.each(['i-00000000', 'i-fffffffffffffffff'])('refuses the placeholder %s without the sample flag', (instanceId) => {
    expect(triage(withInstanceId(instanceId), ROUTING).outcome).toBe('alert-only');
  });

  it('lets a sample finding with the placeholder through, in dry-run only (the existing sample gate)', () => {
    const decision = triage(withInstanceId('i-99999999', { sample: true }), ROUTING);
    expect(decision).toMatchObject({ outcome: 'start-playbook', mode: 'dry-run' });
  });

  it('refuses a malformed instance id even on a sample finding', () => {
    expect(triage(withInstanceId('i-0abc; rm -rf /', { sample: true }), ROUTING).outcome).toBe('alert-only');
  });

  it('routes a well-formed real id (17 and 8 hex digits) to the playbook in enforce', () => {
    for (const instanceId of ['i-0abc1234def567890', 'i-0a1b2c3d']) {
      expect(triage(withInstanceId(instanceId), ROUTING)).toMatchObject({ outcome: 'start-playbook', mode: 'enforce', playbook: CONTAIN.name });
    }
  });

  it('refuses a malformed InstanceId dimension of an alarm, naming the dimension', () => {
    const alarm = withInstanceId('i-0abc`reboot`', {
      source: 'cloudwatch',
      findingType: 'CloudWatch:Alarm/ALARM',
      guardDuty: undefined,
      alarm: { alarmName: 'cpu', kind: 'metric', state: 'ALARM', metrics: [] },
    });
    const decision = triage(alarm, ROUTING);
    expect(decision.outcome).toBe('alert-only');
    expect(decision.reasons.at(-1)).toContain('the alarm dimension InstanceId');
  });

  it('uses the one placeholder rule the responders use (no second definition)', () => {
    expect(responderPlaceholderRule).toBe(isPlaceholderInstanceId);
  });
});

describe('triage at the boundary: the other ids that reach AWS calls', () => {
  const eni = ec2Resource().networkInterfaces[0]!;
  it.each([
    ['networkInterfaceId', { ...eni, networkInterfaceId: 'eni-../../etc' }, 'networkInterfaces[0].networkInterfaceId'],
    ['vpcId', { ...eni, vpcId: 'vpc-0123 OR 1=1' }, 'networkInterfaces[0].vpcId'],
    ['subnetId', { ...eni, subnetId: 'subnet-XYZ' }, 'networkInterfaces[0].subnetId'],
    ['groupId', { ...eni, securityGroups: [{ groupId: 'sg-<script>' }] }, 'networkInterfaces[0].securityGroups[0].groupId'],
  ])('refuses a malformed %s, naming the field', (_, networkInterface, field) => {
    const decision = triage(ec2Incident({ resource: ec2Resource({ networkInterfaces: [networkInterface] }) }), ROUTING);
    expect(decision.outcome).toBe('alert-only');
    expect(decision.reasons.at(-1)).toContain(`the resource.instanceDetails.${field}`);
  });

  it('accepts the GeneratedFinding… placeholders of a sample finding (dry-run as ever)', () => {
    const sample = ec2Incident({
      sample: true,
      resource: ec2Resource({
        instanceId: 'i-99999999',
        networkInterfaces: [{ ...eni, vpcId: 'GeneratedFindingVPCId', securityGroups: [{ groupId: 'GeneratedFindingSecurityId' }] }],
      }),
    });
    expect(triage(sample, ROUTING)).toMatchObject({ outcome: 'start-playbook', mode: 'dry-run' });
  });

  it('refuses a malformed account or region (built by hand: the parser already refuses them)', () => {
    expect(identifierIssues(ec2Incident({ account: '1111; ls' }))).toEqual([expect.objectContaining({ field: 'accountId', problem: 'malformed' })]);
    expect(identifierIssues(ec2Incident({ region: 'eu-west-1/../x' }))).toEqual([expect.objectContaining({ field: 'region', problem: 'malformed' })]);
    expect(triage(ec2Incident({ region: 'EU' }), ROUTING).outcome).toBe('alert-only');
  });

  it('finds nothing wrong with the test incident itself (the check above can pass)', () => {
    expect(identifierIssues(ec2Incident())).toEqual([]);
  });

  describe('access key ids', () => {
    const DISABLE_KEY: RoutedPlaybook = {
      name: 'iam-user-key-compromise',
      priority: 100,
      mode: 'enforce',
      match: { sources: ['guardduty'], resourceKinds: ['access-key'] },
      steps: ['disable-access-key', 'notify'],
      index: 0,
    };
    const keyIncident = (accessKeyId: string | undefined, sample = false): Incident =>
      ec2Incident({
        findingType: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
        sample,
        resource: { kind: 'access-key', ...(accessKeyId !== undefined ? { accessKeyId } : {}), userName: 'ci-deployer', userType: 'IAMUser' },
      });
    const KEYS: RoutingTable = { playbooks: [DISABLE_KEY], settings: { forceDryRun: false } };

    // Review of session 15: a malformed key reached iam-user-key-compromise in enforce, took a
    // blast-radius slot and a grant, and its step then said the finding named no key.
    it.each([['a shell injection', 'AKIA; rm -rf /'], ['empty', ''], ['lower case', 'akiaiosfodnn7example'], ['another prefix', 'AIDAIOSFODNN7EXAMPLE']])(
      'refuses %s as an access key id, naming the field, before any playbook starts',
      (_, accessKeyId) => {
        const decision = triage(keyIncident(accessKeyId), KEYS);
        expect(decision).toMatchObject({ outcome: 'alert-only', playbook: null, executionName: null });
        expect(decision.reasons.at(-1)).toContain(`the resource.accessKeyDetails.accessKeyId ${JSON.stringify(accessKeyId)} is malformed`);
      },
    );

    it("routes a well-formed key (AKIA, ASIA) in enforce, and a sample's placeholder in dry-run", () => {
      expect(triage(keyIncident('AKIAIOSFODNN7EXAMPLE'), KEYS)).toMatchObject({ outcome: 'start-playbook', mode: 'enforce' });
      expect(triage(keyIncident('ASIAQ3EGRW6JXEXAMPLE'), KEYS)).toMatchObject({ outcome: 'start-playbook', mode: 'enforce' });
      expect(triage(keyIncident('GeneratedFindingAccessKeyId', true), KEYS)).toMatchObject({ outcome: 'start-playbook', mode: 'dry-run' });
    });
  });

  it('property: no incident with a malformed instance id is ever routed to a playbook', () => {
    const malformedId = fc
      .string({ maxLength: 40 })
      .filter((id) => !/^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id));
    const nearMiss = fc
      .tuple(fc.constantFrom('i-', 'I-', 'i_', ''), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF; -/\u202e'.split('')), maxLength: 20 }))
      .map(([prefix, rest]) => `${prefix}${rest}`)
      .filter((id) => !/^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id));
    fc.assert(
      fc.property(fc.oneof(malformedId, nearMiss), fc.boolean(), fc.boolean(), (instanceId, sample, forceDryRun) => {
        const decision = triage(withInstanceId(instanceId, { sample }), { ...ROUTING, settings: { forceDryRun } });
        expect(decision.outcome).not.toBe('start-playbook');
        expect(decision.playbook).toBeNull();
        expect(decision.executionName).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});

describe('triage: served accounts', () => {
  const other = '444455556666';

  it('refuses an incident of another account when no member role is configured (never acted upon in the security account)', () => {
    const decision = triage(ec2Incident({ account: other }), ROUTING, SECURITY_ONLY);
    expect(decision).toMatchObject({ outcome: 'alert-only', playbook: null, executionName: null });
    expect(decision.reasons.at(-1)).toContain(`account ${other} is not the security account (${ACCOUNT}) and no member role is configured`);
    expect(decision.reasons).toContain(`Playbook ${CONTAIN.name} matches this incident; it does not run.`);
  });

  it('routes an incident of the security account itself', () => {
    expect(triage(ec2Incident(), ROUTING, SECURITY_ONLY).outcome).toBe('start-playbook');
  });

  it('refuses an account outside the allowlist, routes one inside it (member role set)', () => {
    const served = deployment({ FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT, FIREBREAK_SERVED_ACCOUNT_IDS: '777788889999, 444455556666', FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder' });
    expect(triage(ec2Incident({ account: other }), ROUTING, served).outcome).toBe('start-playbook');
    const refused = triage(ec2Incident({ account: '123412341234' }), ROUTING, served);
    expect(refused.outcome).toBe('alert-only');
    expect(refused.reasons.at(-1)).toContain('neither the security account nor in the served-account allowlist');
  });

  it('routes any account with an organization and a member role (STS refuses accounts outside the organization)', () => {
    const served = deployment({ FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT, FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5', FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder' });
    expect(triage(ec2Incident({ account: '123412341234' }), ROUTING, served).outcome).toBe('start-playbook');
  });

  it('routes only the listed accounts of an organization when servedAccountIds is set too (a pilot), and alerts on the others', () => {
    const served = deployment({
      FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT,
      FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5',
      FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
      FIREBREAK_SERVED_ACCOUNT_IDS: other,
    });
    expect(triage(ec2Incident({ account: other }), ROUTING, served).outcome).toBe('start-playbook');
    expect(triage(ec2Incident(), ROUTING, served).outcome).toBe('start-playbook');
    const refused = triage(ec2Incident({ account: '123412341234' }), ROUTING, served);
    expect(refused).toMatchObject({ outcome: 'alert-only', playbook: null, executionName: null });
    expect(refused.reasons.at(-1)).toContain('not in the served-account allowlist, which narrows the organization o-a1b2c3d4e5');
  });

  it("alerts only on an incident of the deployment's forensic account, though the organization serves every other account", () => {
    const forensic = '999988887777';
    const served = deployment({
      FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT,
      FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5',
      FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
      FIREBREAK_FORENSIC_ACCOUNT_ID: forensic,
    });
    const decision = triage(ec2Incident({ account: forensic }), ROUTING, served);
    expect(decision).toMatchObject({ outcome: 'alert-only', playbook: null, executionName: null });
    expect(decision.reasons.at(-1)).toContain(`account ${forensic} is the deployment's forensic account (the evidence vault): Firebreak never acts there automatically; a person must`);
    expect(triage(ec2Incident({ account: '123412341234' }), ROUTING, served).outcome).toBe('start-playbook');
  });

  it('refuses everything when the forensic account id the deployment gives is malformed (fail closed)', () => {
    const decision = triage(ec2Incident(), ROUTING, deployment({ FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT, FIREBREAK_FORENSIC_ACCOUNT_ID: '99998888777' }));
    expect(decision.outcome).toBe('alert-only');
    expect(decision.reasons.at(-1)).toContain('FIREBREAK_FORENSIC_ACCOUNT_ID is not a 12-digit account id');
  });

  it('refuses everything when the deployment cannot name its security account (fail closed)', () => {
    for (const environment of [{}, { FIREBREAK_SECURITY_ACCOUNT_ID: 'security' }, { FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT, FIREBREAK_SERVED_ACCOUNT_IDS: 'x' }]) {
      const decision = triage(ec2Incident(), ROUTING, deployment(environment));
      expect(decision.outcome).toBe('alert-only');
      expect(decision.reasons.at(-1)).toContain("The deployment's served accounts cannot be read");
    }
  });

  it('keeps a low-severity unrouted incident of an unserved account ignored (no alert storm), saying why', () => {
    const decision = triage(ec2Incident({ account: other, severity: { score: 2, label: 'Low' } }), { ...ROUTING, playbooks: [] }, SECURITY_ONLY);
    expect(decision.outcome).toBe('ignore');
    expect(decision.reasons.at(-1)).toContain('Also: Refused');
  });

  it('the Lambda handler reads the served accounts from its environment', async () => {
    const event = clone(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json')) as { detail: { accountId: string } };
    event.detail.accountId = other;
    const routing = routingEnvironment(ROUTING);
    const refusing = createTriageHandler({ logger: silentLogger, environment: { FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT, ...routing } });
    expect((await refusing({ event })).outcome).toBe('alert-only');
    const serving = createTriageHandler({
      logger: silentLogger,
      environment: { FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT, FIREBREAK_SERVED_ACCOUNT_IDS: other, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', ...routing },
    });
    expect((await serving({ event })).outcome).toBe('start-playbook');
    const unconfigured = createTriageHandler({ logger: silentLogger, environment: { ...routing } });
    expect((await unconfigured({ event: fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json') })).outcome).toBe('alert-only');
  });

  it('the Lambda handler routes with the table of its environment, read once; a table in its input changes nothing', async () => {
    const environment: Record<string, string | undefined> = { FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT, ...routingEnvironment(ROUTING) };
    const handler = createTriageHandler({ logger: silentLogger, environment });
    const event = fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json');
    expect(await handler({ event })).toMatchObject({ outcome: 'start-playbook', playbook: CONTAIN.name, playbookIndex: 0, mode: 'enforce' });
    // A table in the input (a direct invocation of the function) is not read: the input is the event.
    const forged: RoutingTable = { ...ROUTING, playbooks: [{ ...CONTAIN, name: 'forged', mode: 'dry-run', index: 3 }] };
    expect(await handler({ event, routing: forged })).toMatchObject({ playbook: CONTAIN.name, playbookIndex: 0, mode: 'enforce' });
    // Read at module load: the table is the deployment's, fixed for the life of the function.
    environment.FIREBREAK_ROUTING_TABLE = 'changed';
    expect((await handler({ event })).playbook).toBe(CONTAIN.name);
  });
});

describe('game-day incidents: their own key namespace and envelope', () => {
  const real = fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json') as Record<string, unknown>;
  const forged = { ...clone(real), source: 'firebreak.gameday' };

  it('a game-day copy of a real finding (same id, same updatedAt) gets another key and execution name, and both run', () => {
    const gameDay = parseEvent(forged);
    const guardDuty = parseEvent(real);
    expect(gameDay.guardDuty?.findingId).toBe(guardDuty.guardDuty?.findingId);
    expect(gameDay.revision).toBe(guardDuty.revision);
    expect(gameDay.key).toBe(`${GAMEDAY_INCIDENT_KEY_PREFIX}${guardDuty.key}`);
    expect(guardDuty.key.startsWith(GAMEDAY_INCIDENT_KEY_PREFIX)).toBe(false);
    expect(executionNameFor(gameDay)).not.toBe(executionNameFor(guardDuty));
    const first = triage(gameDay, ROUTING, SECURITY_ONLY);
    const second = triage(guardDuty, ROUTING, SECURITY_ONLY);
    expect(first.outcome).toBe('start-playbook');
    expect(second.outcome).toBe('start-playbook');
    expect(first.executionName).not.toBe(second.executionName);
  });

  it('prefixes game-day alarm keys too, and keeps every key within 64 characters', () => {
    const alarm = fixtureEvent('gameday-cloudwatch-alarm-ec2-cpu.json');
    expect(parseEvent(alarm).key.startsWith(GAMEDAY_INCIDENT_KEY_PREFIX)).toBe(true);
    const long = clone(forged) as unknown as { detail: { id: string } };
    long.detail.id = 'f'.repeat(62);
    const key = parseEvent(long).key;
    expect(key.startsWith(GAMEDAY_INCIDENT_KEY_PREFIX)).toBe(true);
    expect(key).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('notes, for a game day, which account put the event on the bus and which the finding claims', () => {
    const claimed = clone(forged) as unknown as { account: string };
    claimed.account = '999988887777';
    const incident = parseEvent(claimed);
    expect(incident.envelope).toEqual({ account: '999988887777', region: 'eu-west-1' });
    const decision = triage(incident, ROUTING, SECURITY_ONLY);
    expect(decision.reasons).toContain(
      `Game day: the event was put on the bus from account 999988887777, eu-west-1 (its envelope), but the finding claims account ${ACCOUNT}, eu-west-1; Firebreak goes by the finding's claim only within the accounts it serves.`,
    );
  });

  it('records no envelope for GuardDuty itself, where a delegated administrator differs legitimately', () => {
    const delegated = clone(real) as { account: string };
    delegated.account = '999988887777';
    expect(parseEvent(delegated).envelope).toBeUndefined();
    expect(parseEvent(forged).envelope).toBeUndefined();
  });
});

describe('copies the oversized-event intake dispatched: execution names (row 8g)', () => {
  const real = parseEvent(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json'), { receivedAt: new Date('2026-12-07T12:00:00.000Z') });
  const unconfirmed = (incident: Incident): Incident => ({ ...incident, clipped: { ...(incident.clipped ?? { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] }), event: { originalBytes: 400_000 } } });
  const confirmed = (incident: Incident): Incident => ({ ...incident, clipped: { ...(incident.clipped ?? { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] }), event: { originalBytes: 400_000, confirmed: true } } });

  it('ATTACK (review-intake): a forged copy of the coming revision sent to the intake never takes the name GuardDuty\'s own delivery will use', () => {
    // The forger read the revision in GetFindings before GuardDuty exported it, and marked it a sample.
    const forged = unconfirmed({ ...real, sample: true });
    const first = triage(forged, ROUTING, SECURITY_ONLY);
    const genuine = triage(real, ROUTING, SECURITY_ONLY);
    expect(first.outcome).toBe('start-playbook');
    expect(genuine.outcome).toBe('start-playbook');
    expect(genuine.executionName).toBe(executionNameFor(real));
    expect(first.executionName).not.toBe(genuine.executionName);
    expect(first.executionName).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('ATTACK (review-intake): a forged unconfirmed copy never takes the name of the genuine copy the intake could not confirm', () => {
    const genuineCopy = unconfirmed(real);
    const forgedCopy = unconfirmed({ ...real, resource: ec2Resource({ instanceId: 'i-0123456789abcdef0' }) });
    expect(triage(forgedCopy, ROUTING, SECURITY_ONLY).executionName).not.toBe(triage(genuineCopy, ROUTING, SECURITY_ONLY).executionName);
  });

  it('two deliveries of one unconfirmed copy (received at other times) share a name: a duplicate starts nothing new', () => {
    const once = unconfirmed(real);
    const again = { ...once, times: { ...once.times, received: '2026-12-07T12:05:00.000Z' } };
    expect(triage(again, ROUTING, SECURITY_ONLY).executionName).toBe(triage(once, ROUTING, SECURITY_ONLY).executionName);
  });

  it('a copy GuardDuty confirmed runs under a name of its own too (row 8i): its clip is not GuardDuty\'s delivery, which it never pre-empts', () => {
    const name = triage(confirmed(real), ROUTING, SECURITY_ONLY).executionName!;
    expect(name).not.toBe(executionNameFor(real));
    expect(name).not.toBe(triage(unconfirmed(real), ROUTING, SECURITY_ONLY).executionName);
    expect(name).toMatch(/-v[0-9a-f]{12}$/);
    expect(triage({ ...confirmed(real), times: { ...real.times, received: '2026-12-07T12:05:00.000Z' } }, ROUTING, SECURITY_ONLY).executionName).toBe(name);
  });

  it('keeps an unconfirmed name within 80 characters for the longest key', () => {
    const long = unconfirmed({ ...real, key: `gameday-${'a'.repeat(56)}` });
    const name = triage(long, ROUTING, SECURITY_ONLY).executionName!;
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/-u[0-9a-f]{12}$/);
  });
});
