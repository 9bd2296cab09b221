/**
 * What IAM sees for one call to the simulated account: for each IAM action the call needs, the
 * resources it authorizes on (their ARNs, built from the request parameters and the account's
 * state) and the condition keys of each (tags, `ec2:Vpc`, `ec2:CreateAction`, `aws:RequestTag/*`,
 * `dynamodb:LeadingKeys`, `iam:PassedToService`, `aws:ResourceOrgID`…).
 *
 * Resources come only from the parameters the call names (an ENI and the groups it moves to,
 * the instance of an association…), kept when the IAM catalog lists that resource type for the
 * action; an action without resource-level permissions authorizes on `*`. Keys the context builds
 * are checked against the catalog: a key AWS would supply for the action but that is not built
 * here is *unevaluated*, and the caller reports it.
 */
import type { CatalogAction, IamCatalog } from './iam-catalog';
import { ownerOfKey, userNamed } from './iam-users';
import type { RequestContext } from './iam-policy';
import { permissionChange } from './ec2-snapshot-sharing';
import type { CallerIdentity, Tags } from './model';
import type { SimWorld } from './world';
import { fleetTargets } from './fleet-authorization';
import { S3_ENCRYPTION_CONTEXT_KEY } from '../../contracts/iam-actions';
import { ec2Error } from './ec2-common';
import { ATTRIBUTE_FIELDS } from './ec2-instances';

/** One resource of one authorization and its condition keys. */
export interface AuthorizationTarget {
  /** The catalog's resource type (`instance`), or undefined for `*`. */
  readonly resourceType?: string;
  readonly arn: string;
  readonly keys: Record<string, string[]>;
  /** Key families known completely (absent means absent): `aws:ResourceTag/`, `aws:RequestTag/`… */
  readonly complete: readonly string[];
}

export interface AuthorizationCall {
  /** The API the caller invoked, e.g. `CreateSecurityGroup` (a dependent action is authorized as part of it). */
  readonly action: string;
  /** The service the call was sent to (`iam`: IAM's single us-east-1 endpoint), when known. */
  readonly service?: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly caller: CallerIdentity;
  readonly account: string;
  readonly region: string;
}

export interface AuthorizationOptions {
  /** The organization of the simulated accounts (`aws:ResourceOrgID`, `aws:PrincipalOrgID`), when modelled. */
  readonly organizationId?: string;
  /** Its accounts, when not every simulated account belongs to it: any other account has no organization. */
  readonly organizationAccounts?: ReadonlySet<string>;
  /** Simulated now, for aws:CurrentTime / aws:EpochTime. */
  readonly now: number;
}

type Record2 = Record<string, string[]>;

function tagKeys(prefixes: readonly string[], tags: Tags | Readonly<Record<string, string>> | undefined): Record2 {
  const keys: Record2 = {};
  const entries = tags instanceof Map ? [...tags.entries()] : Object.entries(tags ?? {});
  for (const [key, value] of entries) for (const prefix of prefixes) keys[`${prefix}${key}`] = [value];
  return keys;
}

function requestTags(tags: readonly { Key?: string; Value?: string }[]): { keys: Record2; complete: string[] } {
  const keys: Record2 = {};
  for (const tag of tags) if (tag.Key !== undefined) keys[`aws:RequestTag/${tag.Key}`] = [tag.Value ?? ''];
  keys['aws:TagKeys'] = tags.map((tag) => tag.Key ?? '').filter(Boolean);
  return { keys, complete: ['aws:RequestTag/', 'aws:TagKeys'] };
}

