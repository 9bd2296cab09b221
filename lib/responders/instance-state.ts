/**
 * What EC2 says of an instance right now, in plain data: the input of every containment decision
 * (quarantine and release). One adapter, `observeInstance`, makes the read-only calls concurrently.
 */
import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, Instance, InstanceAttribute } from '@aws-sdk/client-ec2';
import { describeInstance, foreignInstanceDetail, instanceNotFoundCode, tagRecord } from '../aws/describe-instance';
import { toResponderError } from '../aws/errors';
import { settleAll } from './pending-actions';

/** The tag keys Firebreak writes on a contained instance. */
export const FIREBREAK_TAGS = {
  incident: 'firebreak:incident',
  status: 'firebreak:status',
  quarantinedAt: 'firebreak:quarantined-at',
  releasedAt: 'firebreak:released-at',
} as const;

export interface ObservedNetworkInterface {
  readonly networkInterfaceId: string;
  readonly vpcId?: string;
  /** Security group ids in EC2's order. */
  readonly groupIds: readonly string[];
  readonly deviceIndex?: number;
  /**
   * Its private IPv4 and its IPv6 addresses, as addressKey spells them: an `ip` target group may
   * register the instance by one of them (IPv6 target groups by an IPv6 address, row 3t).
   */
  readonly addresses?: readonly string[];
  /**
   * The IPv4 and IPv6 prefixes delegated to it (EC2 prefix delegation, `Ipv4Prefixes`/`Ipv6Prefixes`:
   * /28 and /80 blocks a container runtime hands out), as prefixKey spells them: every address in
   * them is the ENI's, and an `ip` target group may register one (row 3u).
   */
  readonly prefixes?: readonly string[];
}

export interface ObservedVolume {
  readonly deviceName: string;
  readonly volumeId?: string;
  readonly deleteOnTermination: boolean;
}

export interface ObservedProfileAssociation {
  readonly associationId: string;
  readonly instanceProfileArn: string;
  readonly state: string;
}

/** An instance as EC2 describes it now. */
export interface ObservedInstance {
  readonly instanceId: string;
  /** pending | running | stopping | stopped | shutting-down | terminated. */
  readonly state: string;
  readonly vpcId?: string;
  /** Every attached ENI, primary first. */
  readonly networkInterfaces: readonly ObservedNetworkInterface[];
  /** The association in state associating/associated, if any. */
  readonly profileAssociation?: ObservedProfileAssociation;
  readonly disableApiTermination: boolean;
  readonly shutdownBehavior: 'stop' | 'terminate';
  /** `ebs` or `instance-store` (an instance-store-backed instance cannot stop, only terminate). */
  readonly rootDeviceType?: string;
  /** EBS volumes only (instance-store volumes have no `Ebs` block and nothing to protect). */
  readonly ebsVolumes: readonly ObservedVolume[];
  readonly tags: Readonly<Record<string, string>>;
  /** The instance metadata service's settings, when EC2 reports them (quarantine-metadata.ts). */
  readonly metadataOptions?: InstanceMetadataSettings;
}

/** The instance metadata settings Firebreak changes and restores (ModifyInstanceMetadataOptions). */
export interface InstanceMetadataSettings {
  readonly httpEndpoint: 'enabled' | 'disabled';
  readonly httpTokens: 'optional' | 'required';
  readonly httpPutResponseHopLimit: number;
}

export type InstanceObservation =
  | { readonly found: true; readonly instance: ObservedInstance }
  | { readonly found: false; readonly reason: string };

// One definition of the id rules, shared with triage (which refuses these ids at the boundary).
export { isPlaceholderInstanceId } from '../incident/identifiers';

/** True for the states in which an instance is gone or going, and so cannot be contained. */
export function isTerminatedState(state: string): boolean {
  return state === 'terminated' || state === 'shutting-down';
}

/** The `firebreak:*` tags of a tag map. */
export function firebreakTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => key.startsWith('firebreak:')));
}

function addressesOf(ips: readonly (string | undefined)[], delegated: readonly (string | undefined)[]): { addresses?: readonly string[]; prefixes?: readonly string[] } {
  const keys = ips.flatMap((ip) => (ip ? [addressKey(ip)] : []));
  const prefixes = delegated.flatMap((cidr) => (cidr === undefined ? [] : (prefixKey(cidr) ?? [])));
  return { ...(keys.length > 0 ? { addresses: keys } : {}), ...(prefixes.length > 0 ? { prefixes } : {}) };
}

