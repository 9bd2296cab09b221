import { describe, expect, it } from 'vitest';
import {
  CreateSnapshotsCommand,
  DisassociateIamInstanceProfileCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { DisassociateIamInstanceProfileCommandInput } from '@aws-sdk/client-ec2';
import { ec2World, rejectionOf } from './fixtures';

describe('simulated EC2 DryRun', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html (DryRun: "If you have the required
  // permissions, the error response is DryRunOperation. Otherwise, it is UnauthorizedOperation.")
  it('answers DryRunOperation (HTTP 412) to a permitted dry run and changes nothing', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
    const box = sim.addInstance({ vpcId: vpc.id });
    const before = sim.stateDigest();

    const error = await rejectionOf(
      ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: box.networkInterfaceIds[0], Groups: [isolation], DryRun: true })),
    );

    expect([error.name, error.message, error.$metadata?.httpStatusCode]).toEqual([
      'DryRunOperation',
      'Request would have succeeded, but DryRun flag is set.',
      412,
    ]);
    expect(sim.stateDigest()).toBe(before);
    expect(sim.calls({ api: 'ec2:ModifyNetworkInterfaceAttribute' })[0]).toMatchObject({ dryRun: true, outcome: 'error', errorCode: 'DryRunOperation' });
  });

  it('answers UnauthorizedOperation (HTTP 403) to a dry run the caller may not make, and changes nothing', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance();
    sim.denyActions(['ec2:ModifyInstanceAttribute']);
    const before = sim.stateDigest();

    const error = await rejectionOf(
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: box.instanceId, DisableApiTermination: { Value: true }, DryRun: true })),
    );

    expect(error.name).toBe('UnauthorizedOperation');
    expect(error.message).toMatch(/^You are not authorized to perform this operation\. /);
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(sim.stateDigest()).toBe(before);
  });

  it('denies the same call without DryRun as well (UnauthorizedOperation), so dry-run and enforce agree', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance();
    sim.denyActions(['ec2:Modify*'], { principal: sim.clientFactory().principal });

    const error = await rejectionOf(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: box.instanceId, DisableApiTermination: { Value: true } })));

    expect(error.name).toBe('UnauthorizedOperation');
    expect(sim.instance(box.instanceId)?.disableApiTermination).toBe(false);
  });

  // Parameters are checked before the DryRun answer: a dry run on an instance without EBS volume is refused as the
  // real call would be (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshots.html).
  it('checks the parameters before answering a dry run', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ type: 'm3.medium', volumes: [] });

    const error = await rejectionOf(
      ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId }, DryRun: true })),
    );

    expect(error.name).toBe('InvalidParameterValue');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateIamInstanceProfile.html has no DryRun
  // parameter: the SDK does not send one, so a "dry run" of it really disassociates.
  it('really disassociates an instance profile even when the caller passes DryRun, because that API has no DryRun', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ instanceProfile: 'web-role' });
    const input = { AssociationId: box.associationId, DryRun: true } as DisassociateIamInstanceProfileCommandInput;

    const answer = await ec2.send(new DisassociateIamInstanceProfileCommand(input));

    expect(answer.IamInstanceProfileAssociation?.State).toBe('disassociating');
    expect(sim.instance(box.instanceId)?.instanceProfileArn).toBeUndefined();
    expect(sim.calls({ api: 'ec2:DisassociateIamInstanceProfile' })[0]?.dryRun).toBe(false);
  });
});
