/**
 * The `Incident` as it arrives in a Lambda's payload, checked structurally (zod/mini on the Lambda
 * side: lib/contracts/zod-mini.ts): the responder input's envelope (responder-input.ts), publish-alert's
 * input and the containment guard's reading of an execution embed it. A module of its own so that
 * publish-alert, which takes no responder envelope, does not build the envelope's schemas at cold start.
 */
import * as z from '../contracts/zod-mini';
import type { Incident } from '../incident/model';

const isoTime = z.string().check(z.minLength(1));

const severitySchema = z.looseObject({
  score: z.number().check(z.gte(0), z.lte(10)),
  label: z.enum(['Informational', 'Low', 'Medium', 'High', 'Critical']),
});

const findingNetworkInterfaceSchema = z.looseObject({
  networkInterfaceId: z.optional(z.string()),
  privateIpAddress: z.optional(z.string()),
  publicIp: z.optional(z.string()),
  subnetId: z.optional(z.string()),
  vpcId: z.optional(z.string()),
  securityGroups: z._default(z.array(z.looseObject({ groupId: z.optional(z.string()), groupName: z.optional(z.string()) })), []),
});

const ec2InstanceResourceSchema = z.looseObject({
  kind: z.literal('ec2-instance'),
  instanceId: z.string().check(z.minLength(1)),
  availabilityZone: z.optional(z.string()),
  instanceType: z.optional(z.string()),
  imageId: z.optional(z.string()),
  instanceState: z.optional(z.string()),
  instanceProfileArn: z.optional(z.string()),
  networkInterfaces: z._default(z.array(findingNetworkInterfaceSchema), []),
  tags: z._default(z.record(z.string(), z.string()), {}),
});

const accessKeyResourceSchema = z.looseObject({
  kind: z.literal('access-key'),
  accessKeyId: z.optional(z.string()),
  userName: z.optional(z.string()),
  userType: z.optional(z.string()),
  principalId: z.optional(z.string()),
});

const otherResourceSchema = z.looseObject({
  kind: z.literal('other'),
  type: z.string(),
  id: z.optional(z.string()),
});

const noResourceSchema = z.looseObject({ kind: z.literal('none') });

const alarmStateSchema = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

const guardDutyContextSchema = z.looseObject({
  findingId: z.string().check(z.minLength(1)),
  arn: z.optional(z.string()),
  detectorId: z.optional(z.string()),
  count: z.number().check(z.int(), z.nonnegative()),
  resourceRole: z.optional(z.enum(['TARGET', 'ACTOR'])),
  actionType: z.optional(z.string()),
  connectionDirection: z.optional(z.string()),
  remoteIndicators: z._default(z.array(z.string()), []),
  dnsDomain: z.optional(z.string()),
  archived: z.optional(z.boolean()),
});

const alarmContextSchema = z.looseObject({
  alarmName: z.string().check(z.minLength(1)),
  alarmArn: z.optional(z.string()),
  kind: z.enum(['metric', 'metric-math', 'composite']),
  state: alarmStateSchema,
  previousState: z.optional(alarmStateSchema),
  reason: z.optional(z.string()),
  stateChangedAt: z.optional(z.string()),
  metrics: z._default(
    z.array(
      z.looseObject({
        namespace: z.optional(z.string()),
        metricName: z.optional(z.string()),
        dimensions: z._default(z.record(z.string(), z.string()), {}),
      }),
    ),
    [],
  ),
  alarmRule: z.optional(z.string()),
});

const clippedCount = z.number().check(z.int(), z.nonnegative());
const clippingSchema = z.looseObject({
  tags: clippedCount,
  networkInterfaces: clippedCount,
  securityGroups: clippedCount,
  texts: clippedCount,
  sections: z._default(z.array(z.string()), []),
  event: z.optional(z.looseObject({ originalBytes: z.number().check(z.int(), z.positive()), confirmed: z.optional(z.literal(true)) })),
});

/**
 * The `Incident` as it arrives in a responder's payload, checked structurally. Unknown keys pass
 * through untouched: a newer triage may add fields an older responder does not know yet.
 */
export const incidentSchema = z.looseObject({
  key: z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "-" or "_"')),
  revision: z.string().check(z.minLength(1)),
  // `firebreak`: a release requested with `firebreak release` (lib/cli/release.ts).
  source: z.enum(['guardduty', 'cloudwatch', 'firebreak']),
  findingType: z.string().check(z.minLength(1)),
  title: z.string(),
  description: z.optional(z.string()),
  severity: severitySchema,
  account: z.string().check(z.regex(/^\d{12}$/, '12 digits')),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as eu-west-1')),
  resource: z.discriminatedUnion('kind', [
    ec2InstanceResourceSchema,
    accessKeyResourceSchema,
    otherResourceSchema,
    noResourceSchema,
  ]),
  sample: z.boolean(),
  gameDay: z.boolean(),
  envelope: z.optional(z.object({ account: z.optional(z.string()), region: z.optional(z.string()) })),
  times: z.looseObject({ created: isoTime, updated: isoTime, received: isoTime }),
  guardDuty: z.optional(guardDutyContextSchema),
  alarm: z.optional(alarmContextSchema),
  clipped: z.optional(clippingSchema),
});

// Compile-time proof that what the schema accepts is an `Incident`.
type _IncidentSchemaMatchesModel = z.output<typeof incidentSchema> extends Incident ? true : never;
const _incidentSchemaMatchesModel: _IncidentSchemaMatchesModel = true;
void _incidentSchemaMatchesModel;
