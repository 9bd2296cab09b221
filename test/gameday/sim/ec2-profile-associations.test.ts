import { describe, expect, it } from 'vitest';
import {
  AssociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DisassociateIamInstanceProfileCommand,
  ReplaceIamInstanceProfileAssociationCommand,
} from '@aws-sdk/client-ec2';
import { ACCOUNT, ec2World, rejectionOf } from './fixtures';

const WEB_ROLE = `arn:aws:iam::${ACCOUNT}:instance-profile/web-role`;

describe('simulated IAM instance profile associations', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeIamInstanceProfileAssociations.html
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateIamInstanceProfile.html
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateIamInstanceProfile.html
  it('walks the lifecycle: associated, disassociating, gone from describe and from the instance, associated again', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ instanceProfileArn: WEB_ROLE });
    const byInstance = [{ Name: 'instance-id', Values: [box.instanceId] }];

    const before = await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: byInstance }));
    const disassociated = await ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: box.associationId }));
    const after = await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: byInstance }));
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
    const again = await ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: box.instanceId, IamInstanceProfile: { Name: 'web-role' } }));

    expect(before.IamInstanceProfileAssociations).toEqual([
      expect.objectContaining({ AssociationId: box.associationId, InstanceId: box.instanceId, State: 'associated', IamInstanceProfile: expect.objectContaining({ Arn: WEB_ROLE }) }),
    ]);
    expect(box.associationId).toMatch(/^iip-assoc-[0-9a-f]{17}$/);
    expect(disassociated.IamInstanceProfileAssociation?.State).toBe('disassociating');
    expect(after.IamInstanceProfileAssociations).toEqual([]);
    expect(Reservations?.[0]?.Instances?.[0]?.IamInstanceProfile).toBeUndefined();
    expect(again.IamInstanceProfileAssociation?.State).toBe('associating');
    expect(again.IamInstanceProfileAssociation?.AssociationId).not.toBe(box.associationId);
    expect(sim.instance(box.instanceId)?.instanceProfileArn).toBe(WEB_ROLE);
  });

  // AssociateIamInstanceProfile on an instance that already has one answers
  // IncorrectState "There is an existing association for instance i-…".
  it('refuses a second association with IncorrectState', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ instanceProfileArn: WEB_ROLE });
    sim.addInstanceProfile({ name: 'other-role' });

    const error = await rejectionOf(ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: box.instanceId, IamInstanceProfile: { Name: 'other-role' } })));

    expect([error.name, error.message]).toEqual(['IncorrectState', `There is an existing association for instance ${box.instanceId}`]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (InvalidAssociationID.NotFound)
  it('answers InvalidAssociationID.NotFound for an association that does not exist, or no longer does', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ instanceProfileArn: WEB_ROLE });
    await ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: box.associationId }));

    const twice = await rejectionOf(ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: box.associationId })));
    const unknown = await rejectionOf(ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: 'iip-assoc-0123456789abcdef0' })));

    expect(twice.name).toBe('InvalidAssociationID.NotFound');
    expect(unknown.name).toBe('InvalidAssociationID.NotFound');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceIamInstanceProfileAssociation.html
  it('replaces an association by a new one with a new association id (how a release restores a profile)', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ instanceProfileArn: WEB_ROLE });
    const quarantine = sim.addInstanceProfile({ name: 'firebreak-quarantine' });

    const { IamInstanceProfileAssociation } = await ec2.send(
      new ReplaceIamInstanceProfileAssociationCommand({ AssociationId: box.associationId, IamInstanceProfile: { Arn: quarantine.arn } }),
    );
    const unknownProfile = await rejectionOf(
      ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: sim.addInstance().instanceId, IamInstanceProfile: { Name: 'nope' } })),
    );

    expect(IamInstanceProfileAssociation?.AssociationId).not.toBe(box.associationId);
    expect(sim.instance(box.instanceId)).toMatchObject({ instanceProfileArn: quarantine.arn, associationId: IamInstanceProfileAssociation?.AssociationId });
    expect(unknownProfile.name).toBe('InvalidParameterValue');
  });
});
