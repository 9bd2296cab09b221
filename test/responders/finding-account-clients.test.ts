/**
 * Row 9i: the client factories refuse the security account for another account's finding, so the
 * steps that hold no grant (snapshot-volumes, copy-evidence) and the granted ones alike make no call
 * there for a member's attack sequence that placed an instance in it. Row 9h refused it in triage's
 * fan-out, the guard and the credential steps; an execution started by hand with such a child
 * incident reached the evidence steps, which acted with Firebreak's own credentials.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServedAccounts } from '../../lib/contracts/security';
import { SameAccountAccess, ServedAccountAccess } from '../../lib/aws/clients/access';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { ServedAccountClientFactory } from '../../lib/aws/member-accounts';
import { SameAccountClientFactory } from '../../lib/aws/clients';
import { actingTarget } from '../../lib/incident/finding-account';
import type { Incident } from '../../lib/incident/model';
import { silentLogger } from '../../lib/responders/logging';
import { snapshotVolumes } from '../../lib/responders/snapshot';
import { copyEvidence } from '../../lib/responders/snapshot-copy';
import type { CustodyStore } from '../../lib/responders/snapshot-custody';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { InMemoryEvidenceRecords } from '../support/evidence-records';

/** ec2Incident's account is the deployment's security account here; the member account asks. */
const SECURITY = ACCOUNT;
const MEMBER = '444455556666';
const FORENSIC = '999988887777';
const SERVED: ServedAccounts = { securityAccountId: SECURITY, allowlist: [MEMBER], memberRoles: true, forensicAccountId: FORENSIC };

/** The child incident a member's attack sequence makes for an instance it names in the security account: its account is the instance's, its finding ARN the member's. */
function memberSequenceChild(): Incident {
  const base = ec2Incident();
  return ec2Incident({ key: `${base.key}-${INSTANCE_ID}-0a1b2c3d`, guardDuty: { ...base.guardDuty!, arn: base.guardDuty!.arn!.replace(`:${SECURITY}:`, `:${MEMBER}:`) } });
}

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());
afterEach(() => ec2.reset());

/** EC2 as the Lambdas build it: the served accounts over the function's own credentials in the security account. */
const lambdaEc2 = () => ec2ClientsFor(new ServedAccountAccess(new SameAccountAccess(REGION), SERVED));

const refusal = {
  name: 'UnservedAccountError',
  account: SECURITY,
  message: expect.stringContaining(`account ${SECURITY} is the security account, and the finding is account ${MEMBER}'s`) as unknown,
};

describe('row 9i: the client factories refuse the security account for a member account\'s finding', () => {
  it('ServedAccountAccess and ServedAccountClientFactory refuse it, and serve the security account for its own finding or when no finding is named', async () => {
    const access = new ServedAccountAccess(new SameAccountAccess(REGION), SERVED);
    await expect(access.clientConfig({ account: SECURITY, region: REGION, findingAccount: MEMBER }, { role: 'member' })).rejects.toMatchObject(refusal);
    await expect(access.clientConfig({ account: SECURITY, region: REGION, findingAccount: SECURITY }, { role: 'member' })).resolves.toEqual({ region: REGION });
    await expect(access.clientConfig({ account: SECURITY, region: REGION }, { role: 'member' })).resolves.toEqual({ region: REGION });
    const factory = new ServedAccountClientFactory(new SameAccountClientFactory(), SERVED);
    await expect(factory.ec2({ account: SECURITY, region: REGION, findingAccount: MEMBER })).rejects.toMatchObject(refusal);
    await expect(factory.iam({ account: SECURITY, region: REGION, findingAccount: MEMBER })).rejects.toMatchObject(refusal);
  });

  it('actingTarget names the finding\'s account: the member\'s for a sequence child, the incident\'s own otherwise', () => {
    expect(actingTarget(memberSequenceChild())).toEqual({ account: SECURITY, region: REGION, findingAccount: MEMBER });
    expect(actingTarget(ec2Incident())).toEqual({ account: SECURITY, region: REGION, findingAccount: SECURITY });
  });

  it('ATTACK (instance-9h): snapshot-volumes, which holds no grant, makes no EC2 call in the security account for a member\'s sequence', async () => {
    await expect(
      snapshotVolumes({ incident: memberSequenceChild(), mode: 'enforce', options: { tags: {} } }, { clients: lambdaEc2(), records: new InMemoryEvidenceRecords(), logger: silentLogger, now: () => new Date('2026-11-20T11:00:00.000Z') }),
    ).rejects.toMatchObject(refusal);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('ATTACK (instance-9h): copy-evidence, which holds no grant, reads and shares nothing in the security account for a member\'s sequence', async () => {
    const custody: CustodyStore = {
      saveIfAbsent: () => Promise.reject(new Error('no custody record may be written')),
      update: () => Promise.reject(new Error('no custody record may be written')),
      get: () => Promise.reject(new Error('no custody record may be read')),
    } as unknown as CustodyStore;
    await expect(
      copyEvidence(
        { incident: memberSequenceChild(), mode: 'enforce', options: { waitMinutes: 180 } },
        {
          clients: lambdaEc2(),
          forensic: { ec2: () => Promise.reject(new Error('the forensic account may not be reached')) },
          custody,
          evidence: new InMemoryEvidenceRecords(),
          target: { accountId: FORENSIC, roleName: 'FirebreakForensicCopier', kmsKeyArn: `arn:aws:kms:${REGION}:${FORENSIC}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
          logger: silentLogger,
        },
      ),
    ).rejects.toMatchObject(refusal);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('tried (instance-9h): the security account\'s own finding still reaches EC2 there', async () => {
    ec2.onAnyCommand().resolves({});
    await snapshotVolumes({ incident: ec2Incident(), mode: 'enforce', options: { tags: {} } }, { clients: lambdaEc2(), records: new InMemoryEvidenceRecords(), logger: silentLogger, now: () => new Date('2026-11-20T11:00:00.000Z') }).catch(() => undefined);
    expect(ec2.calls().length).toBeGreaterThan(0);
  });
});
