/**
 * The trust boundary: zod schemas (zod/mini: the triage Lambda bundles them) of the parts of each event Firebreak reads. Unknown keys are
 * stripped, never refused (AWS adds fields over time; tools add their own, like Cloud Custodian's
 * `debug`). Each schema's error text is the `expected` half of an `EventParseError` issue, so it
 * reads as "expected <text>".
 *
 * Shapes: GuardDuty finding events
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html,
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Finding.html, camelCase once
 * `camelCaseKeys` has run) and CloudWatch alarm state change events
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
 */
import * as z from '../contracts/zod-mini';
import { toIsoTime } from './time';
import { isRecord, valueAt } from './reading';

export const TIME_EXPECTED = 'a time (ISO 8601, or epoch milliseconds)';

/** A string, null or absent (GuardDuty writes `null` for unset members such as `iamInstanceProfile`). */
const optionalText = (what = 'a string') => z.nullish(z.string({ error: what }));

/** A required, non-empty, bounded identifier. */
const identifier = (what: string, max = 256) =>
  z.string({ error: what }).check(z.minLength(1, { error: what }), z.maxLength(max, { error: `${what} of at most ${max} characters` }));

/** A string of at most 64 characters or a finite number: a primitive `toIsoTime` may read, safe to keep as text. */
function isTimeShaped(value: unknown): value is string | number {
  return (typeof value === 'string' && value.length <= 64) || (typeof value === 'number' && Number.isFinite(value));
}

/** Present and time-shaped; read leniently later (see `toIsoTime`). */
const timeValue = z.custom<string | number>(isTimeShaped, { error: TIME_EXPECTED });

/** A time that must be readable: it is part of an incident key. Yields ISO 8601 UTC. */
const readableTime = z.pipe(
  z.unknown(),
  z.transform((value, ctx) => {
    const iso = toIsoTime(value);
    if (iso === undefined) {
      ctx.issues.push({ code: 'custom', message: TIME_EXPECTED, input: value });
      return z.NEVER;
    }
    return iso;
  }),
);

export const SEVERITY_EXPECTED = 'a number from 0 to 10';
const NUMERIC_TEXT = /^\s*\d{1,2}(?:\.\d+)?\s*$/;

/** GuardDuty's 0–10 score; a numeric string (`"8.0"`, as some exporters write it) is read as a number. */
const severityScore = z.pipe(
  z.unknown(),
  z.transform((value, ctx) => {
    const score = typeof value === 'number' ? value : typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : NaN;
    if (Number.isFinite(score) && score >= 0 && score <= 10) return score;
    ctx.issues.push({ code: 'custom', message: SEVERITY_EXPECTED, input: value });
    return z.NEVER;
  }),
);

// ---------------------------------------------------------------------------------------------
// GuardDuty finding (camelCase)

const securityGroupSchema = z.object(
  { groupId: optionalText('a security group id'), groupName: optionalText('a security group name') },
  { error: 'a security group object' },
);

const networkInterfaceSchema = z.object(
  {
    networkInterfaceId: optionalText('a network interface id'),
    privateIpAddress: optionalText('an IP address'),
    publicIp: optionalText('an IP address'),
    subnetId: optionalText('a subnet id'),
    vpcId: optionalText('a VPC id'),
    securityGroups: z.nullish(z.array(securityGroupSchema, { error: 'a list of security groups' })),
  },
  { error: 'a network interface object' },
);

const tagSchema = z.object(
  { key: z.string({ error: 'a tag key' }), value: z.nullish(z.string({ error: 'a tag value' })) },
  { error: 'a tag object {key, value}' },
);

export const instanceDetailsSchema = z.object(
  {
    instanceId: z.nullish(identifier('an EC2 instance id', 64)),
    availabilityZone: optionalText(),
    instanceType: optionalText(),
    imageId: optionalText(),
    instanceState: optionalText(),
    launchTime: z.nullish(timeValue),
    iamInstanceProfile: z.nullish(z.object({ arn: optionalText('an instance profile ARN'), id: optionalText() }, { error: 'an instance profile object' })),
    networkInterfaces: z.nullish(z.array(networkInterfaceSchema, { error: 'a list of network interfaces' })),
    tags: z.nullish(z.array(tagSchema, { error: 'a list of tags' })),
  },
  { error: 'an instance details object' },
);

const accessKeyDetailsSchema = z.object(
  {
    accessKeyId: optionalText(),
    principalId: optionalText(),
    userName: optionalText(),
    userType: optionalText(),
  },
  { error: 'an access key details object' },
);