/**
 * One spelling of an address, to compare addresses (pure). IPv6 has many (`2001:db8::1`,
 * `2001:0DB8:0:0:0:0:0:1`), and nothing says EC2's (an ENI's Ipv6Addresses) and ELB's (a target id)
 * agree: an IPv6 address becomes the WHATWG URL host form (RFC 5952: lower case, zeros compressed,
 * in brackets, so never equal to an IPv4 address); anything else (IPv4) is left as it is. Only hex
 * digits, `:` and `.` reach the URL parser, so a host part is never more than an IPv6 address.
 */
export function addressKey(address: string): string {
  return (/^[\da-f:.]+$/i.test(address) && URL.parse(`http://[${address}]`)?.host) || address;
}

/** An address as its family and 32- or 128-bit value (pure): IPv4 only as four decimal bytes without leading zeros, IPv6 only as addressKey reads it. */
function addressValue(address: string): { readonly family: 4 | 6; readonly value: bigint } | undefined {
  if (/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(address)) {
    const bytes = address.split('.').map(Number);
    return bytes.every((b) => b <= 255) ? { family: 4, value: bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n) } : undefined;
  }
  const key = addressKey(address);
  if (!key.startsWith('[')) return undefined;
  // The URL host form: hex groups only (no dotted quad), one `::` at most.
  const [head = '', tail] = key.slice(1, -1).split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array<string>(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  return { family: 6, value: all.reduce((v, g) => (v << 16n) | BigInt(`0x${g}`), 0n) };
}

/** A CIDR block as its family, network value and length; none unless it is exactly a prefix (host bits zero, a length of its family). */
function prefixValue(cidr: string): { readonly family: 4 | 6; readonly value: bigint; readonly length: number } | undefined {
  const match = /^([\da-f:.]+)\/(0|[1-9]\d{0,2})$/i.exec(cidr);
  const network = match?.[1] !== undefined ? addressValue(match[1]) : undefined;
  const length = Number(match?.[2]);
  if (!network || length > (network.family === 4 ? 32 : 128)) return undefined;
  const hostBits = BigInt((network.family === 4 ? 32 : 128) - length);
  return (network.value & ((1n << hostBits) - 1n)) === 0n ? { ...network, length } : undefined;
}

/** One spelling of a delegated prefix (`10.0.1.16/28`, `2600:1f18::/80`: addressKey's, unbracketed), or none when it is not exactly a prefix (pure). */
export function prefixKey(cidr: string): string | undefined {
  const prefix = prefixValue(cidr);
  return prefix && `${addressKey(cidr.slice(0, cidr.indexOf('/'))).replace(/^\[(.*)\]$/, '$1')}/${prefix.length}`;
}

/**
 * Whether an ENI holds the address (pure): one of its addresses, or inside one of its delegated
 * prefixes (row 3u). Containment is exact: the same family (an IPv4-mapped IPv6 address is never in
 * an IPv4 prefix) and the prefix's leading bits equal, each side parsed strictly or not at all.
 */
export function holdsAddress(eni: Pick<ObservedNetworkInterface, 'addresses' | 'prefixes'>, address: string): boolean {
  if ((eni.addresses ?? []).includes(addressKey(address))) return true;
  const value = addressValue(address);
  return (eni.prefixes ?? []).some((key) => {
    const prefix = prefixValue(key);
    if (prefix === undefined || value === undefined || prefix.family !== value.family) return false;
    const hostBits = BigInt((prefix.family === 4 ? 32 : 128) - prefix.length);
    return value.value >> hostBits === prefix.value >> hostBits;
  });
}

