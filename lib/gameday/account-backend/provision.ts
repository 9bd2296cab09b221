/**
 * prepare(): the scenario's environment created through the SDK (VPCs, subnets, security groups
 * and their rules, instance profiles, instances by RunInstances, batched where the API allows),
 * then read back and compared with the scenario, since an endpoint may ignore a parameter.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  RevokeSecurityGroupEgressCommand,
  RunInstancesCommand,
  AllocateAddressCommand,
  AssociateAddressCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, Instance, RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { ResolvedInstance } from '../backend';
import type { EnvironmentDocument, InstanceDocument } from '../scenario';
import type { BackendContext } from './context';
import { EnvironmentSetupError, errorCode, waitForStates } from './context';
import {
  createSecurityGroupInput,
  defaultSubnetCidr,
  ipPermission,
  launchedDevices,
  MARKER_TAG,
  runInstancesInput,
  tagList,
  tagRecord,
  VOLUME_TAG,
} from './inputs';

const EC2_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** CreateTags takes many resources per call: up to this many here. */
const TAG_BATCH = 500;

export interface Network {
  readonly vpcs: Record<string, string>;
  readonly subnets: Record<string, string>;
  readonly defaultGroups: Record<string, string>;
  readonly groups: Record<string, string>;
  /** The VPC (by scenario name) of a group or instance that names none: the first one. */
  readonly onlyVpc: string;
}

/**
 * The subnet's IPv6 block: the first /64 of the VPC's Amazon-provided /56, read back with
 * DescribeVpcs (CreateVpc may answer while the block is still being associated).
 */
async function subnetIpv6Cidr(ec2: EC2Client, vpcId: string): Promise<string> {
  const described = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
  const block = described.Vpcs?.[0]?.Ipv6CidrBlockAssociationSet?.find((a) => a.Ipv6CidrBlock)?.Ipv6CidrBlock;
  if (!block) throw new EnvironmentSetupError(`VPC ${vpcId} was created with an Amazon-provided IPv6 block, but DescribeVpcs shows none`);
  // A /56's network address is its first /64's: 2600:1f18:abcd:1200::/56 → 2600:1f18:abcd:1200::/64.
  return block.replace(/\/\d+$/, '/64');
}

/** VPCs (each with one subnet) and security groups with their rules. */
export async function createNetwork(context: BackendContext, environment: EnvironmentDocument): Promise<Network> {
  const ec2 = await context.clients.ec2();
  const { runId, created } = context;
  const vpcs: Record<string, string> = {};
  const subnets: Record<string, string> = {};
  const defaultGroups: Record<string, string> = {};
  const declaredVpcs = Object.entries(environment.vpcs);
  // Every scenario gets at least one VPC of its own (named "main") when it declares none.
  for (const [name, spec] of declaredVpcs.length > 0 ? declaredVpcs : [['main', {}] as const]) {
    const cidr = ('cidr' in spec && spec.cidr) || '10.0.0.0/16';
    const ipv6 = 'ipv6' in spec && spec.ipv6 === true;
    const vpc = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: cidr,
        ...(ipv6 ? { AmazonProvidedIpv6CidrBlock: true } : {}),
        TagSpecifications: [{ ResourceType: 'vpc', Tags: tagList({ Name: name, ...('tags' in spec ? spec.tags : {}), [MARKER_TAG]: runId }) }],
      }),
    );
    const vpcId = vpc.Vpc?.VpcId as string;
    vpcs[name] = vpcId;
    created.push({ kind: 'vpc', id: vpcId });
    const ipv6Cidr = ipv6 ? await subnetIpv6Cidr(ec2, vpcId) : undefined;
    const subnet = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        ...(ipv6Cidr ? { Ipv6CidrBlock: ipv6Cidr } : {}),
        CidrBlock: ('subnet' in spec && spec.subnet) || defaultSubnetCidr(cidr),
        TagSpecifications: [{ ResourceType: 'subnet', Tags: tagList({ Name: name, [MARKER_TAG]: runId }) }],
      }),
    );
    subnets[name] = subnet.Subnet?.SubnetId as string;
    created.push({ kind: 'subnet', id: subnets[name] });
    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: ['default'] }] }),
    );
    defaultGroups[name] = groups.SecurityGroups?.[0]?.GroupId as string;
  }
  const onlyVpc = Object.keys(vpcs)[0] as string;
  const groups: Record<string, string> = {};
  const network: Network = { vpcs, subnets, defaultGroups, groups, onlyVpc };
  for (const [name, spec] of Object.entries(environment.securityGroups)) {
    const vpcName = spec.vpc ?? onlyVpc;
    const answer = await ec2.send(new CreateSecurityGroupCommand(createSecurityGroupInput(name, spec, vpcs[vpcName] as string, runId)));
    const id = answer.GroupId as string;
    groups[name] = id;
    created.push({ kind: 'security-group', id });
    const peer = (group: string) => groupIdOf(network, group, vpcName);
    if (spec.ingress.length > 0) {
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: spec.ingress.map((rule) => ipPermission(rule, peer, context.account)) }));
    }
    if (spec.egress !== undefined) {
      // EC2 gives every new group the allow-all IPv4 egress rule; the scenario lists the rules it wants instead.
      await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
      if (spec.egress.length > 0) {
        await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: spec.egress.map((rule) => ipPermission(rule, peer, context.account)) }));
      }
    }
  }
  return network;
}