export const resourceSchema = z.object(
  {
    resourceType: identifier('a resource type', 128),
    instanceDetails: z.nullish(instanceDetailsSchema),
    accessKeyDetails: z.nullish(accessKeyDetailsSchema),
  },
  { error: 'a resource object' },
);

const remoteIpDetailsSchema = z.nullish(
  z.object({ ipAddressV4: optionalText('an IP address'), ipAddressV6: optionalText('an IP address') }, { error: 'a remote IP details object' }),
);

const actionSchema = z.object(
  {
    actionType: optionalText(),
    networkConnectionAction: z.nullish(
      z.object({ connectionDirection: optionalText(), remoteIpDetails: remoteIpDetailsSchema }, { error: 'a network connection action object' }),
    ),
    portProbeAction: z.nullish(
      z.object(
        {
          portProbeDetails: z.nullish(
            z.array(z.object({ remoteIpDetails: remoteIpDetailsSchema }, { error: 'a port probe detail object' }), {
              error: 'a list of port probe details',
            }),
          ),
        },
        { error: 'a port probe action object' },
      ),
    ),
    awsApiCallAction: z.nullish(
      z.object(
        {
          remoteIpDetails: remoteIpDetailsSchema,
          domainDetails: z.nullish(z.object({ domain: optionalText('a domain') }, { error: 'a domain details object' })),
        },
        { error: 'an AWS API call action object' },
      ),
    ),
    dnsRequestAction: z.nullish(z.object({ domain: optionalText('a domain') }, { error: 'a DNS request action object' })),
  },
  { error: 'an action object' },
);

const serviceSchema = z.object(
  {
    count: z.nullish(z.number({ error: 'a whole number' }).check(z.int({ error: 'a whole number' }), z.minimum(0, { error: 'a whole number' }))),
    detectorId: optionalText('a detector id'),
    resourceRole: optionalText('TARGET or ACTOR'),
    archived: z.nullish(z.boolean({ error: 'true or false' })),
    action: z.nullish(actionSchema),
    // Free-form: read by `isSampleFinding`, which accepts both of its shapes.
    additionalInfo: z.optional(z.unknown()),
    // Read best-effort by sequence.ts: only whether a sequence is there matters to the schema.
    detection: z.optional(z.unknown()),
  },
  { error: 'a service object' },
);

/** One GuardDuty finding, after `camelCaseKeys`. */
export const guardDutyFindingSchema = z.object(
  {
    id: identifier('a finding id'),
    type: identifier('a finding type'),
    title: z.string({ error: 'a title' }),
    description: optionalText(),
    severity: severityScore,
    accountId: optionalText('an AWS account id'),
    region: optionalText('an AWS Region'),
    arn: optionalText('a finding ARN'),
    createdAt: timeValue,
    updatedAt: timeValue,
    resource: z.nullish(resourceSchema),
    service: z.nullish(serviceSchema),
  },
  { error: 'a GuardDuty finding object' },
).check(z.superRefine((finding, ctx) => {
  // An instance finding is only actionable with the instance id: refuse it rather than lose it
  // quietly. An attack sequence names its instances in the sequence itself, so it is not refused.
  const resource = finding.resource;
  const hasSequence = isRecord(valueAt(finding.service?.detection, ['sequence']));
  if (resource?.resourceType === 'Instance' && !resource.instanceDetails?.instanceId && !hasSequence) {
    ctx.addIssue({
      code: 'custom',
      path: resource.instanceDetails ? ['resource', 'instanceDetails', 'instanceId'] : ['resource', 'instanceDetails'],
      message: resource.instanceDetails
        ? 'an EC2 instance id (resourceType is Instance)'
        : 'instance details with an instance id (resourceType is Instance)',
    });
  }
}));
export type GuardDutyFinding = z.infer<typeof guardDutyFindingSchema>;

// ---------------------------------------------------------------------------------------------
// CloudWatch alarm state change (`detail` of "CloudWatch Alarm State Change")

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
const alarmStateValue = z.enum(ALARM_STATES, { error: 'one of OK, ALARM, INSUFFICIENT_DATA' });

const metricStatSchema = z.object(
  {
    metric: z.object(
      {
        namespace: optionalText('a metric namespace'),
        name: optionalText('a metric name'),
        dimensions: z.nullish(z.record(z.string(), z.string({ error: 'a dimension value (string)' }), { error: 'a map of dimensions' })),
      },
      { error: 'a metric object' },
    ),
  },
  { error: 'a metricStat object' },
);

const alarmMetricSchema = z.object(
  {
    id: optionalText(),
    expression: optionalText('a metric math expression'),
    metricStat: z.nullish(metricStatSchema),
  },
  { error: 'an alarm metric object' },
);

