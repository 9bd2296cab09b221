/**
 * FIDELITY (prefix-targets): prefixes delegated to ENIs in the simulated account, which the game-day
 * scenarios of docs/security.md row 3u stand on: RunInstances with Ipv4PrefixCount and
 * Ipv6PrefixCount (a /28 and an /80 of the subnet's blocks,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-prefix-eni.html), listed by
 * DescribeInstances and DescribeNetworkInterfaces, and ip targets registered at addresses inside them,
 * through real SDK v3 clients.
 */
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, DescribeNetworkInterfacesCommand, DescribeVpcsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateTargetGroupCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { SimulatedAws } from '../../../lib/gameday/sim';
import { podAddress } from '../../../lib/gameday/fleet-scenario';
import { rejectionOf } from './fixtures';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const TARGET = { account: ACCOUNT, region: REGION };

async function withPrefixes() {
  const sim = new SimulatedAws({ seed: 'prefix-targets', defaultAccount: ACCOUNT, defaultRegion: REGION, instanceTransitionMs: 0 });
  const clients = sim.clientFactory();
  const ec2 = await clients.ec2(TARGET);
  const elbv2 = await clients.elbv2(TARGET);
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', AmazonProvidedIpv6CidrBlock: true }))).Vpc?.VpcId as string;
  const block = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0]?.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock as string;
  const ipv6Cidr = block.replace('/56', '/64');
  const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', Ipv6CidrBlock: ipv6Cidr }))).Subnet?.SubnetId as string;
  const launch = async (v4: number, v6: number) =>
    (
      await ec2.send(
        new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnetId, Ipv4PrefixCount: v4, Ipv6PrefixCount: v6 }] }),
      )
    ).Instances?.[0];
  return { ec2, elbv2, vpcId, ipv6Cidr, launch };
}

describe('FIDELITY (prefix-targets): delegated prefixes in the simulated EC2 and ELB', () => {
  it('delegates aligned /28 and /80 prefixes of the subnet, past its addresses, listed by DescribeInstances and DescribeNetworkInterfaces', async () => {
    const { ec2, ipv6Cidr, launch } = await withPrefixes();
    const first = await launch(1, 1);
    const second = await launch(2, 0);
    const network = ipv6Cidr.slice(0, ipv6Cidr.indexOf('::'));
    const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [first?.InstanceId as string] }))).Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0];
    const v4 = described?.Ipv4Prefixes?.map((p) => p.Ipv4Prefix) ?? [];
    expect(v4).toHaveLength(1);
    expect(v4[0]).toMatch(/^10\.0\.1\.\d+\/28$/);
    expect(Number(v4[0]?.split('.')[3]?.split('/')[0]) % 16).toBe(0);
    expect(described?.Ipv6Prefixes).toEqual([{ Ipv6Prefix: `${network}:1::/80` }]);
    const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [second?.NetworkInterfaces?.[0]?.NetworkInterfaceId as string] }))).NetworkInterfaces?.[0];
    // The next /28s, apart from the first instance's, and not over the ENI's own address.
    const next = eni?.Ipv4Prefixes?.map((p) => p.Ipv4Prefix) ?? [];
    expect(next).toHaveLength(2);
    expect(new Set([...v4, ...next]).size).toBe(3);
    expect(eni?.Ipv6Prefixes).toBeUndefined();
    for (const prefix of next) expect(Number(eni?.PrivateIpAddress?.split('.')[3]) < Number(prefix?.split('.')[3]?.split('/')[0])).toBe(true);
  });

  it('registers an ip target at an address inside an ENI\'s delegated prefix, in any spelling, and refuses one just past it', async () => {
    const { elbv2, vpcId, launch } = await withPrefixes();
    const instance = await launch(1, 1);
    const eni = instance?.NetworkInterfaces?.[0];
    const v4Prefix = eni?.Ipv4Prefixes?.[0]?.Ipv4Prefix as string;
    const v6Prefix = eni?.Ipv6Prefixes?.[0]?.Ipv6Prefix as string;
    const v4 = (await elbv2.send(new CreateTargetGroupCommand({ Name: 'pods', Protocol: 'HTTP', Port: 8080, VpcId: vpcId, TargetType: 'ip' }))).TargetGroups?.[0]?.TargetGroupArn as string;
    const v6 = (await elbv2.send(new CreateTargetGroupCommand({ Name: 'pods-v6', Protocol: 'HTTP', Port: 8080, VpcId: vpcId, TargetType: 'ip', IpAddressType: 'ipv6' }))).TargetGroups?.[0]?.TargetGroupArn as string;
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: v4, Targets: [{ Id: podAddress(v4Prefix), Port: 8080 }] }));
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: v6, Targets: [{ Id: podAddress(v6Prefix).toUpperCase(), Port: 8080 }] }));
    expect((await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: v6 }))).TargetHealthDescriptions?.map((d) => d.Target?.Id)).toEqual([podAddress(v6Prefix).toUpperCase()]);
    const base = Number(v4Prefix.split('.')[3]?.split('/')[0]);
    const past = `10.0.1.${base + 16}`;
    expect((await rejectionOf(elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: v4, Targets: [{ Id: past, Port: 8080 }] })))).name).toBe('InvalidTargetException');
    // The IPv4-mapped form of an address in the /28 is not in it.
    expect((await rejectionOf(elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: v6, Targets: [{ Id: `::ffff:${podAddress(v4Prefix)}`, Port: 8080 }] })))).name).toBe('InvalidTargetException');
  });
});