/** Plain-data view of a DescribeInstances instance and its attributes. */
export function toObservedInstance(
  instance: Instance,
  attributes: { readonly disableApiTermination?: InstanceAttribute; readonly shutdownBehavior?: InstanceAttribute },
  association: ObservedProfileAssociation | undefined,
): ObservedInstance {
  const networkInterfaces = [...(instance.NetworkInterfaces ?? [])]
    .filter((eni) => eni.NetworkInterfaceId !== undefined)
    .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
    .map((eni) => ({
      networkInterfaceId: eni.NetworkInterfaceId as string,
      ...((eni.VpcId ?? instance.VpcId) !== undefined ? { vpcId: (eni.VpcId ?? instance.VpcId) as string } : {}),
      groupIds: (eni.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
      ...(eni.Attachment?.DeviceIndex !== undefined ? { deviceIndex: eni.Attachment.DeviceIndex } : {}),
      ...addressesOf(
        [...(eni.PrivateIpAddresses?.map((ip) => ip.PrivateIpAddress) ?? [eni.PrivateIpAddress]), ...(eni.Ipv6Addresses?.map((ip) => ip.Ipv6Address) ?? [])],
        [...(eni.Ipv4Prefixes?.map((p) => p.Ipv4Prefix) ?? []), ...(eni.Ipv6Prefixes?.map((p) => p.Ipv6Prefix) ?? [])],
      ),
    }));
  const ebsVolumes = (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
    mapping.DeviceName && mapping.Ebs
      ? [
          {
            deviceName: mapping.DeviceName,
            ...(mapping.Ebs.VolumeId ? { volumeId: mapping.Ebs.VolumeId } : {}),
            deleteOnTermination: mapping.Ebs.DeleteOnTermination === true,
          },
        ]
      : [],
  );
  const tags = tagRecord(instance.Tags);
  return {
    instanceId: instance.InstanceId ?? '',
    state: instance.State?.Name ?? 'unknown',
    ...(instance.VpcId ? { vpcId: instance.VpcId } : {}),
    networkInterfaces,
    ...(association ? { profileAssociation: association } : {}),
    disableApiTermination: attributes.disableApiTermination?.DisableApiTermination?.Value === true,
    // EC2's default is `stop`; only an explicit `terminate` is a risk to the evidence.
    shutdownBehavior: attributes.shutdownBehavior?.InstanceInitiatedShutdownBehavior?.Value === 'terminate' ? 'terminate' : 'stop',
    ...(instance.RootDeviceType ? { rootDeviceType: instance.RootDeviceType } : {}),
    ebsVolumes,
    tags,
    ...metadataSettingsOf(instance),
  };
}

/** The metadata settings of a described instance; none when EC2 leaves any of the three out. */
function metadataSettingsOf(instance: Instance): { metadataOptions?: InstanceMetadataSettings } {
  const options = instance.MetadataOptions;
  const endpoint = options?.HttpEndpoint;
  const tokens = options?.HttpTokens;
  const hops = options?.HttpPutResponseHopLimit;
  if ((endpoint !== 'enabled' && endpoint !== 'disabled') || (tokens !== 'optional' && tokens !== 'required') || hops === undefined) return {};
  return { metadataOptions: { httpEndpoint: endpoint, httpTokens: tokens, httpPutResponseHopLimit: hops } };
}

async function orNotFound<T>(api: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (instanceNotFoundCode(error, 'not-found-or-malformed') !== undefined) return undefined;
    throw toResponderError(error, api);
  }
}

/**
 * Describes the instance with four concurrent read-only calls. DescribeInstances does not report
 * termination protection or the shutdown behaviour, hence DescribeInstanceAttribute
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceAttribute.html).
 */
export async function observeInstance(ec2: EC2Client, instanceId: string, account: string): Promise<InstanceObservation> {
  const [described, associations, termination, shutdown] = await settleAll([
    describeInstance(ec2, instanceId, { notFound: 'not-found-or-malformed', account }),
    orNotFound('ec2:DescribeIamInstanceProfileAssociations', () =>
      ec2.send(
        new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }),
      ),
    ),
    orNotFound('ec2:DescribeInstanceAttribute', () =>
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' })),
    ),
    orNotFound('ec2:DescribeInstanceAttribute', () =>
      ec2.send(
        new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }),
      ),
    ),
  ] as const);
  const instance = described.found ? described.instance : undefined;
  if (!instance) return { found: false, reason: foreignInstanceDetail(described, instanceId, account) ?? `EC2 knows no instance ${instanceId} in this account and region` };
  const active = (associations?.IamInstanceProfileAssociations ?? []).find(
    (a) => a.InstanceId === instanceId && (a.State === 'associated' || a.State === 'associating'),
  );
  const association =
    active?.AssociationId && active.IamInstanceProfile?.Arn
      ? { associationId: active.AssociationId, instanceProfileArn: active.IamInstanceProfile.Arn, state: active.State ?? 'associated' }
      : undefined;
  return {
    found: true,
    instance: toObservedInstance(
      instance,
      {
        ...(termination ? { disableApiTermination: termination } : {}),
        ...(shutdown ? { shutdownBehavior: shutdown } : {}),
      },
      association,
    ),
  };
}
