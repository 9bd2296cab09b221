/**
 * What a playbook state machine sends every responder Lambda: the incident, the mode, the step's
 * options and the execution context (and, for a manual playbook, who asked for it). The payload crosses a trust boundary (Step Functions JSON,
 * the CLI, the local game day), so it is validated here before any AWS call; each responder passes
 * the zod schema of its own options.
 */
import * as z from 'zod';
import type { Incident } from '../incident/model';
import { ResponderInputError } from '../contracts/responder-errors';
import type { ExecutionContext } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import { executionContextSchema } from './model';
import { responderModeSchema } from '../contracts/responder-mode';

const isoTime = z.string().min(1);

const severitySchema = z.looseObject({
  score: z.number().min(0).max(10),
  label: z.enum(['Informational', 'Low', 'Medium', 'High', 'Critical']),
});

const findingNetworkInterfaceSchema = z.looseObject({
  networkInterfaceId: z.string().optional(),
  privateIpAddress: z.string().optional(),
  publicIp: z.string().optional(),
  subnetId: z.string().optional(),
  vpcId: z.string().optional(),
  securityGroups: z
    .array(z.looseObject({ groupId: z.string().optional(), groupName: z.string().optional() }))
    .default([]),
});

const ec2InstanceResourceSchema = z.looseObject({
  kind: z.literal('ec2-instance'),
  instanceId: z.string().min(1),
  availabilityZone: z.string().optional(),
  instanceType: z.string().optional(),
  imageId: z.string().optional(),
  instanceState: z.string().optional(),
  instanceProfileArn: z.string().optional(),
  networkInterfaces: z.array(findingNetworkInterfaceSchema).default([]),
  tags: z.record(z.string(), z.string()).default({}),
});

const accessKeyResourceSchema = z.looseObject({
  kind: z.literal('access-key'),
  accessKeyId: z.string().optional(),
  userName: z.string().optional(),
  userType: z.string().optional(),
  principalId: z.string().optional(),
});

const otherResourceSchema = z.looseObject({
  kind: z.literal('other'),
  type: z.string(),
  id: z.string().optional(),
});

const noResourceSchema = z.looseObject({ kind: z.literal('none') });

const alarmStateSchema = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

const guardDutyContextSchema = z.looseObject({
  findingId: z.string().min(1),
  arn: z.string().optional(),
  detectorId: z.string().optional(),
  count: z.number().int().nonnegative(),
  resourceRole: z.enum(['TARGET', 'ACTOR']).optional(),
  actionType: z.string().optional(),
  connectionDirection: z.string().optional(),
  remoteIndicators: z.array(z.string()).default([]),
  dnsDomain: z.string().optional(),
  archived: z.boolean().optional(),
});

const alarmContextSchema = z.looseObject({
  alarmName: z.string().min(1),
  alarmArn: z.string().optional(),
  kind: z.enum(['metric', 'metric-math', 'composite']),
  state: alarmStateSchema,
  previousState: alarmStateSchema.optional(),
  reason: z.string().optional(),
  stateChangedAt: z.string().optional(),
  metrics: z
    .array(
      z.looseObject({
        namespace: z.string().optional(),
        metricName: z.string().optional(),
        dimensions: z.record(z.string(), z.string()).default({}),
      }),
    )
    .default([]),
  alarmRule: z.string().optional(),
});

/**
 * The `Incident` as it arrives in a responder's payload, checked structurally. Unknown keys pass
 * through untouched: a newer triage may add fields an older responder does not know yet.
 */
export const incidentSchema = z.looseObject({
  key: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "-" or "_"'),
  revision: z.string().min(1),
  // `firebreak`: a release requested with `firebreak release` (lib/cli/release.ts).
  source: z.enum(['guardduty', 'cloudwatch', 'firebreak']),
  findingType: z.string().min(1),
  title: z.string(),
  description: z.string().optional(),
  severity: severitySchema,
  account: z.string().regex(/^\d{12}$/, '12 digits'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as eu-west-1'),
  resource: z.discriminatedUnion('kind', [
    ec2InstanceResourceSchema,
    accessKeyResourceSchema,
    otherResourceSchema,
    noResourceSchema,
  ]),
  sample: z.boolean(),
  gameDay: z.boolean(),
  envelope: z.object({ account: z.string().optional(), region: z.string().optional() }).optional(),
  times: z.looseObject({ created: isoTime, updated: isoTime, received: isoTime }),
  guardDuty: guardDutyContextSchema.optional(),
  alarm: alarmContextSchema.optional(),
});

// Compile-time proof that what the schema accepts is an `Incident`.
type _IncidentSchemaMatchesModel = z.output<typeof incidentSchema> extends Incident ? true : never;
const _incidentSchemaMatchesModel: _IncidentSchemaMatchesModel = true;
void _incidentSchemaMatchesModel;

/**
 * Who started a manual playbook (`firebreak release`) and why: the compiler passes it to the steps
 * of `trigger: manual` playbooks only; automatic playbooks are started by the dispatcher, not a person.
 */
export const responderRequestSchema = z
  .object({
    /** The IAM identity (ARN) of the person who asked. */
    requestedBy: z.string().min(1),
    /** Their reason, or null when they gave none. */
    reason: z.string().nullish(),
  })
  .strict();

/** Who asked for a manual playbook, and why. */
export type ResponderRequest = z.output<typeof responderRequestSchema>;

/** The envelope every responder receives; `options` is checked by the responder's own schema. */
export const responderInputSchema = z
  .object({
    incident: incidentSchema,
    mode: responderModeSchema,
    options: z.record(z.string(), z.unknown()).default({}),
    execution: executionContextSchema.optional(),
    request: responderRequestSchema.optional(),
  })
  .strict();

/** A validated responder input with options of type `O`. */
export interface ResponderInput<O> {
  readonly incident: Incident;
  readonly mode: ResponderMode;
  readonly options: O;
  readonly execution?: ExecutionContext;
  /** Present for the steps of a manual playbook: who started it and why. */
  readonly request?: ResponderRequest;
}

function describeIssues(prefix: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Validates a raw responder payload and the step's options; throws `ResponderInputError` naming
 * every offending field path.
 */
export function parseResponderInput<S extends z.ZodType>(raw: unknown, optionsSchema: S): ResponderInput<z.output<S>> {
  const envelope = responderInputSchema.safeParse(raw);
  if (!envelope.success) {
    throw new ResponderInputError(`Invalid responder input: ${describeIssues('input', envelope.error)}`, {
      cause: envelope.error,
    });
  }
  const options = optionsSchema.safeParse(envelope.data.options);
  if (!options.success) {
    throw new ResponderInputError(`Invalid responder options: ${describeIssues('input.options', options.error)}`, {
      cause: options.error,
    });
  }
  const { incident, mode, execution, request } = envelope.data;
  return {
    incident,
    mode,
    options: options.data as z.output<S>,
    ...(execution ? { execution } : {}),
    ...(request ? { request } : {}),
  };
}
