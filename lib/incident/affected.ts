/**
 * The affected resources of an incident: every resource the event names, typed, and checked
 * against the format of what it claims to be. An id that does not look like what it claims (or a
 * placeholder such as `i-99999999` on a finding not marked as a sample) becomes an `unverified`
 * entry: kept and shown as untrusted text, never passed on as an id. Pure; no AWS SDK.
 *
 * Sources, in order (the first naming a resource wins; duplicates are dropped):
 * - the incident's `resource` (resource.instanceDetails, resource.accessKeyDetails, the first
 *   bucket or cluster of an "other" resource) — what `affectedResources` derives when the parser
 *   stored nothing more;
 * - the rest of `detail.resource`: the access key and principal of an AccessKey finding that also
 *   names the instance whose credentials leaked, every bucket of `s3BucketDetails[]` and its
 *   objects;
 * - an attack sequence's `resources[]` (GuardDuty ResourceV2: `uid`, `resourceType`, `accountId`,
 *   `region`, `data`), including the instances the sequence names inside an Auto Scaling group,
 *   launch template, VPC, AMI or instance profile (`data.*.ec2InstanceUids`: "compromised EC2
 *   instances that share …", per the API reference; the worker nodes listed under EKS and ECS
 *   clusters are not said to be compromised and are not added);
 * - the object of a Malware Protection for S3 scan result.
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ResourceV2.html
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ResourceData.html
 */
import { describeReceived } from './errors';
import { payloadBytes } from '../contracts/payload-size';
import type { AffectedResource, AffectedResourceKind, AttackSequenceContext, Incident } from './model';
import {
  INSTANCE_ID_FORMAT,
  RESOURCE_ARN_FORMAT,
  RESOURCE_ID_FORMAT,
  isPlaceholderInstanceId,
  isWellFormedAccountId,
  isWellFormedRegion,
} from './identifiers';
import { REFERENCE_ID, TOKEN, idAt, isRecord, listAt, textAt, untrusted } from './lenient';
import type { PathSegment } from './reading';
import { valueAt, withoutUndefined } from './reading';

/**
 * At most this many affected resources, and this many bytes of them as UTF-8 JSON, are kept (the
 * rest are counted as omitted): the list rides in every Step Functions payload (256 KiB).
 */
export const AFFECTED_MAX = 300;
export const AFFECTED_BUDGET = 48 * 1024;
/**
 * Of those, entries of kinds no fan-out acts on (object keys, names, unverified values: text whose
 * length whoever named the resource chose) take at most this many and this many bytes (row 8k):
 * 45 objects with 1,024-byte keys listed first filled the whole budget and left out the instance
 * GuardDuty listed after them. The kinds acted on hold checked ids only (an entry of at most about
 * 300 bytes), so the rest of the budget is theirs.
 */
export const AFFECTED_TEXT_MAX = 150;
export const AFFECTED_TEXT_BUDGET = 24 * 1024;
/** Ids of acted-on resources left out that the incident still names (`AttackSequenceContext.leftOut`); beyond, a count. */
export const LEFT_OUT_MAX = 100;

/** The kinds a fan-out acts on by id (per-instance.ts, per-credential.ts): never left out for text. */
const ACTED_ON_KINDS: ReadonlySet<AffectedResourceKind> = new Set<AffectedResourceKind>(['ec2-instance', 'access-key', 'iam-user', 'iam-role', 'role-session']);

/** The id of an acted-on resource left out of the list, with its account and Region when the event gave them. */
export type LeftOutResource = NonNullable<AttackSequenceContext['leftOut']>[number];

/** The id a left-out entry is named by, or undefined for a kind no fan-out acts on. */
function leftOutOf(resource: AffectedResource): LeftOutResource | undefined {
  const placed = withoutUndefined({ account: resource.account, region: resource.region });
  switch (resource.kind) {
    case 'ec2-instance':
      return { kind: resource.kind, id: resource.instanceId, ...placed };
    case 'access-key':
      return { kind: resource.kind, id: resource.accessKeyId, ...placed };
    case 'iam-user':
      return { kind: resource.kind, id: resource.userName, ...placed };
    case 'iam-role':
    case 'role-session':
      return { kind: resource.kind, id: resource.roleName, ...placed };
    default:
      return undefined;
  }
}
/** Untrusted values shown for unverified or untyped resources are cut to this. */
const SHOWN_MAX = 256;

/** Where the value sits and what the event says of its place: account, Region, sequence uid. */
interface Placement {
  readonly from: string;
  readonly account?: string;
  readonly region?: string;
  readonly uid?: string;
}

