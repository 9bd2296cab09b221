/**
 * The incident's detail fields the alert tells as a story (`sequence`, `signals`, `malwareScan`,
 * `runtime`), checked before any section reads them. publish-alert's input is a claim like any
 * other: `incidentSchema` (incident-schema.ts) checks the incident's core and lets unknown keys
 * through, so without this a forged or damaged payload would put wrong types into alert-sequence.ts
 * and alert-malware.ts (failing the one step that must not fail), or a newline into a field those
 * sections print as checked (a hash, a time, an ARN) and so forge a line of Firebreak's own.
 *
 * Each field is read on its own: one that does not match its shape is left out of the alert, and
 * the alert says which could not be read (`unreadable`), while the rest of the incident is told as
 * usual. Text that is the attacker's (`{ untrusted }`) may be anything; the sections quote it.
 */
import * as z from '../contracts/zod-mini';
import type { Incident } from '../incident/model';

// Each schema is z.lazy: built when an incident first carries its detail, not in publish-alert's
// module scope (most alerts never read most of them).
/** A value printed as it is (hash, ARN, id, time): printable ASCII without spaces, so it cannot break a line. */
const token = z.lazy(() => z.string().check(z.regex(/^[\x21-\x7e]{1,2048}$/, 'printable ASCII without spaces')));
const hex = z.lazy(() => z.string().check(z.regex(/^[0-9A-Fa-f]{32,128}$/, 'a hex digest')));
const count = z.lazy(() => z.number().check(z.int(), z.nonnegative()));
const untrusted = z.lazy(() => z.object({ untrusted: z.string() }));
const severity = z.lazy(() => z.object({ score: z.number().check(z.gte(0), z.lte(10)), label: z.enum(['Informational', 'Low', 'Medium', 'High', 'Critical']) }));

const signalSchema = z.lazy(() =>
  z.object({
    type: z.string(),
    name: untrusted,
    description: z.optional(untrusted),
    uid: z.optional(z.string()),
    firstSeen: z.optional(z.string()),
    lastSeen: z.optional(z.string()),
    created: z.optional(z.string()),
    severity: z.optional(severity),
    count: z.optional(count),
    resourceUids: z.array(z.string()),
    actorIds: z.array(z.string()),
    endpointIds: z.array(z.string()),
  }),
);

const sequenceSchema = z.lazy(() =>
  z.object({
    uid: z.optional(z.string()),
    description: z.optional(untrusted),
    actors: z.array(
      z.object({
        id: z.string(),
        user: z.optional(
          z.object({ name: untrusted, uid: z.optional(z.string()), type: z.optional(z.string()), credentialUid: z.optional(z.string()), account: z.optional(z.string()) }),
        ),
        session: z.optional(z.object({ uid: z.optional(z.string()), mfaStatus: z.optional(z.string()), created: z.optional(z.string()), issuer: z.optional(z.string()) })),
        process: z.optional(z.object({ name: untrusted, path: z.optional(untrusted), sha256: z.optional(hex) })),
      }),
    ),
    endpoints: z.array(
      z.object({
        id: z.string(),
        ip: z.optional(z.string()),
        domain: z.optional(untrusted),
        port: z.optional(count),
        country: z.optional(z.string()),
        city: z.optional(z.string()),
        autonomousSystem: z.optional(z.object({ name: z.optional(z.string()), number: z.optional(count) })),
      }),
    ),
    indicators: z.array(z.object({ key: z.string(), title: z.optional(untrusted), values: z.array(untrusted) })),
    additionalSequenceTypes: z.array(z.string()),
    leftOut: z.optional(z.array(z.object({ kind: z.string(), id: token, account: z.optional(z.string()), region: z.optional(z.string()) }))),
    omitted: z.object({ resources: count, signals: count, actors: count, endpoints: count, indicators: count }),
  }),
);

const threatSchema = z.lazy(() =>
  z.object({
    name: untrusted,
    severity: z.optional(z.string()),
    itemCount: z.optional(count),
    files: z.array(z.object({ path: z.optional(untrusted), fileName: z.optional(untrusted), hash: z.optional(hex), volumeArn: z.optional(token) })),
  }),
);