function groupIdOf(network: Network, name: string, vpcName: string): string {
  if (name === 'default') return network.defaultGroups[vpcName] as string;
  const id = network.groups[name];
  if (id === undefined) throw new EnvironmentSetupError(`security group '${name}' is used before it is declared: declare it earlier in environment.securityGroups`);
  return id;
}

/** An instance profile and its role, both of the profile's name (an existing one is used as it is and left alone). */
export async function createInstanceProfile(context: BackendContext, iam: IAMClient, name: string): Promise<void> {
  try {
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: EC2_TRUST_POLICY, Description: `firebreak game day ${context.runId}` }));
    context.created.push({ kind: 'role', id: name });
  } catch (error) {
    if (!errorCode(error).startsWith('EntityAlreadyExists')) throw error;
  }
  try {
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
    context.created.push({ kind: 'instance-profile', id: name });
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
  } catch (error) {
    if (!errorCode(error).startsWith('EntityAlreadyExists')) throw error;
  }
}

/** One RunInstances: the scenario instances it launches (same launch input but for their Name). */
interface Launch {
  readonly names: string[];
  readonly input: RunInstancesCommandInput;
}

export interface LaunchOptions {
  readonly imageId: string;
  /** Called before a launch of instances the scenario gives a fixed id (the simulator honours it; an endpoint assigns its own). */
  readonly fixedIds?: (ids: readonly string[]) => void;
  /** A new instance profile takes a few seconds to reach EC2 (IAM is eventually consistent): retry RunInstances until then. */
  readonly profileRetryMs: number;
}

/**
 * The instances: one RunInstances per distinct launch (1,000 identical instances are one call),
 * their Name tags, the scenario's names on their volumes (VOLUME_TAG), then Stop/Terminate for the
 * states the scenario asks for. Returns the instances as the account describes them, checked
 * against the scenario.
 */