/** Collects affected resources in order, dropping duplicates and counting what the cap leaves out. */
export class AffectedResourceList {
  private readonly items: AffectedResource[] = [];
  /** Position of each resource in `items`, by identity. */
  private readonly seen = new Map<string, number>();
  private size = 0;
  private textCount = 0;
  private textSize = 0;
  omitted = 0;
  /** The acted-on resources left out, by id (at most LEFT_OUT_MAX; `omitted` counts every one). */
  readonly leftOut: LeftOutResource[] = [];
  /**
   * Each left-out resource by identity: its entry in `leftOut` (when named) and how many of its
   * entries `omitted` counted, so that the resource, kept later by an entry that fits, is neither
   * named as left out nor counted (an alert would mark the incident NOT CONTAINED for an instance
   * Firebreak contains).
   */
  private readonly leftOutBy = new Map<string, { readonly named?: LeftOutResource; counted: number }>();
  /** Set while reading what the parser does not keep: every entry is only named as left out, and not counted. */
  private naming = false;

  /** `home`: the incident's account and Region, which an entry without its own is in. */
  constructor(
    private readonly sample: boolean,
    private readonly home: { readonly account: string; readonly region: string },
  ) {}

  /** Whether placeholder instance ids are acceptable (sample findings only). */
  get acceptsPlaceholders(): boolean {
    return this.sample;
  }

  /** Adds a resource; one already listed keeps its place and gains what it lacked (sequence uid, account, Region). */
  add(resource: AffectedResource): void {
    const identity = identityOf(resource, this.home);
    const existing = this.seen.get(identity);
    if (existing !== undefined) {
      const known = this.items[existing]!;
      this.items[existing] = { ...known, uid: known.uid ?? resource.uid, account: known.account ?? resource.account, region: known.region ?? resource.region };
      this.items[existing] = withoutUndefined(this.items[existing]);
      return;
    }
    const size = payloadBytes(resource);
    const text = !ACTED_ON_KINDS.has(resource.kind);
    const full = this.items.length >= AFFECTED_MAX || this.size + size > AFFECTED_BUDGET;
    if (this.naming || full || (text && (this.textCount >= AFFECTED_TEXT_MAX || this.textSize + size > AFFECTED_TEXT_BUDGET))) {
      if (!this.naming) this.omitted += 1;
      this.nameLeftOut(resource, identity);
      return;
    }
    this.unnameLeftOut(identity);
    this.size += size;
    if (text) {
      this.textCount += 1;
      this.textSize += size;
    }
    this.seen.set(identity, this.items.length);
    this.items.push(resource);
  }

  addAll(resources: readonly AffectedResource[]): void {
    for (const resource of resources) this.add(resource);
  }

  /** Runs `read` with every entry it adds only named as left out (resources beyond those the parser reads, already counted). */
  nameOnly(read: () => void): void {
    this.naming = true;
    try {
      read();
    } finally {
      this.naming = false;
    }
  }

  private nameLeftOut(resource: AffectedResource, identity: string): void {
    const known = this.leftOutBy.get(identity);
    const counted = (known?.counted ?? 0) + (this.naming ? 0 : 1);
    if (known?.named !== undefined) {
      known.counted = counted;
      return;
    }
    const left = leftOutOf(resource);
    const named = left !== undefined && this.leftOut.length < LEFT_OUT_MAX ? left : undefined;
    if (named !== undefined) this.leftOut.push(named);
    this.leftOutBy.set(identity, withoutUndefined({ named, counted }));
  }

  /** A resource kept after entries of it were left out: no longer named as left out, nor counted. */
  private unnameLeftOut(identity: string): void {
    const known = this.leftOutBy.get(identity);
    if (known === undefined) return;
    this.leftOutBy.delete(identity);
    this.omitted -= known.counted;
    if (known.named !== undefined) this.leftOut.splice(this.leftOut.indexOf(known.named), 1);
  }

  get resources(): readonly AffectedResource[] {
    return this.items;
  }
}

