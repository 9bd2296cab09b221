/**
 * The identifiers an incident carries into AWS calls, checked once at the boundary (triage) so
 * that a malformed or placeholder id never reaches a playbook in enforce. EC2 resource ids are a
 * prefix and 8 (older resources) or 17 lowercase hex digits
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html); anything else would at
 * best earn an `Invalid…ID.Malformed` from EC2 after a playbook has started and announced that it
 * would change resources, and at worst carry text (`i-0abc; rm -rf /`) into logs, alerts and tools.
 *
 * Pure: no AWS SDK, importable by every layer (triage, responders, release).
 */
import type { Incident } from './model';

/** EC2 instance ids: `i-` and 8 (older) or 17 lowercase hex digits. */
export const INSTANCE_ID_FORMAT = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** Other EC2 resource ids that reach AWS calls (or alerts that people act on), by prefix. */
const EC2_ID_FORMAT = {
  networkInterface: /^eni-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  vpc: /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  subnet: /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  securityGroup: /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
} as const;

/** Twelve digits, as EC2, STS and IAM ARNs spell an account id. */
const ACCOUNT_ID_FORMAT = /^\d{12}$/;
/** Commercial, GovCloud and China partitions: `us-east-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-5`. */
export const REGION_FORMAT = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * Formats of the other identifiers an affected resource may carry (lib/incident/affected.ts), from
 * each service's API reference: IAM names and ids (IAM User Guide, "IAM identifiers" and the
 * CreateUser/CreateRole/AssumeRole constraints), S3 bucket naming rules, EKS and ECS cluster names.
 */
export const RESOURCE_ID_FORMAT = {
  /** AKIA… (IAM user keys) or ASIA… (STS temporary credentials); IAM allows 16–128 characters, in practice 20. */
  accessKeyId: /^(?:AKIA|ASIA)[A-Z0-9]{12,124}$/,
  /** IAM user and role names: up to 64 of `[\w+=,.@-]`. */
  iamName: /^[\w+=,.@-]{1,64}$/,
  /** STS role session names: 2–64 of `[\w+=,.@-]`. */
  roleSessionName: /^[\w+=,.@-]{2,64}$/,
  /** Unique ids of IAM principals: AIDA (user), AROA (role), …, upper-case letters and digits. */
  principalId: /^A[A-Z0-9]{3}[A-Z0-9]{12,124}$/,
  /** Bucket naming rules: 3–63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit. */
  s3BucketName: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  eksClusterName: /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/,
  ecsClusterName: /^[A-Za-z0-9_-]{1,255}$/,
  /** S3 version ids and ETags: opaque, but printable ASCII without spaces or quotes once ETag quotes are stripped. */
  opaqueToken: /^[A-Za-z0-9._:+/=-]{1,1024}$/,
  /** A hex digest (SHA-256, MD5, SHA-1). */
  hexDigest: /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/,
} as const;

/** ARN partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc … */
const PARTITION = 'aws(?:-[a-z]+)*';

/** `^arn:<any partition>:<rest>$`. */
function arnFormat(rest: string): RegExp {
  return new RegExp(`^arn:${PARTITION}:${rest}$`);
}

/**
 * ARNs an affected resource may carry, by resource; each captures the name at its end. Each entry is
 * a call marked pure with a plain string argument, so that esbuild leaves the table out of a bundle
 * that reads none of it (the S3 object steps); a `new RegExp` of a template it kept in every bundle.
 */
export const RESOURCE_ARN_FORMAT = {
  iamUser: /* @__PURE__ */ arnFormat('iam::\\d{12}:user/(?:[\\x21-\\x7e]{0,510}/)?([\\w+=,.@-]{1,64})'),
  iamRole: /* @__PURE__ */ arnFormat('iam::\\d{12}:role/(?:[\\x21-\\x7e]{0,510}/)?([\\w+=,.@-]{1,64})'),
  assumedRole: /* @__PURE__ */ arnFormat('sts::\\d{12}:assumed-role/([\\w+=,.@-]{1,64})/([\\w+=,.@-]{2,64})'),
  s3Bucket: /* @__PURE__ */ arnFormat('s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])'),
  eksCluster: /* @__PURE__ */ arnFormat('eks:[a-z]{2}(?:-[a-z]+)+-\\d{1,2}:\\d{12}:cluster/([0-9A-Za-z][A-Za-z0-9_-]{0,99})'),
  ecsCluster: /* @__PURE__ */ arnFormat('ecs:[a-z]{2}(?:-[a-z]+)+-\\d{1,2}:\\d{12}:cluster/([A-Za-z0-9_-]{1,255})'),
  ebsVolume: /* @__PURE__ */ arnFormat('ec2:[a-z]{2}(?:-[a-z]+)+-\\d{1,2}:\\d{12}:volume/vol-(?:[0-9a-f]{8}|[0-9a-f]{17})'),
  malwareProtectionPlan: /* @__PURE__ */ arnFormat('guardduty:[a-z]{2}(?:-[a-z]+)+-\\d{1,2}:\\d{12}:malware-protection-plan/[A-Za-z0-9_-]{1,128}'),
} as const;

/** True for a well-formed account id (12 digits) or Region name; used for a resource's own account and Region. */
export function isWellFormedAccountId(account: string): boolean {
  return ACCOUNT_ID_FORMAT.test(account);
}

export function isWellFormedRegion(region: string): boolean {
  return REGION_FORMAT.test(region);
}

/** True when the id has EC2's instance id format (says nothing of whether it exists). */
export function isWellFormedInstanceId(instanceId: string): boolean {
  return INSTANCE_ID_FORMAT.test(instanceId);
}