function tagSpecificationsFor(input: Readonly<Record<string, unknown>>, resourceType: string): { Key?: string; Value?: string }[] {
  const specs = (input.TagSpecifications as { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[] | undefined) ?? [];
  return specs.filter((spec) => spec.ResourceType === resourceType).flatMap((spec) => spec.Tags ?? []);
}

/** Builds EC2 resource targets from ids and the account's state. */
class Ec2Targets {
  constructor(
    private readonly world: SimWorld,
    private readonly account: string,
    private readonly region: string,
  ) {}

  /** The ARN names the account that owns the resource (`owner`, the caller's unless said), never the caller. */
  private arn(type: string, id: string, owner: string = this.account): string {
    return type === 'snapshot' ? `arn:aws:ec2:${this.region}::snapshot/${id}` : `arn:aws:ec2:${this.region}:${owner}:${type}/${id}`;
  }

  private vpcArn(vpcId: string): string {
    return this.arn('vpc', vpcId);
  }

  private tagged(type: string, id: string, tags: Tags | undefined, keys: Record2, owner?: string): AuthorizationTarget {
    return {
      resourceType: type,
      arn: this.arn(type, id, owner),
      keys: { ...tagKeys(['aws:ResourceTag/', 'ec2:ResourceTag/'], tags), ...keys },
      complete: ['aws:ResourceTag/', 'ec2:ResourceTag/'],
    };
  }

  instance(id: string): AuthorizationTarget {
    const instance = this.world.instances.get(id);
    const association = [...this.world.associations.values()].find((a) => a.instanceId === id && a.state === 'associated');
    return this.tagged('instance', id, instance?.tags, {
      'ec2:InstanceID': [id],
      ...(instance ? { 'ec2:InstanceType': [instance.instanceType], 'ec2:AvailabilityZone': [instance.availabilityZone], 'ec2:RootDeviceType': [instance.rootDeviceType], 'ec2:Tenancy': ['default'] } : {}),
      ...(association ? { 'ec2:InstanceProfile': [association.profileArn] } : {}),
    });
  }

  networkInterface(id: string): AuthorizationTarget {
    const eni = this.world.networkInterfaces.get(id);
    return this.tagged('network-interface', id, eni?.tags, {
      'ec2:NetworkInterfaceID': [id],
      ...(eni ? { 'ec2:Vpc': [this.vpcArn(eni.vpcId)], 'ec2:Subnet': [this.arn('subnet', eni.subnetId)], 'ec2:AvailabilityZone': [eni.availabilityZone] } : {}),
    });
  }

  securityGroup(id: string): AuthorizationTarget {
    const group = this.world.securityGroups.get(id);
    // A group a shared VPC's owner shares with the caller is the owner's: its ARN says so (row 9b).
    return this.tagged(
      'security-group',
      id,
      group?.tags,
      {
        'ec2:SecurityGroupID': [id],
        ...(group ? { 'ec2:Vpc': [this.vpcArn(group.vpcId)] } : {}),
      },
      group !== undefined && group.region === this.region && (group.sharedWith ?? []).includes(this.account) ? group.account : undefined,
    );
  }

  volume(id: string): AuthorizationTarget {
    const volume = this.world.volumes.get(id);
    return this.tagged('volume', id, volume?.tags, {
      'ec2:VolumeID': [id],
      ...(volume
        ? { 'ec2:VolumeSize': [String(volume.sizeGiB)], 'ec2:VolumeType': [volume.volumeType], 'ec2:Encrypted': [String(volume.encrypted)], 'ec2:AvailabilityZone': [volume.availabilityZone] }
        : {}),
    });
  }

  snapshot(id: string): AuthorizationTarget {
    const snapshot = this.world.snapshots.get(id);
    return this.tagged('snapshot', id, snapshot?.tags, {
      'ec2:SnapshotID': [id],
      ...(snapshot ? { 'ec2:VolumeSize': [String(snapshot.volumeSize)], 'ec2:ParentVolume': [this.arn('volume', snapshot.volumeId)], 'ec2:Encrypted': [String(snapshot.encrypted)], 'ec2:Owner': [snapshot.account] } : {}),
    });
  }

  vpc(id: string): AuthorizationTarget {
    return this.tagged('vpc', id, this.world.vpcs.get(id)?.tags, { 'ec2:VpcID': [id], 'ec2:Tenancy': ['default'] });
  }

  subnet(id: string): AuthorizationTarget {
    const subnet = this.world.subnets.get(id);
    return this.tagged('subnet', id, subnet?.tags, { 'ec2:SubnetID': [id], ...(subnet ? { 'ec2:Vpc': [this.vpcArn(subnet.vpcId)] } : {}) });
  }

  /** A resource the call creates: its ARN with `*` for the id AWS has not assigned yet, and its request tags. */
  created(type: string, tags: { Key?: string; Value?: string }[], extra: Record2 = {}): AuthorizationTarget {
    const request = requestTags(tags);
    return { resourceType: type, arn: this.arn(type, '*'), keys: { ...request.keys, ...extra }, complete: request.complete };
  }

  elasticIp(allocationId: string): AuthorizationTarget {
    const address = this.world.addresses.get(allocationId);
    return this.tagged('elastic-ip', allocationId, address?.tags, {
      'ec2:AllocationId': [allocationId],
      'ec2:Domain': ['vpc'],
      ...(address ? { 'ec2:PublicIpAddress': [address.publicIp] } : {}),
    });
  }

  byId(id: string): AuthorizationTarget | undefined {
    if (id.startsWith('i-')) return this.instance(id);
    if (id.startsWith('eni-')) return this.networkInterface(id);
    if (id.startsWith('sg-')) return this.securityGroup(id);
    if (id.startsWith('vol-')) return this.volume(id);
    if (id.startsWith('snap-')) return this.snapshot(id);
    if (id.startsWith('vpc-')) return this.vpc(id);
    if (id.startsWith('subnet-')) return this.subnet(id);
    return undefined;
  }

  /** The volumes CreateSnapshots takes from an instance. */
  volumesOf(instanceId: string, excludeBoot: boolean, excludeData: boolean): string[] {
    const instance = this.world.instances.get(instanceId);
    return [...this.world.volumes.values()]
      .filter((volume) => volume.attachment?.instanceId === instanceId)
      .filter((volume) => {
        const boot = volume.attachment?.device === instance?.rootDeviceName;
        return boot ? !excludeBoot : !excludeData;
      })
      .map((volume) => volume.id);
  }
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : typeof value === 'string' ? [value] : []);

/** The attributes a ModifyInstanceAttribute request changes, by their Attribute enum names. */
function modifiedInstanceAttributes(input: Readonly<Record<string, unknown>>): string[] {
  const named = typeof input.Attribute === 'string' ? [input.Attribute] : [];
  const byMember = Object.entries(ATTRIBUTE_FIELDS).filter(([, member]) => input[member] !== undefined).map(([attribute]) => attribute);
  return [...new Set([...named, ...byMember])];
}

/** EC2: the resources each API names. */
function ec2Targets(action: string, call: AuthorizationCall, world: SimWorld): AuthorizationTarget[] | undefined {
  const ec2 = new Ec2Targets(world, call.account, call.region);
  const input = call.input;
  const dependent = action !== call.action;
  if (action === 'CreateTags' && dependent) {
    // Tagging as part of creating (TagSpecifications): authorized on the new resource, with ec2:CreateAction.
    const specs = (input.TagSpecifications as { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[] | undefined) ?? [];
    const types = [...new Set(specs.map((spec) => spec.ResourceType).filter((type): type is string => type !== undefined))];
    if (types.length === 0 && call.action === 'CreateSnapshots' && input.CopyTagsFromSource === 'volume') types.push('snapshot');
    return types.map((type) => ec2.created(type, tagSpecificationsFor(input, type), { 'ec2:CreateAction': [call.action] }));
  }
  switch (action) {
    case 'ModifyNetworkInterfaceAttribute':
      return [ec2.networkInterface(String(input.NetworkInterfaceId)), ...strings(input.Groups).map((id) => ec2.securityGroup(id))];
    case 'ModifyInstanceAttribute': {
      // ec2:Attribute: the attribute the request changes, as the API's Attribute enum names it
      // (`disableApiTermination`), whether named by Attribute or by its own member
      // (DisableApiTermination). What EC2 itself puts there is untried live (lib/stack/iam-scopes.ts).
      const target = ec2.instance(String(input.InstanceId));
      const attributes = modifiedInstanceAttributes(input);
      return [
        attributes.length > 0 ? { ...target, keys: { ...target.keys, 'ec2:Attribute': attributes } } : target,
        ...strings(input.Groups).map((id) => ec2.securityGroup(id)),
      ];
    }
    case 'DescribeInstanceAttribute':
    case 'AssociateIamInstanceProfile':
    case 'StopInstances':
    case 'StartInstances':
    case 'TerminateInstances':
      return strings(input.InstanceIds ?? input.InstanceId).map((id) => ec2.instance(id));
    case 'DisassociateIamInstanceProfile':
    case 'ReplaceIamInstanceProfileAssociation': {
      const association = world.associations.get(String(input.AssociationId));
      // An association that is gone names no instance to authorize against: EC2 answers that it
      // does not exist (two executions on one instance, the first removed it), not a denial.
      if (!association) throw ec2Error('InvalidAssociationID.NotFound', `An invalid association-id of '${String(input.AssociationId)}' was given`);
      return [ec2.instance(association.instanceId)];
    }
    case 'CreateSecurityGroup':
      return [ec2.created('security-group', tagSpecificationsFor(input, 'security-group')), ...strings(input.VpcId).map((id) => ec2.vpc(id))];
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupIngress':
    case 'RevokeSecurityGroupEgress':
    case 'DeleteSecurityGroup':
      return strings(input.GroupId).map((id) => ec2.securityGroup(id));
    case 'CreateSnapshots': {
      const source = (input.InstanceSpecification ?? {}) as { InstanceId?: string; ExcludeBootVolume?: boolean; ExcludeDataVolumeIds?: string[] };
      const instanceId = String(source.InstanceId);
      const excluded = new Set(source.ExcludeDataVolumeIds ?? []);
      const volumes = ec2.volumesOf(instanceId, source.ExcludeBootVolume === true, false).filter((id) => !excluded.has(id));
      return [ec2.instance(instanceId), ...volumes.map((id) => ec2.volume(id)), ec2.created('snapshot', tagSpecificationsFor(input, 'snapshot'))];
    }
    case 'CreateSnapshot':
      return [ec2.volume(String(input.VolumeId)), ec2.created('snapshot', tagSpecificationsFor(input, 'snapshot'))];
    case 'LockSnapshot': {
      // How long and how firmly it asks to lock (ec2:SnapshotLockDuration, ec2:SnapshotCoolOffPeriod),
      // absent when not asked (a lock by ExpirationDate carries no duration).
      const target = ec2.snapshot(String(input.SnapshotId));
      const lock: Record2 = {};
      if (typeof input.LockDuration === 'number') lock['ec2:SnapshotLockDuration'] = [String(input.LockDuration)];
      if (typeof input.CoolOffPeriod === 'number') lock['ec2:SnapshotCoolOffPeriod'] = [String(input.CoolOffPeriod)];
      return [{ ...target, keys: { ...target.keys, ...lock }, complete: [...target.complete, 'ec2:SnapshotLockDuration', 'ec2:SnapshotCoolOffPeriod'] }];
    }
    case 'UnlockSnapshot':
    case 'DeleteSnapshot':
    case 'DescribeSnapshotAttribute':
      return [ec2.snapshot(String(input.SnapshotId))];
    case 'ModifyInstanceMetadataOptions':
      return [ec2.instance(String(input.InstanceId))];
    case 'AssociateAddress':
      return [
        ec2.elasticIp(String(input.AllocationId)),
        ...strings(input.NetworkInterfaceId).map((id) => ec2.networkInterface(id)),
        ...strings(input.InstanceId).map((id) => ec2.instance(id)),
      ];
    case 'DisassociateAddress': {
      const address = [...world.addresses.values()].find((a) => a.associationId === input.AssociationId);
      if (!address) throw ec2Error('InvalidAssociationID.NotFound', `The association ID '${String(input.AssociationId)}' does not exist`);
      return [ec2.elasticIp(address.allocationId), ...strings(address.networkInterfaceId).map((id) => ec2.networkInterface(id))];
    }
    case 'AllocateAddress':
      return [ec2.created('elastic-ip', tagSpecificationsFor(input, 'elastic-ip'))];
    case 'ReleaseAddress':
      return [ec2.elasticIp(String(input.AllocationId))];
    case 'ModifySnapshotAttribute': {
      // Who the permission is given to or taken from: ec2:Add/userId, ec2:Add/group… (absent when not named).
      const target = ec2.snapshot(String(input.SnapshotId));
      const change = permissionChange(input);
      const sharing: Record2 = { 'ec2:Attribute': [typeof input.Attribute === 'string' ? input.Attribute : 'createVolumePermission'] };
      for (const [key, values] of [
        ['ec2:Add/userId', change.add.users],
        ['ec2:Add/group', change.add.groups],
        ['ec2:Remove/userId', change.remove.users],
        ['ec2:Remove/group', change.remove.groups],
      ] as const) {
        if (values.length > 0) sharing[key] = [...values];
      }
      return [{ ...target, keys: { ...target.keys, ...sharing }, complete: [...target.complete, 'ec2:Add/', 'ec2:Remove/', 'ec2:Attribute'] }];
    }
    case 'CopySnapshot':
      // The source (shared with the caller) and the copy it creates.
      return [ec2.snapshot(String(input.SourceSnapshotId)), ec2.created('snapshot', tagSpecificationsFor(input, 'snapshot'))];
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = (input.Tags as { Key?: string; Value?: string }[] | undefined) ?? [];
      const request = requestTags(tags);
      return strings(input.Resources).flatMap((id) => {
        const target = ec2.byId(id);
        return target ? [{ ...target, keys: { ...target.keys, ...request.keys }, complete: [...target.complete, ...request.complete] }] : [];
      });
    }
    default:
      return undefined;
  }
}

function roleTarget(world: SimWorld, account: string, roleName: string | undefined, arn?: string): AuthorizationTarget {
  const role = arn !== undefined ? world.roles.get(arn) : [...world.roles.values()].find((r) => r.account === account && r.name === roleName);
  // The role's own tags (aws:ResourceTag, iam:ResourceTag), complete: a role without tags has none.
  return {
    resourceType: 'role',
    arn: role?.arn ?? arn ?? `arn:aws:iam::${account}:role/${roleName ?? ''}`,
    keys: { 'aws:ResourceAccount': [role?.account ?? account], ...tagKeys(['aws:ResourceTag/', 'iam:ResourceTag/'], role?.tags) },
    complete: ['aws:ResourceTag/', 'iam:ResourceTag/'],
  };
}

function userTarget(world: SimWorld, account: string, userName: string): AuthorizationTarget {
  const user = userNamed(world, account, userName);
  return {
    resourceType: 'user',
    arn: user?.arn ?? `arn:aws:iam::${account}:user/${userName}`,
    keys: {
      'aws:ResourceAccount': [user?.account ?? account],
      ...Object.fromEntries(Object.entries(user?.tags ?? {}).flatMap(([key, value]) => [[`aws:ResourceTag/${key}`, [value]], [`iam:ResourceTag/${key}`, [value]]])),
    },
    complete: ['aws:ResourceTag/', 'iam:ResourceTag/'],
  };
}

/**
 * Route 53 Resolver: the DNS Firewall resources each API names (new ones as `*`, with their request
 * tags; existing domain lists and rule groups with their tags, aws:ResourceTag, complete: a list or
 * group that is not in the account has none).
 */
function resolverTargets(action: string, call: AuthorizationCall, world: SimWorld): AuthorizationTarget[] | undefined {
  const input = call.input;
  const arn = (type: string, id: unknown) => `arn:aws:route53resolver:${call.region}:${call.account}:${type}/${typeof id === 'string' ? id : '*'}`;
  const created = (type: string): AuthorizationTarget => {
    const request = requestTags((input.Tags as { Key?: string; Value?: string }[] | undefined) ?? []);
    return { resourceType: type, arn: arn(type, '*'), keys: request.keys, complete: request.complete };
  };
  const existing = (type: 'firewall-domain-list' | 'firewall-rule-group', id: unknown): AuthorizationTarget => {
    const records = type === 'firewall-domain-list' ? world.dnsFirewall.domainLists : world.dnsFirewall.ruleGroups;
    const record = typeof id === 'string' ? records.get(id) : undefined;
    const here = record !== undefined && record.account === call.account && record.region === call.region;
    // A rule group another account shares with the caller (RAM) is its owner's: its ARN names the owner.
    const shared = record !== undefined && !here && record.region === call.region && 'sharedWith' in record && (record.sharedWith ?? []).includes(call.account);
    const owned = here || shared;
    return {
      resourceType: type,
      arn: shared ? `arn:aws:route53resolver:${call.region}:${record.account}:${type}/${String(id)}` : arn(type, id),
      keys: tagKeys(['aws:ResourceTag/'], owned ? record.tags : undefined),
      complete: ['aws:ResourceTag/'],
    };
  };
  switch (action) {
    case 'CreateFirewallDomainList':
      return [created('firewall-domain-list')];
    case 'CreateFirewallRuleGroup':
      return [created('firewall-rule-group')];
    case 'AssociateFirewallRuleGroup':
      return [created('firewall-rule-group-association')];
    case 'UpdateFirewallDomains':
    case 'ListFirewallDomains':
      return [existing('firewall-domain-list', input.FirewallDomainListId)];
    case 'CreateFirewallRule':
      return [existing('firewall-domain-list', input.FirewallDomainListId), existing('firewall-rule-group', input.FirewallRuleGroupId)];
    case 'ListFirewallRules':
      return [existing('firewall-rule-group', input.FirewallRuleGroupId)];
    default:
      return undefined;
  }
}

/** The S3 APIs that use an object's SSE-KMS key on the caller's behalf. */
const S3_KMS_APIS: ReadonlySet<string> = new Set(['PutObject', 'CopyObject', 'GetObject']);

/**
 * The object ARN S3 puts in the encryption context: a copy's source when it decrypts (kms:Decrypt
 * of CopyObject), the object written otherwise.
 */
function s3ObjectInContext(kmsAction: string, api: string, input: Record<string, unknown>): string {
  if (api === 'CopyObject' && kmsAction === 'Decrypt') {
    const source = /^\/?([^/]+)\/([^?]+)/.exec(typeof input.CopySource === 'string' ? input.CopySource : '');
    return `arn:aws:s3:::${source?.[1] ?? ''}/${decodeURIComponent(source?.[2] ?? '')}`;
  }
  return `arn:aws:s3:::${String(input.Bucket)}/${String(input.Key)}`;
}

/** The S3 IAM actions whose request carries the object's new tag set (s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys). */
const S3_TAG_WRITES: ReadonlySet<string> = new Set(['PutObject', 'PutObjectTagging', 'PutObjectVersionTagging']);

/**
 * The tag set a write sends for the object it writes: PutObjectTagging's TagSet, or the Tagging
 * header of PutObject and of a CopyObject that replaces the tags. Undefined for a CopyObject that
 * copies the source's tags: what S3 puts in the request keys then is not modelled, so a policy
 * asking for them is reported (unevaluated), never judged.
 */
function s3RequestTags(call: AuthorizationCall): { keys: Record2; complete: string[] } | undefined {
  const input = call.input;
  let tags: [string, string][];
  if (call.action === 'PutObjectTagging') {
    const tagSet = (input.Tagging as { TagSet?: { Key?: string; Value?: string }[] } | undefined)?.TagSet ?? [];
    tags = tagSet.filter((tag) => tag.Key !== undefined).map((tag) => [tag.Key as string, tag.Value ?? '']);
  } else if (call.action === 'PutObject' || (call.action === 'CopyObject' && input.TaggingDirective === 'REPLACE')) {
    tags = [...new URLSearchParams(typeof input.Tagging === 'string' ? input.Tagging : '')];
  } else {
    return undefined;
  }
  const keys: Record2 = Object.fromEntries(tags.map(([key, value]) => [`s3:RequestObjectTag/${key}`, [value]]));
  if (tags.length > 0) keys['s3:RequestObjectTagKeys'] = tags.map(([key]) => key);
  return { keys, complete: ['s3:RequestObjectTag/', 's3:RequestObjectTagKeys'] };
}

/**
 * The headers of a write (PutObject, or CopyObject, which S3 authorizes as s3:PutObject) that its
 * condition keys read: If-None-Match (s3:if-none-match) and a copy's source (s3:x-amz-copy-source),
 * each absent when the request does not send it.
 */
function s3WriteHeaders(call: AuthorizationCall): { keys: Record2; complete: string[] } {
  const input = call.input;
  const keys: Record2 = {};
  if (typeof input.IfNoneMatch === 'string') keys['s3:if-none-match'] = [input.IfNoneMatch];
  if (call.action === 'CopyObject' && typeof input.CopySource === 'string') keys['s3:x-amz-copy-source'] = [input.CopySource];
  return { keys, complete: ['s3:if-none-match', 's3:x-amz-copy-source'] };
}

/**
 * S3: the object (or bucket) the call names, with its owner (s3:ResourceAccount) and, for an object
 * that exists, its current tags (s3:ExistingObjectTag/<key>, of the version the call names); a write
 * of the object's tags also carries the new ones (s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys),
 * and a write of the object its If-None-Match and copy source (s3WriteHeaders).
 */
/** CopyObject's CopySource (`bucket/key?versionId=v`, the key and version URL-encoded), as the simulated S3 reads it. */
function copySourceOf(input: Record<string, unknown>): { bucket: string; key: string; versionId?: string } | undefined {
  const source = /^\/?([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(typeof input.CopySource === 'string' ? input.CopySource : '');
  if (!source) return undefined;
  const [, bucket = '', key = '', versionId] = source;
  return { bucket, key: decodeURIComponent(key), ...(versionId !== undefined ? { versionId: decodeURIComponent(versionId) } : {}) };
}

function s3Targets(action: string, call: AuthorizationCall, world: SimWorld, resourceHint?: string): AuthorizationTarget[] | undefined {
  const arn = /^arn:aws:s3:::([^/]+)(?:\/(.*))?$/s.exec(resourceHint ?? '');
  if (!arn) return undefined;
  const [, bucketName = '', key] = arn;
  const bucket = world.s3.buckets.get(bucketName);
  // An S3 ARN names no account: the bucket's owner is aws:ResourceAccount too, which tells a
  // cross-account request (identity and bucket policy must both allow) from one of its own account.
  const owner = { 's3:ResourceAccount': [bucket?.account ?? call.account], ...(bucket !== undefined ? { 'aws:ResourceAccount': [bucket.account] } : {}) };
  if (key === undefined) return [{ resourceType: 'bucket', arn: resourceHint!, keys: owner, complete: [] }];
  const ownObject = resourceHint === `arn:aws:s3:::${String(call.input.Bucket)}/${String(call.input.Key)}`;
  // A copy's source is authorized on the version its CopySource names (s3:GetObjectVersion): that
  // version's tags are its s3:ExistingObjectTag keys, not the current version's (tags are per version).
  const copied = call.action === 'CopyObject' && (action === 'GetObject' || action === 'GetObjectVersion') ? copySourceOf(call.input) : undefined;
  const copiedVersion = copied !== undefined && resourceHint === `arn:aws:s3:::${copied.bucket}/${copied.key}` ? copied.versionId : undefined;
  const version = ownObject && typeof call.input.VersionId === 'string' ? call.input.VersionId : copiedVersion;
  const existing = action === 'PutObject' ? undefined : world.s3.find(bucketName, key, version);
  const request = ownObject && S3_TAG_WRITES.has(action) ? s3RequestTags(call) : undefined;
  const write = ownObject && action === 'PutObject' ? s3WriteHeaders(call) : undefined;
  return [
    {
      resourceType: 'object',
      arn: resourceHint!,
      keys: { ...owner, ...tagKeys(['s3:ExistingObjectTag/'], existing?.tags), ...request?.keys, ...write?.keys },
      complete: ['s3:ExistingObjectTag/', ...(request?.complete ?? []), ...(write?.complete ?? [])],
    },
  ];
}

/** The partition key values a DynamoDB request touches (`dynamodb:LeadingKeys`). */
function leadingKeys(world: SimWorld, tableArn: string, keys: readonly Record<string, unknown>[]): string[] {
  const table = world.tables.get(tableArn);
  if (!table) return [];
  return keys
    .map((key) => key[table.partitionKey.name] as Record<string, string> | undefined)
    .map((value) => (value ? (value.S ?? value.N ?? '') : ''))
    .filter((value) => value !== '');
}

function tableTarget(world: SimWorld, call: AuthorizationCall, tableName: string, keys: readonly Record<string, unknown>[] | undefined): AuthorizationTarget {
  const arn = tableName.startsWith('arn:') ? tableName : `arn:aws:dynamodb:${call.region}:${call.account}:table/${tableName}`;
  return {
    resourceType: 'table',
    arn,
    keys: keys === undefined ? {} : { 'dynamodb:LeadingKeys': leadingKeys(world, arn, keys) },
    // A request without key values (Scan, a Query this model does not parse) has no LeadingKeys.
    complete: keys === undefined ? [] : ['dynamodb:LeadingKeys'],
  };
}

function dynamodbTargets(action: string, call: AuthorizationCall, world: SimWorld): AuthorizationTarget[] | undefined {
  const input = call.input;
  switch (action) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [tableTarget(world, call, String(input.TableName), [(input.Key ?? {}) as Record<string, unknown>])];
    case 'PutItem':
      return [tableTarget(world, call, String(input.TableName), [(input.Item ?? {}) as Record<string, unknown>])];
    case 'BatchGetItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: Record<string, unknown>[] }>).map(([table, request]) =>
        tableTarget(world, call, table, request.Keys ?? []),
      );
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item?: Record<string, unknown> }; DeleteRequest?: { Key?: Record<string, unknown> } }[]>).map(
        ([table, requests]) => tableTarget(world, call, table, requests.map((request) => request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {})),
      );
    case 'TransactWriteItems': {
      const items = (input.TransactItems ?? []) as Record<string, { TableName?: string; Key?: Record<string, unknown>; Item?: Record<string, unknown> }>[];
      return items.flatMap((item) => Object.values(item)).map((operation) => tableTarget(world, call, String(operation.TableName), [operation.Key ?? operation.Item ?? {}]));
    }
    case 'Query':
    case 'Scan':
    case 'DescribeTable':
    case 'CreateTable':
    case 'DeleteTable':
      return [tableTarget(world, call, String(input.TableName), undefined)];
    default:
      return undefined;
  }
}