/** What makes two entries the same resource: kind, id and account (a role named alike in two accounts is two roles). */
function identityOf(resource: AffectedResource, home: { readonly account: string; readonly region: string }): string {
  const account = resource.account ?? home.account;
  const region = resource.region ?? home.region;
  switch (resource.kind) {
    case 'ec2-instance':
      return `ec2-instance|${account}|${region}|${resource.instanceId}`;
    case 'access-key':
      return `access-key|${resource.accessKeyId}`;
    case 'iam-user':
      return `iam-user|${account}|${resource.userName}`;
    case 'iam-role':
      return `iam-role|${account}|${resource.roleName}`;
    case 'role-session':
      return `role-session|${account}|${resource.roleName}|${resource.sessionName ?? ''}|${resource.accessKeyId ?? ''}`;
    case 's3-bucket':
      return `s3-bucket|${resource.bucketName}`;
    case 's3-object':
      return `s3-object|${resource.bucketName}|${resource.versionId ?? ''}|${resource.key.untrusted}`;
    case 'eks-cluster':
      return `eks-cluster|${account}|${region}|${resource.clusterName}`;
    case 'ecs-cluster':
      return `ecs-cluster|${account}|${region}|${resource.clusterName}`;
    case 'other':
      return `other|${resource.resourceType}|${resource.from}`;
    case 'unverified':
      return `unverified|${resource.claimedKind}|${resource.from}|${resource.value.untrusted}`;
  }
}

function unverified(placement: Placement, claimedKind: AffectedResourceKind, value: string, expected: string): AffectedResource {
  return withoutUndefined({ kind: 'unverified' as const, ...placement, claimedKind, value: untrusted(value, SHOWN_MAX), expected });
}

/** The instance, or an unverified entry naming what is wrong with its id. */
export function instanceAffected(instanceId: string, placement: Placement, acceptPlaceholder: boolean): AffectedResource {
  if (!INSTANCE_ID_FORMAT.test(instanceId)) {
    return unverified(placement, 'ec2-instance', instanceId, 'an EC2 instance id (i- and 8 or 17 lowercase hex digits)');
  }
  if (isPlaceholderInstanceId(instanceId) && !acceptPlaceholder) {
    return unverified(placement, 'ec2-instance', instanceId, 'a real instance id (placeholders appear only in sample findings, and this one is not marked as a sample)');
  }
  return withoutUndefined({ kind: 'ec2-instance' as const, ...placement, instanceId });
}

/** The fields GuardDuty reports of a credential (`accessKeyDetails`, or a sequence's `data.accessKey` with the resource uid as key id). */
export interface CredentialClaims {
  readonly accessKeyId?: string | null;
  readonly userName?: string | null;
  readonly userType?: string | null;
  readonly principalId?: string | null;
}

const USER_TYPE = /^[A-Za-z]{1,32}$/;

/**
 * An access key and whose it is: the IAM user for `IAMUser` keys, the role session for
 * `AssumedRole` ones (GuardDuty names the role in `userName` and the session after the colon of
 * `principalId`, `AROA…:i-0abc…` for instance credentials). Other principal types (Root,
 * FederatedUser, AWSService) yield the key alone.
 */