/** True when the id has EC2's VPC id format (says nothing of whether it exists). */
export function isWellFormedVpcId(vpcId: string): boolean {
  return EC2_ID_FORMAT.vpc.test(vpcId);
}

/**
 * True for ids that cannot name a real instance and so must never reach a mutating call: GuardDuty
 * sample findings use placeholders whose hex digits are all one character (`i-99999999`,
 * https://docs.aws.amazon.com/guardduty/latest/ug/sample_findings.html), and anything outside EC2's
 * id format would only earn an InvalidInstanceID.Malformed.
 */
export function isPlaceholderInstanceId(instanceId: string): boolean {
  return !INSTANCE_ID_FORMAT.test(instanceId) || /^i-([0-9a-f])\1{7}(\1{9})?$/.test(instanceId);
}

/** One identifier of an incident that Firebreak refuses to act on, naming the field it came from. */
export interface IdentifierIssue {
  /** Where the value sits in the event, as a person would look it up (e.g. `resource.instanceDetails.instanceId`). */
  readonly field: string;
  /** The value, as JSON text, cut to 80 characters (it may be attacker-written). */
  readonly value: string;
  /** What is wrong, completing "the … is …". */
  readonly problem: 'malformed' | 'placeholder';
  /** What the field must hold. */
  readonly expected: string;
}

const VALUE_SHOWN = 80;

function shown(value: string): string {
  const text = JSON.stringify(value);
  return text.length <= VALUE_SHOWN ? text : `${text.slice(0, VALUE_SHOWN - 4)}…"`;
}

function malformed(field: string, value: string, expected: string): IdentifierIssue {
  return { field, value: shown(value), problem: 'malformed', expected };
}

/** Where the instance id came from, per source: GuardDuty's field or the alarm's dimension. */
function instanceIdField(incident: Incident): string {
  return incident.source === 'cloudwatch' ? 'alarm dimension InstanceId' : 'resource.instanceDetails.instanceId';
}

/**
 * Every identifier of the incident that must not reach a playbook in enforce: a malformed id of any
 * kind, or a placeholder instance id on a finding that does not say it is a sample. A sample
 * finding keeps its placeholders (they are what samples carry, and samples only ever run in
 * dry-run) but never a malformed instance id. Empty when every id is fit to act on.
 */
export function identifierIssues(incident: Incident): IdentifierIssue[] {
  const issues: IdentifierIssue[] = [];
  if (!ACCOUNT_ID_FORMAT.test(incident.account)) issues.push(malformed('accountId', incident.account, 'an AWS account id (12 digits)'));
  if (!REGION_FORMAT.test(incident.region)) issues.push(malformed('region', incident.region, 'an AWS Region such as eu-west-1'));

  const resource = incident.resource;
  const instanceId = resource.kind === 'ec2-instance' ? resource.instanceId : undefined;
  if (instanceId !== undefined) {
    const field = instanceIdField(incident);
    if (!isWellFormedInstanceId(instanceId)) {
      issues.push(malformed(field, instanceId, 'an EC2 instance id (i- and 8 or 17 lowercase hex digits)'));
    } else if (isPlaceholderInstanceId(instanceId) && !incident.sample) {
      issues.push({
        field,
        value: shown(instanceId),
        problem: 'placeholder',
        expected: 'a real instance id (placeholders such as i-99999999 appear only in GuardDuty sample findings, and this finding is not marked as a sample)',
      });
    }
  }
  // Samples carry `GeneratedFinding…` placeholders for these; they only ever run in dry-run.
  if (resource.kind === 'access-key' && !incident.sample && resource.accessKeyId !== undefined && !RESOURCE_ID_FORMAT.accessKeyId.test(resource.accessKeyId)) {
    issues.push(malformed('resource.accessKeyDetails.accessKeyId', resource.accessKeyId, 'an access key id (AKIA or ASIA and upper-case letters and digits)'));
  }
  if (resource.kind === 'ec2-instance' && !incident.sample) {
    resource.networkInterfaces.forEach((eni, index) => {
      const at = `resource.instanceDetails.networkInterfaces[${index}]`;
      const check = (value: string | undefined, name: string, format: RegExp, expected: string) => {
        if (value !== undefined && !format.test(value)) issues.push(malformed(`${at}.${name}`, value, expected));
      };
      check(eni.networkInterfaceId, 'networkInterfaceId', EC2_ID_FORMAT.networkInterface, 'a network interface id (eni- and 8 or 17 lowercase hex digits)');
      check(eni.vpcId, 'vpcId', EC2_ID_FORMAT.vpc, 'a VPC id (vpc- and 8 or 17 lowercase hex digits)');
      check(eni.subnetId, 'subnetId', EC2_ID_FORMAT.subnet, 'a subnet id (subnet- and 8 or 17 lowercase hex digits)');
      eni.securityGroups.forEach((group, groupIndex) =>
        check(group.groupId, `securityGroups[${groupIndex}].groupId`, EC2_ID_FORMAT.securityGroup, 'a security group id (sg- and 8 or 17 lowercase hex digits)'),
      );
    });
  }
  return issues;
}

/** One sentence per issue, naming the field, for triage's reasons and the alert. */
export function describeIdentifierIssue(issue: IdentifierIssue): string {
  return issue.problem === 'placeholder'
    ? `the ${issue.field} ${issue.value} is a placeholder id; expected ${issue.expected}`
    : `the ${issue.field} ${issue.value} is malformed; expected ${issue.expected}`;
}