function queueArnOf(world: SimWorld, url: string): string {
  const queue = world.queues.get(url);
  if (queue) return queue.arn;
  const match = /^https?:\/\/[^/]+\/(\d{12})\/([^/?]+)/.exec(url);
  return match ? `arn:aws:sqs:${url.split('.')[1] ?? ''}:${match[1]}:${match[2]}` : url;
}

/** The BatchUpdateFindings fields whose values are the `securityhub:ASFFSyntaxPath/<field>` keys (objects by their leaves). */
const ASFF_SYNTAX_PATHS: Readonly<Record<string, readonly string[] | undefined>> = {
  Workflow: ['Status'],
  Note: ['Text', 'UpdatedBy'],
  Severity: ['Label', 'Normalized', 'Product'],
};

/**
 * A BatchUpdateFindings request's `securityhub:ASFFSyntaxPath/<field>` keys: each field it sets,
 * by its ASFF path (`Workflow.Status`, `Severity.Label`), lists and maps as present
 * (`RelatedFindings`, `Types`, `UserDefinedFields.key` and `.value`).
 * https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html
 */
function asffSyntaxPathKeys(input: Record<string, unknown>): Record2 {
  const keys: Record2 = {};
  const put = (path: string, values: readonly unknown[]) => {
    if (values.length > 0) keys[`securityhub:ASFFSyntaxPath/${path}`] = values.map(String);
  };
  for (const [field, value] of Object.entries(input)) {
    if (field === 'FindingIdentifiers' || value === undefined || value === null) continue;
    const leaves = ASFF_SYNTAX_PATHS[field];
    if (leaves !== undefined && typeof value === 'object') {
      for (const leaf of leaves) {
        const leafValue = (value as Record<string, unknown>)[leaf];
        if (leafValue !== undefined && leafValue !== null) put(`${field}.${leaf}`, [leafValue]);
      }
    } else if (field === 'UserDefinedFields' && typeof value === 'object') {
      put('UserDefinedFields.key', Object.keys(value));
      put('UserDefinedFields.value', Object.values(value));
    } else if (Array.isArray(value)) {
      put(field, value.map((entry) => (typeof entry === 'object' ? JSON.stringify(entry) : entry)));
    } else {
      put(field, [value]);
    }
  }
  return keys;
}

