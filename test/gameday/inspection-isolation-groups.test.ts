/**
 * Row 9f: what the game day reads as an isolated ENI. Its expectations (`enis: [[isolation]]`) and its
 * containment measure read a group as Firebreak's isolation group; by its name alone, an ENI in an
 * impostor named `firebreak-isolation` (a group without Firebreak's tag or with a rule Firebreak never
 * sets, or a VPC owner's group shared into the VPC) passed for isolated, so a quarantine that regressed
 * into an impostor would still have met its scenario.
 */
import { describe, expect, it } from 'vitest';
import { LocalBackend } from '../../lib/gameday/local-backend';
import { environmentSchema, settingsSchema } from '../../lib/gameday/scenario';
import { containedBy, groupDisplayName } from '../../lib/gameday/timeline';

const settings = settingsSchema.parse({});
const UNTRACK_DESCRIPTION = 'Firebreak containment allows all traffic so that tracked connections become untracked before isolation';

async function inspected(groups: Record<string, unknown>, eniGroup: string) {
  const backend = new LocalBackend({ seed: 'inspection-isolation-groups' });
  const environment = await backend.prepare(environmentSchema.parse({ securityGroups: groups, instances: { web: { enis: [{ groups: [eniGroup] }] } } }), settings);
  const after = await backend.inspect();
  const groupId = environment.securityGroups[eniGroup]!;
  const moved = { api: 'ec2:ModifyNetworkInterfaceAttribute', outcome: 'ok', dryRun: false, input: { NetworkInterfaceId: 'eni-1', Groups: [groupId] } };
  return { shown: groupDisplayName(groupId, environment, after), contained: containedBy(moved, after.groupNames), name: after.groupNames[groupId] };
}

describe('the game day inspection of isolation groups (row 9f)', () => {
  it("ATTACK (review-9b): an ENI in an impostor named firebreak-isolation is neither shown as in the isolation group nor counted as contained", async () => {
    const impostor = await inspected({ 'firebreak-isolation': { description: 'not Firebreak, whatever the name says', ingress: [{ protocol: 'tcp', ports: 22, cidr: '203.0.113.7/32' }] } }, 'firebreak-isolation');
    expect(impostor.shown).not.toBe('isolation');
    expect(impostor.shown).toBe("firebreak-isolation (not Firebreak's)");
    expect(impostor.contained).toBeUndefined();
    // Tagged, but with the default all-out egress and an inbound rule: not Firebreak's either.
    const tagged = await inspected({ 'firebreak-isolation': { description: 'tagged impostor', tags: { 'firebreak:managed': 'true' }, ingress: [{ protocol: 'tcp', ports: 22, cidr: '203.0.113.7/32' }] } }, 'firebreak-isolation');
    expect(tagged.shown).toBe("firebreak-isolation (not Firebreak's)");
    expect(tagged.contained).toBeUndefined();
  });

  it("tried (review-9b): Firebreak's own groups, as an earlier quarantine left them, still read as isolation and untrack", async () => {
    const groups = {
      'firebreak-untrack': { description: UNTRACK_DESCRIPTION, ingress: [{ protocol: 'all', cidr: '0.0.0.0/0' }, { protocol: 'all', cidr: '::/0' }], tags: { 'firebreak:managed': 'true' } },
      'firebreak-isolation': { description: 'Firebreak containment no inbound and no outbound rules isolates quarantined instances', egress: [], tags: { 'firebreak:managed': 'true' } },
    };
    const own = await inspected(groups, 'firebreak-isolation');
    expect(own).toEqual({ shown: 'isolation', contained: { kind: 'eni', id: 'eni-1' }, name: 'firebreak-isolation' });
    expect((await inspected(groups, 'firebreak-untrack')).shown).toBe('untrack');
  });
});
