/**
 * What a playbook state machine sends every responder Lambda: the incident, the mode, the step's
 * options and the execution context (and, for a manual playbook, who asked for it). The payload crosses a trust boundary (Step Functions JSON,
 * the CLI, the local game day), so it is validated here before any AWS call; each responder passes
 * the zod schema of its own options (zod/mini on the Lambda side: lib/contracts/zod-mini.ts).
 */
import * as z from '../contracts/zod-mini';
import type { Incident } from '../incident/model';
import { ResponderInputError } from '../contracts/responder-errors';
import type { ExecutionContext } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import { executionContextSchema } from './model';
import { responderModeSchema } from '../contracts/responder-mode';

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
});

// Compile-time proof that what the schema accepts is an `Incident`.
type _IncidentSchemaMatchesModel = z.output<typeof incidentSchema> extends Incident ? true : never;
const _incidentSchemaMatchesModel: _IncidentSchemaMatchesModel = true;
void _incidentSchemaMatchesModel;

/**
 * Who started a manual playbook (`firebreak release`) and why: the compiler passes it to the steps
 * of `trigger: manual` playbooks only; automatic playbooks are started by the dispatcher, not a person.
 */
export const responderRequestSchema = z.strictObject({
  /** The IAM identity (ARN) of the person who asked. */
  requestedBy: z.string().check(z.minLength(1)),
  /** Their reason, or null when they gave none. */
  reason: z.nullish(z.string()),
  /**
   * `firebreak dns unblock`: the domain to take back and whether the requester overrides the
   * other open incidents that still claim it (present only in the unblock-dns-domain playbook).
   */
  dnsUnblock: z.optional(z.strictObject({ domain: z.string().check(z.minLength(1), z.maxLength(253)), force: z.boolean() })),
});

/** Who asked for a manual playbook, and why. */
export type ResponderRequest = z.output<typeof responderRequestSchema>;

/** The envelope every responder receives; `options` is checked by the responder's own schema. */
export const responderInputSchema = z.strictObject({
  incident: incidentSchema,
  mode: responderModeSchema,
  options: z._default(z.record(z.string(), z.unknown()), {}),
  execution: z.optional(executionContextSchema),
  request: z.optional(responderRequestSchema),
});

/** A validated responder input with options of type `O`. */
export interface ResponderInput<O> {
  readonly incident: Incident;
  readonly mode: ResponderMode;
  readonly options: O;
  readonly execution?: ExecutionContext;
  /** Present for the steps of a manual playbook: who started it and why. */
  readonly request?: ResponderRequest;
}

function describeIssues(prefix: string, error: z.core.$ZodError): string {
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
export function parseResponderInput<S extends z.core.$ZodType>(raw: unknown, optionsSchema: S): ResponderInput<z.output<S>> {
  const envelope = responderInputSchema.safeParse(raw);
  if (!envelope.success) {
    throw new ResponderInputError(`Invalid responder input: ${describeIssues('input', envelope.error)}`, {
      cause: envelope.error,
    });
  }
  const options = z.safeParse(optionsSchema, envelope.data.options);
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
