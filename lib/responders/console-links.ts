/**
 * Console links for an alert: the GuardDuty finding, the Step Functions execution, the EC2
 * instance and the CloudWatch alarm, in the right partition. The console lives on a different host
 * per partition (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html):
 * a China or GovCloud link on console.aws.amazon.com only shows a sign-in error to the person on call.
 * Pure functions over plain data.
 */
import { REGION_FORMAT } from '../incident/identifiers';

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The partition a region belongs to, or undefined for partitions without a public console (ISO). */
export function partitionOfRegion(region: string): Partition | undefined {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso')) return undefined;
  return 'aws';
}

/**
 * The console origin for a region, e.g. `https://eu-west-1.console.aws.amazon.com`; undefined when
 * there is none, or when `region` is not a Region code: it becomes part of the link's host name,
 * and a link in an alert must never lead anywhere but the AWS console.
 */
export function consoleOrigin(region: string): string | undefined {
  if (!REGION_FORMAT.test(region)) return undefined;
  switch (partitionOfRegion(region)) {
    case 'aws':
      return `https://${region}.console.aws.amazon.com`;
    // China and GovCloud consoles have one host; the region is chosen by the `region` query parameter.
    case 'aws-cn':
      return 'https://console.amazonaws.cn';
    case 'aws-us-gov':
      return 'https://console.amazonaws-us-gov.com';
    default:
      return undefined;
  }
}

/** A lone UTF-16 surrogate (half of a pair, without the other half). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Percent-encoded text for a link. encodeURIComponent throws on a lone surrogate (which JSON can
 * carry as an escape): such a half is encoded as U+FFFD, so that no text can make the alert fail.
 */
function encodeText(text: string): string {
  return encodeURIComponent(text.replace(LONE_SURROGATE, '\uFFFD'));
}

function link(region: string, path: string): string | undefined {
  const origin = consoleOrigin(region);
  return origin === undefined ? undefined : `${origin}${path}`;
}

/** The GuardDuty console page of one finding (opened in the account that administers GuardDuty for the region). */
export function guardDutyFindingLink(region: string, findingId: string): string | undefined {
  return link(
    region,
    `/guardduty/home?region=${region}#/findings?macros=current&fId=${encodeText(findingId)}`,
  );
}

/** The EC2 console page of one instance. */
export function ec2InstanceLink(region: string, instanceId: string): string | undefined {
  return link(region, `/ec2/home?region=${region}#InstanceDetails:instanceId=${encodeText(instanceId)}`);
}

/**
 * The S3 console page of one object (its overview: versions, tags, properties). The key is the
 * uploader's text: it is percent-encoded whole, `!'()*~` included, so it can neither leave the
 * query nor be read as chat markup around the link.
 */
export function s3ObjectLink(region: string, bucketName: string, key: string): string | undefined {
  const encodedKey = encodeText(key).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return link(region, `/s3/object/${encodeText(bucketName)}?region=${region}&bucketType=general&prefix=${encodedKey}`);
}

/** The CloudWatch console page of one alarm. */
export function cloudWatchAlarmLink(region: string, alarmName: string): string | undefined {
  return link(region, `/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeText(alarmName)}`);
}

/** The region of an ARN (`arn:partition:service:region:account:…`), or undefined when the ARN has none. */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region === undefined || region === '' ? undefined : region;
}

/**
 * The Step Functions console page of one execution. The execution runs where Firebreak is deployed,
 * which is not always the finding's region, so the region is read from the execution ARN.
 */
export function executionLink(executionArn: string): string | undefined {
  const region = regionOfArn(executionArn);
  if (region === undefined) return undefined;
  // The console reads the ARN verbatim from the fragment; only characters an ARN never holds are escaped.
  const arn = executionArn.replace(LONE_SURROGATE, '\uFFFD').replace(/[^A-Za-z0-9:_./-]/gu, (c) => encodeURIComponent(c));
  return link(region, `/states/home?region=${region}#/v2/executions/details/${arn}`);
}

/** One labelled link, ready for the alert. */
export interface ConsoleLink {
  readonly label: string;
  readonly url: string;
}

/** What the alert knows that a link can be built from. */
export interface ConsoleLinkSubjects {
  readonly region?: string;
  readonly findingId?: string;
  readonly instanceId?: string;
  readonly alarmName?: string;
  readonly executionArn?: string;
}

/** Every console link that can be built from what is known, in the order a responder opens them. */
export function consoleLinks(subjects: ConsoleLinkSubjects): ConsoleLink[] {
  const links: { label: string; url: string | undefined }[] = [];
  const { region } = subjects;
  if (region !== undefined && subjects.findingId !== undefined) {
    links.push({ label: 'GuardDuty finding', url: guardDutyFindingLink(region, subjects.findingId) });
  }
  if (region !== undefined && subjects.alarmName !== undefined) {
    links.push({ label: 'CloudWatch alarm', url: cloudWatchAlarmLink(region, subjects.alarmName) });
  }
  if (region !== undefined && subjects.instanceId !== undefined) {
    links.push({ label: 'EC2 instance', url: ec2InstanceLink(region, subjects.instanceId) });
  }
  if (subjects.executionArn !== undefined) {
    links.push({ label: 'Step Functions execution', url: executionLink(subjects.executionArn) });
  }
  return links.filter((l): l is ConsoleLink => l.url !== undefined);
}