export function credentialAffected(claims: CredentialClaims, placement: Placement): AffectedResource[] {
  const out: AffectedResource[] = [];
  const userType = typeof claims.userType === 'string' && USER_TYPE.test(claims.userType) ? claims.userType : undefined;
  const userName = typeof claims.userName === 'string' && RESOURCE_ID_FORMAT.iamName.test(claims.userName) ? claims.userName : undefined;
  const [principalPart, sessionPart] = typeof claims.principalId === 'string' ? splitOnce(claims.principalId, ':') : [undefined, undefined];
  const principalId = principalPart !== undefined && RESOURCE_ID_FORMAT.principalId.test(principalPart) ? principalPart : undefined;
  const sessionName = sessionPart !== undefined && RESOURCE_ID_FORMAT.roleSessionName.test(sessionPart) ? sessionPart : undefined;

  const keyId = claims.accessKeyId ?? undefined;
  let accessKeyId: string | undefined;
  if (typeof keyId === 'string' && keyId !== '') {
    if (RESOURCE_ID_FORMAT.accessKeyId.test(keyId)) {
      accessKeyId = keyId;
      out.push(withoutUndefined({ kind: 'access-key' as const, ...placement, accessKeyId, temporary: keyId.startsWith('ASIA'), userName, userType }));
    } else {
      out.push(unverified(placement, 'access-key', keyId, 'an access key id (AKIA or ASIA and upper-case letters and digits)'));
    }
  }
  const claimedName = claims.userName ?? undefined;
  if (userType === 'IAMUser' && typeof claimedName === 'string' && claimedName !== '') {
    out.push(
      userName === undefined
        ? unverified(placement, 'iam-user', claimedName, 'an IAM user name (up to 64 of letters, digits and +=,.@_-)')
        : withoutUndefined({ kind: 'iam-user' as const, ...placement, userName, principalId }),
    );
  } else if (userType === 'AssumedRole' && typeof claimedName === 'string' && claimedName !== '') {
    out.push(
      userName === undefined
        ? unverified(placement, 'role-session', claimedName, 'an IAM role name (up to 64 of letters, digits and +=,.@_-)')
        : withoutUndefined({ kind: 'role-session' as const, ...placement, roleName: userName, sessionName, principalId, accessKeyId }),
    );
  }
  return out;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** A bucket from its name or ARN, or an unverified entry. */
export function bucketAffected(nameOrArn: string, placement: Placement): AffectedResource {
  const fromArn = RESOURCE_ARN_FORMAT.s3Bucket.exec(nameOrArn)?.[1];
  const bucketName = fromArn ?? (RESOURCE_ID_FORMAT.s3BucketName.test(nameOrArn) ? nameOrArn : undefined);
  if (bucketName === undefined) return unverified(placement, 's3-bucket', nameOrArn, 'an S3 bucket name or ARN');
  return withoutUndefined({ kind: 's3-bucket' as const, ...placement, bucketName, arn: fromArn !== undefined ? nameOrArn : `arn:aws:s3:::${bucketName}` });
}

/** An object of a checked bucket; the key is kept exactly, as untrusted text (1–1024 characters, like S3's limit in bytes for ASCII). */
export function objectAffected(
  bucketName: string,
  key: string,
  placement: Placement,
  version: { readonly versionId?: string | null; readonly eTag?: string | null } = {},
): AffectedResource {
  if (!RESOURCE_ID_FORMAT.s3BucketName.test(bucketName)) return unverified(placement, 's3-object', bucketName, 'an S3 bucket name');
  if (key.length === 0 || new TextEncoder().encode(key).length > 1024) return unverified(placement, 's3-object', key, 'an S3 object key (1 to 1024 bytes)');
  const versionId = typeof version.versionId === 'string' && RESOURCE_ID_FORMAT.opaqueToken.test(version.versionId) ? version.versionId : undefined;
  const eTagText = typeof version.eTag === 'string' ? version.eTag.replace(/^"|"$/g, '') : undefined;
  const eTag = eTagText !== undefined && RESOURCE_ID_FORMAT.opaqueToken.test(eTagText) ? eTagText : undefined;
  // The key is exact (no cut): S3 calls need every byte of it.
  return withoutUndefined({ kind: 's3-object' as const, ...placement, bucketName, key: { untrusted: key }, versionId, eTag });
}

/** An EKS or ECS cluster from its ARN or name. */
export function clusterAffected(kind: 'eks-cluster' | 'ecs-cluster', nameOrArn: string, placement: Placement): AffectedResource {
  const arnFormat = kind === 'eks-cluster' ? RESOURCE_ARN_FORMAT.eksCluster : RESOURCE_ARN_FORMAT.ecsCluster;
  const nameFormat = kind === 'eks-cluster' ? RESOURCE_ID_FORMAT.eksClusterName : RESOURCE_ID_FORMAT.ecsClusterName;
  const fromArn = arnFormat.exec(nameOrArn)?.[1];
  const clusterName = fromArn ?? (nameFormat.test(nameOrArn) ? nameOrArn : undefined);
  if (clusterName === undefined) return unverified(placement, kind, nameOrArn, `an ${kind === 'eks-cluster' ? 'EKS' : 'ECS'} cluster name or ARN`);
  return withoutUndefined({ kind, ...placement, clusterName, arn: fromArn !== undefined ? nameOrArn : undefined });
}

/** A resource of a type no responder acts on: its type (when it reads as one) and id as untrusted text. */
export function otherAffected(resourceType: string, id: string | undefined, placement: Placement): AffectedResource {
  return withoutUndefined({
    kind: 'other' as const,
    ...placement,
    resourceType: /^[A-Za-z0-9_:.-]{1,64}$/.test(resourceType) ? resourceType : 'unknown',
    id: id === undefined ? undefined : untrusted(id, SHOWN_MAX),
  });
}

/** The affected resources `resource` alone says (what `affectedResources` falls back to). */
export function affectedFromPrimary(incident: Pick<Incident, 'resource' | 'sample' | 'source'>): AffectedResource[] {
  const resource = incident.resource;
  switch (resource.kind) {
    case 'ec2-instance': {
      const from = incident.source === 'cloudwatch' ? 'alarm dimension InstanceId' : 'resource.instanceDetails.instanceId';
      return [instanceAffected(resource.instanceId, { from }, incident.sample)];
    }
    case 'access-key':
      return credentialAffected(resource, { from: 'resource.accessKeyDetails' });
    case 'other': {
      const placement = { from: 'resource' };
      if (resource.id === undefined) return [otherAffected(resource.type, undefined, placement)];
      if (resource.type === 'S3Bucket') return [bucketAffected(resource.id, placement)];
      if (resource.type === 'EKSCluster') return [clusterAffected('eks-cluster', resource.id, placement)];
      if (resource.type === 'ECSCluster') return [clusterAffected('ecs-cluster', resource.id, placement)];
      return [otherAffected(resource.type, resource.id, placement)];
    }
    case 'none':
      return [];
  }
}

/**
 * Every resource the incident concerns: the parser's list when it stored one (`incident.affected`),
 * else what `resource` says. Use this rather than reading `incident.affected`: incidents whose
 * event names nothing beyond `resource`, and incidents parsed before the list existed, carry none.
 */
export function affectedResources(incident: Incident): readonly AffectedResource[] {
  return incident.affected ?? affectedFromPrimary(incident);
}

/** The affected resources whose ids could not be trusted (for triage's and the alert's reasons). */
export function unverifiedResources(incident: Incident): readonly Extract<AffectedResource, { kind: 'unverified' }>[] {
  return affectedResources(incident).filter((resource): resource is Extract<AffectedResource, { kind: 'unverified' }> => resource.kind === 'unverified');
}

// ---------------------------------------------------------------------------------------------
// Reading the raw finding

export function display(path: readonly PathSegment[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text === '' ? segment : `${text}.${segment}`), '');
}

