/**
 * Shared EC2 plumbing: id validation and lookups with EC2's own error codes, filters, tags.
 * Error codes and wording: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
import type { Filter, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import type { SimCall } from './call';
import { SimulatedServiceError } from './errors';
import { isWellFormedId } from './ids';
import type {
  InstanceRecord,
  Located,
  NetworkInterfaceRecord,
  SecurityGroupRecord,
  SnapshotRecord,
  SubnetRecord,
  Tags,
  VolumeRecord,
  VpcRecord,
} from './model';
import type { SimWorld } from './world';

export function ec2Error(code: string, message: string): SimulatedServiceError {
  return new SimulatedServiceError(code, message, 400);
}

export function missingParameter(name: string): SimulatedServiceError {
  return ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
}

export function invalidParameterValue(message: string): SimulatedServiceError {
  return ec2Error('InvalidParameterValue', message);
}

function inPlace(call: Pick<SimCall, 'account' | 'region'>, record: Located | undefined): boolean {
  return record !== undefined && record.account === call.account && record.region === call.region;
}

type Where = Pick<SimCall, 'account' | 'region'>;

export function requireInstances(world: SimWorld, call: Where, ids: readonly string[]): InstanceRecord[] {
  const malformed = ids.find((id) => !isWellFormedId(id, 'i'));
  if (malformed !== undefined) throw ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
  const missing = ids.filter((id) => !inPlace(call, world.instances.get(id)));
  if (missing.length === 1) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) throw ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
  return ids.map((id) => world.instances.get(id) as InstanceRecord);
}

export function requireInstance(world: SimWorld, call: Where, id: unknown): InstanceRecord {
  if (typeof id !== 'string' || id === '') throw missingParameter('InstanceId');
  const [instance] = requireInstances(world, call, [id]);
  return instance as InstanceRecord;
}

export function requireNetworkInterface(world: SimWorld, call: Where, id: unknown): NetworkInterfaceRecord {
  if (typeof id !== 'string' || id === '') throw missingParameter('NetworkInterfaceId');
  if (!isWellFormedId(id, 'eni')) {
    throw ec2Error('InvalidNetworkInterfaceID.Malformed', `Invalid id: "${id}" (expecting "eni-...")`);
  }
  const eni = world.networkInterfaces.get(id);
  if (!eni || !inPlace(call, eni)) throw ec2Error('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
  return eni;
}

export function requireSecurityGroup(world: SimWorld, call: Where, id: unknown): SecurityGroupRecord {
  if (typeof id !== 'string' || id === '') throw missingParameter('GroupId');
  if (!isWellFormedId(id, 'sg')) throw ec2Error('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
  const group = world.securityGroups.get(id);
  if (!group || !inPlace(call, group)) throw ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
  return group;
}

/** A group the caller owns, or one its owner shares with the caller's account (RAM security group sharing): listed and usable, never changed by the caller. */
function usableBy(call: Where, group: SecurityGroupRecord | undefined): group is SecurityGroupRecord {
  return group !== undefined && (inPlace(call, group) || (group.region === call.region && (group.sharedWith ?? []).includes(call.account)));
}

/** The security groups the caller lists: its own and those shared with its account. */
export function visibleSecurityGroups(world: SimWorld, call: Where): SecurityGroupRecord[] {
  return [...world.securityGroups.values()].filter((group) => usableBy(call, group));
}