/**
 * The targets of `action` (the call's own API, or a dependent one it authorizes: ec2:CreateTags
 * for TagSpecifications, iam:PassRole for an association, kms:* for an encrypted topic).
 * Undefined: this model does not know the API's resources (the call authorizes on `*`).
 */
export function authorizationTargets(iamAction: string, call: AuthorizationCall, world: SimWorld, resourceHint?: string): AuthorizationTarget[] | undefined {
  const [service, action = ''] = iamAction.split(':') as [string, string | undefined];
  const input = call.input;
  switch (service) {
    case 'ec2':
      return ec2Targets(action, call, world);
    case 'iam':
      switch (action) {
        case 'PassRole': {
          const role = roleTarget(world, call.account, undefined, resourceHint);
          const passedTo = call.action.endsWith('IamInstanceProfile') || call.action.endsWith('InstanceProfileAssociation') || call.action === 'RunInstances' ? 'ec2.amazonaws.com' : undefined;
          return [{ ...role, keys: { ...role.keys, ...(passedTo ? { 'iam:PassedToService': [passedTo] } : {}) }, complete: [...role.complete, 'iam:PassedToService'] }];
        }
        case 'GetInstanceProfile':
        case 'DeleteInstanceProfile':
        case 'AddRoleToInstanceProfile':
        case 'RemoveRoleFromInstanceProfile': {
          const profile = [...world.instanceProfiles.values()].find((p) => p.account === call.account && p.name === input.InstanceProfileName);
          return [{ resourceType: 'instance-profile', arn: profile?.arn ?? `arn:aws:iam::${call.account}:instance-profile/${String(input.InstanceProfileName)}`, keys: {}, complete: [] }];
        }
        // ListInstanceProfilesForRole too is authorized on the role it names (Service Authorization Reference: role*).
        case 'PutRolePolicy':
        case 'DeleteRolePolicy':
        case 'GetRolePolicy':
        case 'ListRolePolicies':
        case 'ListInstanceProfilesForRole':
        case 'GetRole':
        case 'TagRole':
          return [roleTarget(world, call.account, String(input.RoleName))];
        case 'GetAccessKeyLastUsed':
          // Authorized on the user that owns the key (Service Authorization Reference: user*), whatever a finding calls it.
          return [userTarget(world, call.account, ownerOfKey(world, call.account, String(input.AccessKeyId))?.name ?? '*')];
        case 'UpdateUser':
        case 'GetUser':
        case 'ListUserTags':
        case 'ListAccessKeys':
        case 'UpdateAccessKey':
        case 'ListAttachedUserPolicies':
        case 'CreateUser':
        case 'TagUser':
        case 'CreateAccessKey':
        case 'DeleteAccessKey':
        case 'DeleteUser':
          return [userTarget(world, call.account, String(input.UserName))];
        case 'AttachUserPolicy':
        case 'DetachUserPolicy': {
          const user = userTarget(world, call.account, String(input.UserName));
          return [{ ...user, keys: { ...user.keys, 'iam:PolicyARN': [String(input.PolicyArn)] }, complete: [...user.complete, 'iam:PolicyARN'] }];
        }
        default:
          return undefined;
      }
    case 'sts':
      if (action === 'AssumeRole') {
        const role = roleTarget(world, call.account, undefined, String(input.RoleArn));
        const account = /^arn:aws:iam::(\d{12}):/.exec(String(input.RoleArn))?.[1] ?? call.account;
        return [
          {
            ...role,
            keys: {
              ...role.keys,
              'aws:ResourceAccount': [account],
              ...(input.ExternalId !== undefined ? { 'sts:ExternalId': [String(input.ExternalId)] } : {}),
              ...(input.RoleSessionName !== undefined ? { 'sts:RoleSessionName': [String(input.RoleSessionName)] } : {}),
            },
            complete: [...role.complete, 'sts:ExternalId', 'sts:RoleSessionName', 'aws:RequestTag/', 'aws:TagKeys', 'sts:TransitiveTagKeys', 'sts:SourceIdentity'],
          },
        ];
      }
      return undefined;
    case 'dynamodb':
      return dynamodbTargets(action, call, world);
    case 'autoscaling':
    case 'elasticloadbalancing':
      return fleetTargets(service, action, call, world);
    case 'route53resolver':
      return resolverTargets(action, call, world);
    case 's3':
      return s3Targets(action, call, world, resourceHint);
    case 'securityhub': {
      // BatchUpdateFindings authorizes on the account's hub, with each field the request sets as a
      // securityhub:ASFFSyntaxPath/<field> key (known completely: a field not sent has no key).
      if (action !== 'BatchUpdateFindings') return undefined;
      return [
        {
          resourceType: 'hub',
          arn: `arn:aws:securityhub:${call.region}:${call.account}:hub/default`,
          keys: { 'aws:ResourceAccount': [call.account], ...asffSyntaxPathKeys(input) },
          complete: ['securityhub:ASFFSyntaxPath/'],
        },
      ];
    }
    case 'sns':
      if (action === 'Publish') return [{ resourceType: 'topic', arn: String(input.TopicArn ?? input.TargetArn), keys: {}, complete: [] }];
      return undefined;
    case 'sqs':
      if (typeof input.QueueUrl === 'string') return [{ resourceType: 'queue', arn: queueArnOf(world, input.QueueUrl), keys: {}, complete: [] }];
      return undefined;
    case 'states':
      // The IAM catalog's resource type is `statemachine`. The engine's own integrations name the
      // machine StateMachineArn; the SDK's StartExecution (the oversized-event intake) stateMachineArn.
      if (typeof input.StateMachineArn === 'string') return [{ resourceType: 'statemachine', arn: input.StateMachineArn, keys: {}, complete: [] }];
      if (typeof input.stateMachineArn === 'string') return [{ resourceType: 'statemachine', arn: input.stateMachineArn, keys: {}, complete: [] }];
      if (typeof input.executionArn === 'string') return [{ resourceType: 'execution', arn: input.executionArn, keys: {}, complete: [] }];
      return undefined;
    case 'events':
      if (action === 'PutEvents') {
        const buses = [...new Set(((input.Entries ?? []) as { EventBusName?: string }[]).map((entry) => entry.EventBusName ?? 'default'))];
        return buses.map((bus) => ({
          resourceType: 'event-bus',
          arn: bus.startsWith('arn:') ? bus : `arn:aws:events:${call.region}:${call.account}:event-bus/${bus}`,
          keys: {},
          complete: [],
        }));
      }
      return undefined;
    case 'kms': {
      const key = resourceHint ?? (typeof input.KeyId === 'string' ? input.KeyId : undefined);
      if (key === undefined) return undefined;
      const arn = key.startsWith('arn:') ? key : `arn:aws:kms:${call.region}:${call.account}:key/${key}`;
      // A dependent KMS call (SNS encrypting a message) is made through that service.
      // EBS uses the keys of a copy through EC2, with grants for an AWS resource.
      // S3 uses an SSE-KMS key with the object's ARN as the encryption context (simulated s3.ts).
      const via: Record2 =
        call.action === 'Publish'
          ? { 'kms:ViaService': [`sns.${call.region}.amazonaws.com`] }
          : call.action === 'CopySnapshot'
            ? { 'kms:ViaService': [`ec2.${call.region}.amazonaws.com`], ...(action === 'CreateGrant' ? { 'kms:GrantIsForAWSResource': ['true'] } : {}) }
            : S3_KMS_APIS.has(call.action)
              ? { 'kms:ViaService': [`s3.${call.region}.amazonaws.com`], [`kms:EncryptionContext:${S3_ENCRYPTION_CONTEXT_KEY}`]: [s3ObjectInContext(action, call.action, input)] }
              : {};
      return [
        {
          resourceType: 'key',
          arn,
          keys: {
            'kms:CallerAccount': [call.caller.account],
            ...(typeof input.MacAlgorithm === 'string' ? { 'kms:MacAlgorithm': [input.MacAlgorithm] } : {}),
            ...via,
          },
          complete: ['kms:MacAlgorithm', 'kms:ViaService', 'kms:EncryptionContext', 'kms:RequestAlias', 'kms:GrantIsForAWSResource'],
        },
      ];
    }
    default:
      return undefined;
  }
}