/** The resource's own account and Region; a malformed one makes the whole entry unverified (it would aim a call elsewhere). */
function placementOf(raw: unknown, path: readonly PathSegment[], from: string): Placement | { readonly problem: AffectedResource } {
  const account = valueAt(raw, [...path, 'accountId']);
  const region = valueAt(raw, [...path, 'region']);
  const uid = idAt(raw, [...path, 'uid'], REFERENCE_ID);
  if (account != null && !(typeof account === 'string' && isWellFormedAccountId(account))) {
    return { problem: unverified({ from }, 'other', typeof account === 'string' ? account : describeReceived(account), 'an AWS account id (12 digits) for the resource') };
  }
  if (region != null && !(typeof region === 'string' && isWellFormedRegion(region))) {
    return { problem: unverified({ from }, 'other', typeof region === 'string' ? region : describeReceived(region), 'an AWS Region for the resource') };
  }
  return withoutUndefined({ from, account: typeof account === 'string' ? account : undefined, region: typeof region === 'string' ? region : undefined, uid });
}

/** Group resources whose `data` lists compromised instances (ResourceData member names, camelCase). */
export const INSTANCE_GROUP_DATA = ['autoscalingAutoScalingGroup', 'ec2LaunchTemplate', 'ec2Vpc', 'ec2Image', 'iamInstanceProfile'] as const;
/** The API caps each `ec2InstanceUids` list at 25. */
export const GROUP_INSTANCES_MAX = 25;

