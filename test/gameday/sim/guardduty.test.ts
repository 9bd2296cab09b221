/**
 * The simulated GuardDuty answers ListDetectors and GetFindings as AWS does, through real SDK
 * clients: one detector per account and region; a finding GuardDuty emitted is held by its own
 * account's detector and by the delegated administrator's (the security account), in PascalCase
 * as the API returns it; an id it does not hold is left out without an error; a detector id that
 * is not the caller's is BadRequestException. What it answers is what the intake compares with.
 */
import { GetFindingsCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { describe, expect, it } from 'vitest';
import { confirmFinding } from '../../../lib/incident/finding-confirmation';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { clone, fixtureEvent } from '../../incident/events';

const ADMIN = '111122223333';
const MEMBER = '444455556666';
const OTHER = '777788889999';
const REGION = 'eu-west-1';
type Json = Record<string, unknown>;

/** GuardDuty's event about an instance of the member account. */
function memberFinding(): Json & { detail: Json } {
  const event = clone(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json')) as Json & { detail: Json };
  return { ...event, account: ADMIN, detail: { ...event.detail, accountId: MEMBER } };
}

function simulated(): SeededSimulatedAws {
  const sim = new SeededSimulatedAws({ seed: 'guardduty', defaultAccount: ADMIN, defaultRegion: REGION });
  for (const account of [ADMIN, MEMBER, OTHER]) sim.addOperator(`arn:aws:iam::${account}:role/operator`);
  sim.setGuardDutyAdministrator(ADMIN);
  return sim;
}

const guardDutyOf = (sim: SeededSimulatedAws, account: string, region = REGION) =>
  sim.clientFactory({ principal: `arn:aws:iam::${account}:role/operator`, homeRegion: region, wire: 'full' }).guardduty(region);

async function findingsSeenBy(sim: SeededSimulatedAws, account: string, id: string) {
  const guardduty = guardDutyOf(sim, account);
  const { DetectorIds = [] } = await guardduty.send(new ListDetectorsCommand({}));
  expect(DetectorIds).toHaveLength(1);
  const { Findings = [] } = await guardduty.send(new GetFindingsCommand({ DetectorId: DetectorIds[0], FindingIds: [id] }));
  return Findings;
}

describe('the simulated GuardDuty', () => {
  it("holds a finding it emitted in its account's detector and the administrator's, in GetFindings' PascalCase", async () => {
    const sim = simulated();
    const event = memberFinding();
    sim.recordGuardDutyFinding(event.detail);
    for (const account of [ADMIN, MEMBER]) {
      const [finding] = await findingsSeenBy(sim, account, '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b');
      expect(finding).toMatchObject({ Id: '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b', AccountId: MEMBER, Region: REGION, Type: 'Backdoor:EC2/C&CActivity.B' });
    }
    expect(await findingsSeenBy(sim, OTHER, '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b')).toEqual([]);
  });

  it("answers what the intake confirms an event with: the administrator's copy matches GuardDuty's own event", async () => {
    const sim = simulated();
    const event = memberFinding();
    sim.recordGuardDutyFinding(event.detail);
    const [copy] = await findingsSeenBy(sim, ADMIN, '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b');
    expect(confirmFinding(event, JSON.parse(JSON.stringify(copy)), new Date('2026-03-14T10:53:00Z'))).toEqual({ confirmed: true });
  });

  it('leaves out an id it does not hold, and refuses a detector that is not the caller\'s', async () => {
    const sim = simulated();
    sim.recordGuardDutyFinding(memberFinding().detail);
    expect(await findingsSeenBy(sim, ADMIN, 'ffffffffffffffffffffffffffffffff')).toEqual([]);
    const member = await guardDutyOf(sim, MEMBER).send(new ListDetectorsCommand({}));
    await expect(guardDutyOf(sim, ADMIN).send(new GetFindingsCommand({ DetectorId: member.DetectorIds?.[0], FindingIds: ['4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b'] }))).rejects.toMatchObject({
      name: 'BadRequestException',
    });
  });
});