/** Keys every request carries (the principal, the region, time, transport). */
/** True when `account` belongs to the modelled organization. */
function inOrganization(account: string, options: AuthorizationOptions): boolean {
  return options.organizationId !== undefined && (options.organizationAccounts === undefined || options.organizationAccounts.has(account));
}

/** True when the call goes to IAM's one (us-east-1) endpoint, whatever Region its client names. */
function iamEndpointCall(call: AuthorizationCall): boolean {
  return call.service === 'iam';
}

export function globalKeys(call: AuthorizationCall, options: AuthorizationOptions): Record2 {
  const now = options.now;
  return {
    'aws:PrincipalArn': [call.caller.principalArn],
    'aws:PrincipalAccount': [call.caller.account],
    'aws:PrincipalType': ['AssumedRole'],
    'aws:userid': [call.caller.userId],
    // "Some global services, such as IAM, have a single endpoint … IAM calls are always made to the
    // us-east-1 Region" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requestedregion).
    'aws:RequestedRegion': [iamEndpointCall(call) ? 'us-east-1' : call.region],
    'aws:CurrentTime': [new Date(now).toISOString()],
    'aws:EpochTime': [String(Math.floor(now / 1000))],
    'aws:SecureTransport': ['true'],
    'aws:ViaAWSService': ['false'],
    ...(inOrganization(call.caller.account, options) ? { 'aws:PrincipalOrgID': [options.organizationId as string] } : {}),
    // "The date and time that temporary security credentials were issued": present in every request
    // signed with them, so the IAM console's "Revoke active sessions" deny (DateLessThan on this key)
    // binds a session issued before its cut-off (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime).
    ...(call.caller.issuedAt !== undefined ? { 'aws:TokenIssueTime': [new Date(call.caller.issuedAt).toISOString()] } : {}),
  };
}