/** The resources of an attack sequence (`sequence.resources[]`, already capped by the caller). */
export function sequenceResourcesAffected(
  raw: unknown,
  resourcesPath: readonly PathSegment[],
  count: number,
  list: AffectedResourceList,
  start = 0,
): void {
  for (let index = start; index < count; index += 1) {
    const path = [...resourcesPath, index];
    const from = display(path);
    const item = valueAt(raw, path);
    if (!isRecord(item)) continue;
    const placed = placementOf(raw, path, from);
    if ('problem' in placed) {
      list.add(placed.problem);
      continue;
    }
    const uid = textAt(raw, [...path, 'uid'], 2048);
    const name = textAt(raw, [...path, 'name'], 2048);
    const type = idAt(raw, [...path, 'resourceType'], TOKEN) ?? textAt(raw, [...path, 'resourceType'], 64) ?? 'unknown';
    const idOrName = uid ?? name;
    switch (type) {
      case 'EC2_INSTANCE':
        if (idOrName !== undefined) list.add(instanceAffected(idOrName, placed, list.acceptsPlaceholders));
        break;
      case 'ACCESS_KEY': {
        const data = valueAt(raw, [...path, 'data', 'accessKey']);
        const claims: CredentialClaims = {
          accessKeyId: uid,
          userName: typeof valueAt(data, ['userName']) === 'string' ? (valueAt(data, ['userName']) as string) : undefined,
          userType: typeof valueAt(data, ['userType']) === 'string' ? (valueAt(data, ['userType']) as string) : undefined,
          principalId: typeof valueAt(data, ['principalId']) === 'string' ? (valueAt(data, ['principalId']) as string) : undefined,
        };
        list.addAll(credentialAffected(claims, placed));
        break;
      }
      case 'S3_BUCKET':
        if (idOrName !== undefined) list.add(bucketAffected(arnOrFirst(uid, name, RESOURCE_ARN_FORMAT.s3Bucket), placed));
        break;
      case 'S3_OBJECT':
        list.add(objectFromSequence(raw, path, uid, name, placed));
        break;
      case 'EKS_CLUSTER':
        if (idOrName !== undefined) list.add(clusterAffected('eks-cluster', arnOrFirst(uid, name, RESOURCE_ARN_FORMAT.eksCluster), placed));
        break;
      case 'ECS_CLUSTER':
        if (idOrName !== undefined) list.add(clusterAffected('ecs-cluster', arnOrFirst(uid, name, RESOURCE_ARN_FORMAT.ecsCluster), placed));
        break;
      default:
        list.add(otherAffected(type, idOrName, placed));
    }
    for (const member of INSTANCE_GROUP_DATA) {
      const idsPath = [...path, 'data', member, 'ec2InstanceUids'];
      listAt(raw, idsPath, GROUP_INSTANCES_MAX).items.forEach((instanceId, position) => {
        if (typeof instanceId !== 'string' || instanceId === '') return;
        // The group's uid names the group, not the instance: the instance gets none.
        const groupPlacement = withoutUndefined({ from: display([...idsPath, position]), account: placed.account, region: placed.region });
        list.add(instanceAffected(instanceId, groupPlacement, list.acceptsPlaceholders));
      });
    }
  }
}

/** The ARN among uid and name when one is, else the first present. */
function arnOrFirst(uid: string | undefined, name: string | undefined, arn: RegExp): string {
  if (uid !== undefined && arn.test(uid)) return uid;
  if (name !== undefined && arn.test(name)) return name;
  return (uid ?? name)!;
}

const S3_OBJECT_ARN = /^arn:aws(?:-[a-z]+)*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/s;

/** A sequence's S3_OBJECT: typed only when its uid or name is an object ARN (`arn:aws:s3:::bucket/key`); otherwise shown as it is. */
function objectFromSequence(raw: unknown, path: readonly PathSegment[], uid: string | undefined, name: string | undefined, placed: Placement): AffectedResource {
  const match = S3_OBJECT_ARN.exec(uid ?? '') ?? S3_OBJECT_ARN.exec(name ?? '');
  if (match === null) return otherAffected('S3_OBJECT', uid ?? name, placed);
  const data = [...path, 'data', 's3Object'];
  return objectAffected(match[1]!, match[2]!, placed, {
    versionId: textAt(raw, [...data, 'versionId'], 1024),
    eTag: textAt(raw, [...data, 'eTag'], 1024),
  });
}

/** Buckets of `resource.s3BucketDetails[]` and the objects each lists (`s3ObjectDetails[]` of Object:S3/MaliciousFile findings). */
export function bucketDetailsAffected(raw: unknown, resourcePath: readonly PathSegment[], list: AffectedResourceList): void {
  const bucketsPath = [...resourcePath, 's3BucketDetails'];
  listAt(raw, bucketsPath, 20).items.forEach((_, index) => {
    const path = [...bucketsPath, index];
    const nameOrArn = textAt(raw, [...path, 'arn'], 2048) ?? textAt(raw, [...path, 'name'], 2048);
    if (nameOrArn === undefined) return;
    const bucket = bucketAffected(nameOrArn, { from: display(path) });
    list.add(bucket);
    if (bucket.kind !== 's3-bucket') return;
    const objectsPath = [...path, 's3ObjectDetails'];
    listAt(raw, objectsPath, 20).items.forEach((__, objectIndex) => {
      const objectPath = [...objectsPath, objectIndex];
      const key = textAt(raw, [...objectPath, 'key'], 4096);
      if (key === undefined) return;
      list.add(
        objectAffected(bucket.bucketName, key, { from: display(objectPath) }, {
          versionId: textAt(raw, [...objectPath, 'versionId'], 1024),
          eTag: textAt(raw, [...objectPath, 'eTag'], 1024),
        }),
      );
    });
  });
}