const malwareScanSchema = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('ebs-volumes'),
      scanId: z.optional(z.string()),
      triggerFindingId: z.optional(z.string()),
      scanType: z.optional(z.string()),
      startedAt: z.optional(token),
      completedAt: z.optional(token),
      sources: z.array(z.string()),
      scannedFiles: z.optional(count),
      infectedFiles: z.optional(count),
      threats: z.array(threatSchema),
      shortened: z.boolean(),
    }),
    z.object({
      kind: z.literal('s3-object'),
      scanStatus: z.string(),
      resultStatus: z.string(),
      threats: z.array(threatSchema),
      statusReasons: z.array(z.string()),
      s3Throttled: z.optional(z.boolean()),
      planArn: z.optional(z.string()),
    }),
  ]),
);

const processFields = () => ({
  name: z.optional(untrusted),
  executablePath: z.optional(untrusted),
  executableSha256: z.optional(hex),
  pid: z.optional(count),
  namespacePid: z.optional(count),
  user: z.optional(untrusted),
  userId: z.optional(z.number().check(z.int())),
  euid: z.optional(z.number().check(z.int())),
  pwd: z.optional(untrusted),
  startTime: z.optional(token),
  uuid: z.optional(z.string()),
  parentUuid: z.optional(z.string()),
});
const processSchema = z.lazy(() => z.object({ ...processFields(), lineage: z.array(z.object(processFields())) }));

const runtimeSchema = z.lazy(() =>
  z.object({
    process: z.optional(processSchema),
    context: z.record(z.string(), z.union([untrusted, z.array(untrusted)])),
    modifyingProcess: z.optional(processSchema),
    targetProcess: z.optional(processSchema),
    container: z.optional(z.object({ name: z.optional(untrusted), image: z.optional(untrusted), id: z.optional(untrusted) })),
  }),
);

/** The detail fields and their schemas, in the order the alert tells them. */
const DETAILS = {
  sequence: sequenceSchema,
  signals: z.lazy(() => z.array(signalSchema)),
  malwareScan: malwareScanSchema,
  runtime: runtimeSchema,
} as const;

export type IncidentDetail = keyof typeof DETAILS;

// Compile-time proof that what each schema accepts is what the model says (and so what the sections read).
type _DetailsMatchModel = {
  [K in IncidentDetail]: z.output<(typeof DETAILS)[K]> extends NonNullable<Incident[K]> ? true : never;
}[IncidentDetail];
const _detailsMatchModel: _DetailsMatchModel = true;
void _detailsMatchModel;

/** The incident with every detail field that reads as its shape, and the names of those that did not. */
export interface CheckedDetails {
  readonly incident: Incident;
  readonly unreadable: readonly IncidentDetail[];
}

/** Checks the incident's detail fields (see the module comment); an unreadable one is left out and named. */
export function checkIncidentDetails(incident: Incident): CheckedDetails {
  const checked: Record<string, unknown> = { ...incident };
  const unreadable: IncidentDetail[] = [];
  for (const [field, schema] of Object.entries(DETAILS) as [IncidentDetail, (typeof DETAILS)[IncidentDetail]][]) {
    const value: unknown = (incident as unknown as Record<string, unknown>)[field];
    if (value === undefined) continue;
    const parsed = z.safeParse(schema, value);
    if (parsed.success) {
      checked[field] = parsed.data;
    } else {
      delete checked[field];
      unreadable.push(field);
    }
  }
  return { incident: checked as unknown as Incident, unreadable };
}

const DETAIL_NAMES: Readonly<Record<IncidentDetail, string>> = {
  sequence: 'the attack sequence (actors, endpoints, indicators)',
  signals: "the sequence's signals",
  malwareScan: 'the malware scan',
  runtime: 'the runtime activity (process, lineage, container)',
};

/** The section that says what could not be read (empty when everything could). */
export function sectionUnreadableDetails(unreadable: readonly IncidentDetail[]): string[] {
  if (unreadable.length === 0) return [];
  return [
    'DETAILS NOT SHOWN',
    ...unreadable.map((field) => `  Firebreak could not read ${DETAIL_NAMES[field]} (incident.${field}): its shape is damaged or unexpected, so it is left out of this alert. The execution history has the input as it came.`),
  ];
}