/** One group the caller may describe or put an ENI in (its own or one shared with it). */
export function requireVisibleSecurityGroup(world: SimWorld, call: Where, id: unknown): SecurityGroupRecord {
  if (typeof id !== 'string' || id === '') throw missingParameter('GroupId');
  if (!isWellFormedId(id, 'sg')) throw ec2Error('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
  const group = world.securityGroups.get(id);
  if (!usableBy(call, group)) throw ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
  return group;
}

/**
 * Groups for an ENI or instance: each must exist and be in the same VPC. A group of another VPC
 * is refused as AWS refuses it: "The security group 'sg-…' does not exist in VPC 'vpc-…'".
 */
export function requireGroupsInVpc(world: SimWorld, call: Where, ids: readonly string[], vpcId: string): SecurityGroupRecord[] {
  return ids.map((id) => {
    const group = requireVisibleSecurityGroup(world, call, id);
    if (group.vpcId !== vpcId) throw ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist in VPC '${vpcId}'`);
    return group;
  });
}

export function requireVolume(world: SimWorld, call: Where, id: string): VolumeRecord {
  if (!isWellFormedId(id, 'vol')) throw ec2Error('InvalidVolumeID.Malformed', `Invalid id: "${id}" (expecting "vol-...")`);
  const volume = world.volumes.get(id);
  if (!volume || !inPlace(call, volume)) throw ec2Error('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
  return volume;
}

export function requireSnapshot(world: SimWorld, call: Where, id: string): SnapshotRecord {
  if (!isWellFormedId(id, 'snap')) throw ec2Error('InvalidSnapshotID.Malformed', `Invalid id: "${id}" (expecting "snap-...")`);
  const snapshot = world.snapshots.get(id);
  if (!snapshot || !inPlace(call, snapshot)) throw ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  return snapshot;
}

export function requireVpc(world: SimWorld, call: Where, id: unknown): VpcRecord {
  if (typeof id !== 'string' || id === '') throw missingParameter('VpcId');
  if (!isWellFormedId(id, 'vpc')) throw ec2Error('InvalidVpcID.Malformed', `Invalid id: "${id}" (expecting "vpc-...")`);
  const vpc = world.vpcs.get(id);
  if (!vpc || !inPlace(call, vpc)) throw ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
  return vpc;
}

export function requireSubnet(world: SimWorld, call: Where, id: string): SubnetRecord {
  if (!isWellFormedId(id, 'subnet')) throw ec2Error('InvalidSubnetID.Malformed', `Invalid id: "${id}" (expecting "subnet-...")`);
  const subnet = world.subnets.get(id);
  if (!subnet || !inPlace(call, subnet)) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
  return subnet;
}

/** Records of one account and region. */
export function located<T extends Located>(records: Iterable<T>, call: Where): T[] {
  const found: T[] = [];
  for (const record of records) if (inPlace(call, record)) found.push(record);
  return found;
}

// ---- tags --------------------------------------------------------------------------------------

/** EC2 omits the tag set of an untagged resource (the SDK then reports `Tags: undefined`). */
export function tagList(tags: Tags): Tag[] | undefined {
  if (tags.size === 0) return undefined;
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

const MAX_TAGS_PER_RESOURCE = 50;

/**
 * Tag restrictions: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
 * (50 per resource, key up to 128 characters, value up to 256, `aws:` prefix reserved).
 */
export function validateTags(tags: readonly Tag[]): void {
  for (const tag of tags) {
    const key = tag.Key;
    if (key === undefined || key === '') throw invalidParameterValue('Tag key cannot be null or empty.');
    if (key.length > 128) throw invalidParameterValue(`Tag key exceeds the maximum length of 128 characters`);
    if ((tag.Value ?? '').length > 256) throw invalidParameterValue(`Tag value exceeds the maximum length of 256 characters`);
    if (key.toLowerCase().startsWith('aws:')) throw invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use`);
  }
}

export function applyTags(target: Tags, tags: readonly Tag[]): void {
  const next = new Map(target);
  for (const tag of tags) next.set(tag.Key ?? '', tag.Value ?? '');
  if (next.size > MAX_TAGS_PER_RESOURCE) throw ec2Error('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
  for (const tag of tags) target.set(tag.Key ?? '', tag.Value ?? '');
}

/** Tags for `resourceType` from TagSpecifications; other resource types are refused as EC2 does. */
export function tagsFromSpecifications(specs: readonly TagSpecification[] | undefined, resourceType: string): Tag[] {
  const out: Tag[] = [];
  for (const spec of specs ?? []) {
    if (spec.ResourceType !== resourceType) {
      throw invalidParameterValue(`'${String(spec.ResourceType)}' is not a valid taggable resource type for this operation.`);
    }
    if (!spec.Tags || spec.Tags.length === 0) throw invalidParameterValue('Tag specification must have at least one tag');
    out.push(...spec.Tags);
  }
  validateTags(out);
  return out;
}

// ---- filters -----------------------------------------------------------------------------------

/**
 * The test of one EC2 filter value, which accepts `*` and `?` wildcards (`\` escapes the next
 * character, in a value without wildcards too: `\\` is one backslash); made once per filter value,
 * not per resource it is tried on.
 */
function filterValueMatcher(pattern: string): (value: string) => boolean {
  if (!/[*?\\]/.test(pattern)) return (value) => value === pattern;
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length) {
      i += 1;
      source += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const expression = new RegExp(`^${source}$`, 's');
  return (value) => expression.test(value);
}

/** What a filter name reads of a resource: its one value, or its values. */
export type FilterExtractors<T> = Readonly<Record<string, (item: T) => string | readonly string[]>>;

function tagFilterValues(tags: Tags, name: string): readonly string[] | undefined {
  if (name.startsWith('tag:')) {
    const value = tags.get(name.slice(4));
    return value === undefined ? [] : [value];
  }
  if (name === 'tag-key') return [...tags.keys()];
  if (name === 'tag-value') return [...tags.values()];
  return undefined;
}

/**
 * Applies describe filters: several values of one filter are OR'ed, several filters are AND'ed,
 * and `tag:<key>`, `tag-key`, `tag-value` work everywhere
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html). An unknown filter
 * name is refused, so a typo in a responder fails instead of silently matching everything.
 */
export function applyFilters<T>(
  items: readonly T[],
  filters: readonly Filter[] | undefined,
  extractors: FilterExtractors<T>,
  tagsOf: (item: T) => Tags,
): T[] {
  const checks = (filters ?? []).map((filter) => {
    const name = filter.Name ?? '';
    const extractor = Object.hasOwn(extractors, name) ? extractors[name] : undefined;
    const isTagFilter = name.startsWith('tag:') || name === 'tag-key' || name === 'tag-value';
    if (!extractor && !isTagFilter) throw invalidParameterValue(`The filter '${name}' is invalid`);
    const matchers = (filter.Values ?? []).map(filterValueMatcher);
    const matches = (value: string): boolean => matchers.some((matcher) => matcher(value));
    if (!extractor && name.startsWith('tag:')) {
      // `tag:<key>`: the one value of that key, read without building a list per item.
      const key = name.slice(4);
      return (item: T): boolean => {
        const value = tagsOf(item).get(key);
        return value !== undefined && matches(value);
      };
    }
    return (item: T): boolean => {
      const actual = extractor ? extractor(item) : (tagFilterValues(tagsOf(item), name) ?? []);
      return typeof actual === 'string' ? matches(actual) : actual.some(matches);
    };
  });
  return checks.length === 0 ? [...items] : items.filter((item) => checks.every((check) => check(item)));
}

/** Reads a boolean attribute value in either wire form ({ Value: true } or 'true'). */
export function booleanValue(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}