export async function createInstances(context: BackendContext, environment: EnvironmentDocument, network: Network, options: LaunchOptions): Promise<Record<string, ResolvedInstance>> {
  const specs = Object.entries(environment.instances);
  if (specs.length === 0) return {};
  const ec2 = await context.clients.ec2();
  const iam = await context.clients.iam();
  for (const profile of new Set(specs.flatMap(([, spec]) => (spec.instanceProfile ? [spec.instanceProfile] : [])))) {
    await createInstanceProfile(context, iam, profile);
  }
  const rootDeviceName = await imageRootDevice(ec2, options.imageId);
  const launches = new Map<string, Launch>();
  for (const [name, spec] of specs) {
    const vpcName = spec.vpc ?? network.onlyVpc;
    const input = runInstancesInput({
      name,
      spec,
      subnetId: network.subnets[vpcName] as string,
      groupId: (group) => groupIdOf(network, group, vpcName),
      imageId: options.imageId,
      rootDeviceName,
    });
    // Identical launches but for the Name tag go together; an instance with a fixed id goes alone.
    const { TagSpecifications: _tags, ...shape } = input;
    const key = spec.id !== undefined ? `id:${spec.id}` : JSON.stringify([shape, spec.tags ?? {}]);
    const launch = launches.get(key);
    if (launch) launch.names.push(name);
    else launches.set(key, { names: [name], input });
  }
  const idByName = new Map<string, string>();
  const nameTags: { id: string; name: string }[] = [];
  for (const { names, input } of launches.values()) {
    const fixed = environment.instances[names[0] as string]?.id;
    if (fixed !== undefined) options.fixedIds?.([fixed]);
    const batched = names.length > 1;
    const launchInput: RunInstancesCommandInput = batched
      ? {
          ...input,
          MinCount: names.length,
          MaxCount: names.length,
          TagSpecifications: input.TagSpecifications?.map((tags) => ({ ...tags, Tags: tags.Tags?.filter((tag) => tag.Key !== 'Name') })).filter(
            (tags) => (tags.Tags?.length ?? 0) > 0,
          ),
        }
      : input;
    const launched = await runInstances(context, ec2, launchInput, options.profileRetryMs);
    if (launched.length !== names.length) throw new EnvironmentSetupError(`RunInstances launched ${launched.length} instance(s) for ${names.length}: ${names.join(', ')}`);
    launched.forEach((instance, index) => {
      const id = instance.InstanceId as string;
      const name = names[index] as string;
      idByName.set(name, id);
      context.created.push({ kind: 'instance', id });
      if (batched) nameTags.push({ id, name });
    });
  }
  for (const { id, name } of nameTags) await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'Name', Value: name }] }));
  const ids = [...idByName.values()];
  const running = await waitForStates(context, ids, ['running']);
  await nameVolumes(ec2, specs, idByName, running, rootDeviceName);
  const final = await settleStates(context, ec2, specs, idByName, running);
  const instances: Record<string, ResolvedInstance> = {};
  const mismatches: string[] = [];
  for (const [name, spec] of specs) {
    const id = idByName.get(name) as string;
    const launchedView = running.get(id) as Instance;
    const now = final.get(id) ?? launchedView;
    const resolved = resolvedInstance(name, spec, launchedView, now, context, rootDeviceName);
    mismatches.push(...(await compare(ec2, name, spec, resolved, launchedView)));
    instances[name] = resolved;
    if (spec.elasticIp === true) await associateElasticIp(ec2, context, resolved);
  }
  if (mismatches.length > 0) {
    throw new EnvironmentSetupError(`the account did not create the environment as the scenario says (it ignored a parameter?):\n  ${mismatches.join('\n  ')}`);
  }
  return instances;
}

/** The image's root device name (an AMI's root is /dev/xvda or /dev/sda1…: never assumed). */
/** An Elastic IP for the instance's primary ENI (a scenario's `elasticIp: true`), created like any other resource. */
async function associateElasticIp(ec2: EC2Client, context: BackendContext, instance: ResolvedInstance): Promise<void> {
  const eni = instance.networkInterfaceIds[0];
  if (eni === undefined) throw new EnvironmentSetupError(`${instance.name}: elasticIp needs a network interface`);
  const allocated = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  if (!allocated.AllocationId) throw new EnvironmentSetupError(`${instance.name}: AllocateAddress answered without an allocation id`);
  context.created.push({ kind: 'elastic-ip', id: allocated.AllocationId });
  await ec2.send(new AssociateAddressCommand({ AllocationId: allocated.AllocationId, NetworkInterfaceId: eni }));
}