/**
 * The calling role's tags, as aws:PrincipalTag/<key> (a role session carries its role's tags:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag).
 * A role the simulated account does not hold (a deployed role authorized by ARN) has none, as the
 * templates tag none.
 */
function principalTagKeys(world: SimWorld, caller: CallerIdentity): Record2 {
  const tags = world.roles.get(caller.principalArn)?.tags;
  return tags === undefined ? {} : tagKeys(['aws:PrincipalTag/'], tags);
}

/** Global key families this model computes completely (absent when not in the context). */
// Not aws:TokenIssueTime: every role session has one (globalKeys), so a caller whose issue time is
// not known leaves it unevaluated rather than absent.
const COMPLETE_GLOBAL = ['aws:PrincipalTag/', 'aws:CalledVia', 'aws:SourceArn', 'aws:SourceAccount', 'aws:SourceVpc', 'aws:SourceVpce', 'aws:SourceOrgID', 'aws:SourceOrgPaths', 'aws:FederatedProvider', 'aws:MultiFactorAuth'];

const COMPLETE_GLOBAL_LOWER = COMPLETE_GLOBAL.map((prefix) => prefix.toLowerCase());

/** The organization's keys (lower case): complete when the organization's accounts are known. */
const ORGANIZATION_KEYS: ReadonlySet<string> = new Set(['aws:resourceorgid', 'aws:principalorgid']);