export const alarmDetailSchema = z.object(
  {
    alarmName: identifier('an alarm name', 255),
    state: z.object(
      { value: alarmStateValue, reason: optionalText(), timestamp: readableTime },
      { error: 'an alarm state object {value, reason, timestamp}' },
    ),
    previousState: z.nullish(z.object({ value: alarmStateValue, reason: optionalText(), timestamp: z.nullish(timeValue) }, { error: 'an alarm state object' })),
    configuration: z.nullish(
      z.object(
        {
          description: optionalText(),
          alarmRule: optionalText('a composite alarm rule'),
          metrics: z.nullish(z.array(alarmMetricSchema, { error: 'a list of alarm metrics' })),
        },
        { error: 'an alarm configuration object' },
      ),
    ),
  },
  { error: 'a CloudWatch alarm state change object' },
);
export type AlarmDetail = z.infer<typeof alarmDetailSchema>;

// ---------------------------------------------------------------------------------------------
// Malware Protection for S3 object scan result (`detail` of "GuardDuty Malware Protection Object Scan Result")
// https://docs.aws.amazon.com/guardduty/latest/ug/monitor-with-eventbridge-s3-malware-protection.html

/** An upper-case status as GuardDuty writes them (COMPLETED, THREATS_FOUND …); a newer one passes, anything else is refused. */
const statusToken = (what: string) => z.string({ error: what }).check(z.regex(/^[A-Z][A-Z0-9_]{0,63}$/, { error: what }));

export const s3ObjectScanDetailSchema = z.object(
  {
    scanStatus: statusToken('a scan status such as COMPLETED, SKIPPED or FAILED'),
    resourceType: optionalText('a resource type'),
    s3ObjectDetails: z.object(
      {
        bucketName: identifier('an S3 bucket name', 63),
        objectKey: z.string({ error: 'an S3 object key' }).check(z.minLength(1, { error: 'an S3 object key' })),
        eTag: optionalText('an ETag'),
        versionId: optionalText('a version id'),
      },
      { error: 'an S3 object details object {bucketName, objectKey, eTag, versionId}' },
    ),
    scanResultDetails: z.object(
      { scanResultStatus: statusToken('a scan result status such as THREATS_FOUND or NO_THREATS_FOUND') },
      { error: 'a scan result details object {scanResultStatus, threats}' },
    ),
  },
  { error: 'a Malware Protection object scan result object' },
);
export type S3ObjectScanDetail = z.infer<typeof s3ObjectScanDetailSchema>;

// ---------------------------------------------------------------------------------------------
// EventBridge envelope

export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';
export const ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';
/** Malware Protection for S3 publishes its scan results on the bucket owner's default bus under this detail-type, source aws.guardduty. */
export const S3_OBJECT_SCAN_DETAIL_TYPE = 'GuardDuty Malware Protection Object Scan Result';
export const GAMEDAY_SOURCE = 'firebreak.gameday';
/** The source of the events GuardDuty itself emits: no PutEvents caller may use a source starting with `aws.`. */
export const GUARDDUTY_SOURCE = 'aws.guardduty';

/** Detail-types accepted from each source; game days may inject any of them. */
export const ACCEPTED_DETAIL_TYPES: Readonly<Record<string, readonly string[]>> = {
  'aws.guardduty': [GUARDDUTY_DETAIL_TYPE, S3_OBJECT_SCAN_DETAIL_TYPE],
  'aws.cloudwatch': [ALARM_DETAIL_TYPE],
  [GAMEDAY_SOURCE]: [GUARDDUTY_DETAIL_TYPE, ALARM_DETAIL_TYPE, S3_OBJECT_SCAN_DETAIL_TYPE],
};

export const envelopeSchema = z.object(
  {
    source: z.string({ error: 'an event source' }),
    'detail-type': z.string({ error: 'an event detail-type' }),
    detail: z.record(z.string(), z.unknown(), { error: 'an object (the event detail)' }),
    account: optionalText('an AWS account id'),
    region: optionalText('an AWS Region'),
    // EventBridge writes an ISO 8601 string; anything else is refused here, by name, before a
    // normalizer turns it into text (an S3 scan result's time is part of its revision).
    time: z.nullish(timeValue),
    resources: z.nullish(z.array(z.unknown(), { error: 'a list of resource ARNs' })),
  },
  { error: 'an EventBridge event object' },
);

/** 12 digits: it becomes part of role ARNs and console links, so nothing else is let through. */
export const ACCOUNT_PATTERN = /^\d{12}$/;
/** us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5 … */
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