async function imageRootDevice(ec2: EC2Client, imageId: string): Promise<string> {
  const answer = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
  const root = answer.Images?.[0]?.RootDeviceName;
  if (!root) throw new EnvironmentSetupError(`image ${imageId} has no root device name (DescribeImages): choose another AMI with FIREBREAK_GAMEDAY_IMAGE_ID`);
  return root;
}

async function runInstances(context: BackendContext, ec2: EC2Client, input: RunInstancesCommandInput, retryMs: number): Promise<Instance[]> {
  const deadline = Date.now() + retryMs;
  return context.waitFor('the instance profile to reach EC2', async () => {
    try {
      return (await ec2.send(new RunInstancesCommand(input))).Instances ?? [];
    } catch (error) {
      const profileNotVisible = errorCode(error) === 'InvalidParameterValue' && /iamInstanceProfile/i.test(error instanceof Error ? error.message : '');
      if (!profileNotVisible || Date.now() > deadline) throw error;
      return undefined;
    }
  });
}

/** Tags every volume with the scenario's name for it (and the scenario's tags), batching equal tag sets. */
async function nameVolumes(
  ec2: EC2Client,
  specs: readonly (readonly [string, InstanceDocument])[],
  idByName: ReadonlyMap<string, string>,
  running: ReadonlyMap<string, Instance>,
  rootDeviceName: string,
): Promise<void> {
  const batches = new Map<string, { tags: Record<string, string>; volumeIds: string[] }>();
  for (const [name, spec] of specs) {
    const devices = launchedDevices(spec, rootDeviceName);
    const tagsByDevice = new Map((spec.volumes ?? []).map((volume) => [volume.device, volume.tags ?? {}]));
    for (const mapping of running.get(idByName.get(name) as string)?.BlockDeviceMappings ?? []) {
      const volumeId = mapping.Ebs?.VolumeId;
      const device = devices.get(mapping.DeviceName ?? '');
      if (!volumeId || device === undefined) continue;
      const tags = { ...tagsByDevice.get(device), [VOLUME_TAG]: device };
      const key = JSON.stringify(tags);
      const batch = batches.get(key) ?? { tags, volumeIds: [] as string[] };
      batch.volumeIds.push(volumeId);
      batches.set(key, batch);
    }
  }
  for (const { tags, volumeIds } of batches.values()) {
    for (let start = 0; start < volumeIds.length; start += TAG_BATCH) {
      await ec2.send(new CreateTagsCommand({ Resources: volumeIds.slice(start, start + TAG_BATCH), Tags: tagList(tags) }));
    }
  }
}

/** Stops or terminates the instances whose scenario state says so (one call each), and waits for the settled states. */
async function settleStates(
  context: BackendContext,
  ec2: EC2Client,
  specs: readonly (readonly [string, InstanceDocument])[],
  idByName: ReadonlyMap<string, string>,
  running: Map<string, Instance>,
): Promise<Map<string, Instance>> {
  const idsIn = (...states: string[]) => specs.filter(([, spec]) => states.includes(spec.state)).map(([name]) => idByName.get(name) as string);
  const stop = idsIn('stopped', 'stopping');
  const terminate = idsIn('terminated', 'shutting-down');
  if (stop.length > 0) await ec2.send(new StopInstancesCommand({ InstanceIds: stop }));
  if (terminate.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: terminate }));
  const final = new Map(running);
  for (const [id, instance] of await waitForStates(context, idsIn('stopped'), ['stopped'])) final.set(id, instance);
  for (const [id, instance] of await waitForStates(context, idsIn('terminated'), ['terminated'])) final.set(id, instance);
  return final;
}