const NO_TYPES: ReadonlySet<string> = new Set();
/** The resource type names of a catalogued action (the catalog's entries never change): worked out once per action. */
const typeNamesByAction = new WeakMap<CatalogAction, ReadonlySet<string>>();
function resourceTypeNames(action: CatalogAction): ReadonlySet<string> {
  let names = typeNamesByAction.get(action);
  if (names === undefined) {
    names = new Set(action.resourceTypes.map((type) => type.name));
    typeNamesByAction.set(action, names);
  }
  return names;
}

/**
 * The request contexts of one IAM action of a call: one per target resource (or one on `*`), each
 * with the global keys, the target's keys and the account's organization.
 */
export function requestContexts(
  iamAction: string,
  call: AuthorizationCall,
  world: SimWorld,
  catalog: IamCatalog,
  options: AuthorizationOptions,
  resourceHint?: string,
): { context: RequestContext; resourceType?: string }[] {
  const catalogued = catalog.action(iamAction);
  const types = catalogued === undefined ? NO_TYPES : resourceTypeNames(catalogued);
  const built = types.size === 0 ? [] : (authorizationTargets(iamAction, call, world, resourceHint) ?? []);
  const kept = built.filter((target) => target.resourceType !== undefined && types.has(target.resourceType));
  const targets: AuthorizationTarget[] = kept.length > 0 ? kept : [{ arn: types.size === 0 ? '*' : (resourceHint ?? '*'), keys: {}, complete: [] }];
  const base = { ...globalKeys(call, options), ...principalTagKeys(world, call.caller) };
  return targets.map((target) => {
    const resourceAccount = /^arn:aws:[^:]+:[^:]*:(\d{12}):/.exec(target.arn)?.[1];
    // Assigned in place (no object per conditional key): one context per target of every call.
    const keys: Record2 = { ...base };
    if (iamAction.startsWith('ec2:')) keys['ec2:Region'] = [call.region];
    if (resourceAccount !== undefined) {
      keys['aws:ResourceAccount'] = [resourceAccount];
      if (inOrganization(resourceAccount, options)) keys['aws:ResourceOrgID'] = [options.organizationId as string];
    }
    Object.assign(keys, target.keys);
    // S3 supplies s3:ExistingObjectTag/<key> only to the actions the Service Authorization Reference
    // lists it for (GetObject, the tagging actions…), not to DeleteObject(Version) or PutObject: there the
    // key is absent, and a condition on it does not match (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
    if (iamAction.startsWith('s3:')) {
      for (const key of Object.keys(target.keys)) {
        if (key.startsWith('s3:ExistingObjectTag/') && !catalog.supplies(iamAction, target.resourceType, key)) delete keys[key];
      }
    }
    // Worked out on the first condition key asked about (most requests ask none).
    let lowerKeys: ReadonlySet<string> | undefined;
    return {
      ...(target.resourceType !== undefined ? { resourceType: target.resourceType } : {}),
      context: {
        action: catalogued?.name ?? iamAction,
        resource: target.arn,
        keys,
        evaluable: (key: string) => {
          const lower = key.toLowerCase();
          lowerKeys ??= new Set(Object.keys(keys).map((name) => name.toLowerCase()));
          if (lowerKeys.has(lower)) return true;
          if (COMPLETE_GLOBAL_LOWER.some((prefix) => lower.startsWith(prefix))) return true;
          if (target.complete.some((prefix) => lower.startsWith(prefix.toLowerCase()))) return true;
          // With the organization's accounts known, an account outside it has no organization id: the key is absent, as in AWS.
          if (options.organizationAccounts !== undefined && ORGANIZATION_KEYS.has(lower)) return true;
          // A key AWS would not supply here is simply absent, as in AWS.
          return !catalog.supplies(iamAction, target.resourceType, key);
        },
      },
    };
  });
}