function resolvedInstance(name: string, spec: InstanceDocument, launched: Instance, now: Instance, context: BackendContext, rootDeviceName: string): ResolvedInstance {
  const enis = [...(launched.NetworkInterfaces ?? [])].sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
  const devices = launchedDevices(spec, rootDeviceName);
  return {
    name,
    instanceId: launched.InstanceId as string,
    account: context.account,
    region: context.region,
    vpcId: launched.VpcId ?? '',
    state: spec.state,
    ...(launched.InstanceType ? { instanceType: launched.InstanceType } : {}),
    ...(launched.Placement?.AvailabilityZone ? { availabilityZone: launched.Placement.AvailabilityZone } : {}),
    networkInterfaceIds: enis.map((eni) => eni.NetworkInterfaceId ?? ''),
    networkInterfaces: enis.map((eni) => ({
      networkInterfaceId: eni.NetworkInterfaceId ?? '',
      vpcId: eni.VpcId ?? '',
      subnetId: eni.SubnetId ?? '',
      privateIp: eni.PrivateIpAddress ?? '',
      ...(eni.Ipv6Addresses?.length ? { ipv6Addresses: eni.Ipv6Addresses.flatMap((ip) => (ip.Ipv6Address ? [ip.Ipv6Address] : [])) } : {}),
      ...(eni.Ipv4Prefixes?.length || eni.Ipv6Prefixes?.length
        ? { prefixes: [...(eni.Ipv4Prefixes ?? []).flatMap((p) => (p.Ipv4Prefix ? [p.Ipv4Prefix] : [])), ...(eni.Ipv6Prefixes ?? []).flatMap((p) => (p.Ipv6Prefix ? [p.Ipv6Prefix] : []))] }
        : {}),
      groups: (eni.Groups ?? []).map((group) => ({ groupId: group.GroupId ?? '', name: group.GroupName ?? '' })),
    })),
    volumes: (launched.BlockDeviceMappings ?? []).map((mapping) => ({
      volumeId: mapping.Ebs?.VolumeId ?? '',
      device: devices.get(mapping.DeviceName ?? '') ?? mapping.DeviceName ?? '',
    })),
    ...(launched.IamInstanceProfile?.Arn ? { instanceProfileArn: launched.IamInstanceProfile.Arn } : {}),
    ...(launched.IamInstanceProfile?.Id ? { instanceProfileId: launched.IamInstanceProfile.Id } : {}),
    tags: tagRecord(now.Tags ?? launched.Tags),
  };
}

/** What the account made of the instance, against the scenario: one line per difference. */
async function compare(ec2: EC2Client, name: string, spec: InstanceDocument, resolved: ResolvedInstance, launched: Instance): Promise<string[]> {
  const problems: string[] = [];
  const differ = (what: string, wanted: unknown, got: unknown) => {
    if (JSON.stringify(wanted) !== JSON.stringify(got)) problems.push(`${name}: ${what} ${JSON.stringify(got)}, the scenario says ${JSON.stringify(wanted)}`);
  };
  differ('instance type', spec.type ?? 't3.micro', resolved.instanceType);
  differ('network interfaces', (spec.enis ?? [{}]).length, resolved.networkInterfaces.length);
  for (const [key, value] of Object.entries({ Name: name, ...spec.tags })) differ(`tag ${key}`, value, resolved.tags[key]);
  differ('volumes', (spec.volumes ?? [{ device: '' }]).map((volume) => volume.device).filter(Boolean).sort(), spec.volumes === undefined ? [] : resolved.volumes.map((volume) => volume.device).sort());
  differ('instance profile', spec.instanceProfile ?? undefined, launched.IamInstanceProfile?.Arn?.split('/').pop());
  const attributes = [
    ['disableApiTermination', spec.terminationProtection],
    ['disableApiStop', spec.stopProtection],
    ['instanceInitiatedShutdownBehavior', spec.shutdownBehavior],
  ] as const;
  for (const [attribute, wanted] of attributes) {
    if (wanted === undefined) continue;
    const answer = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: resolved.instanceId, Attribute: attribute }));
    const got = answer.DisableApiTermination?.Value ?? answer.DisableApiStop?.Value ?? answer.InstanceInitiatedShutdownBehavior?.Value;
    differ(attribute, wanted, got);
  }
  return problems;
}
