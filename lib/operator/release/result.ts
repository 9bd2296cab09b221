/**
 * What a finished release execution says, pure: the release-instance result read from the
 * execution's output and turned into lines for the person who asked. A compiled playbook keeps each
 * step's responder result at `$.results.<stepId>.result` (lib/playbooks/compile.ts), so the
 * release is found by its responder name, whatever the step is called.
 */
import { z } from 'zod';
import { RELEASE_RESPONDER } from '../../responders/release';
import type { ReleaseStatus } from '../../responders/release';
import { spacedField, terminalLine } from '../../responders/untrusted-text';

const actionSchema = z.looseObject({
  api: z.string(),
  target: z.string(),
  outcome: z.string(),
  detail: z.string(),
});

const releaseResultSchema = z.looseObject({
  responder: z.literal(RELEASE_RESPONDER),
  incidentKey: z.string().optional(),
  mode: z.string().optional(),
  status: z.string(),
  actions: z.array(actionSchema).default([]),
  instanceId: z.string().optional(),
  networkInterfaces: z.array(z.looseObject({ id: z.string(), groupsRestored: z.array(z.string()) })).default([]),
  instanceProfileArn: z.string().optional(),
  refusal: z.string().optional(),
  releasedBy: z.string().optional(),
  requestedBy: z.string().optional(),
  heldBy: z.array(z.string()).optional(),
  preQuarantine: z
    .looseObject({
      incidentKey: z.string().optional(),
      capturedAt: z.string().optional(),
      account: z.string().optional(),
      region: z.string().optional(),
      releasedAt: z.string().optional(),
      releasedBy: z.string().optional(),
    })
    .optional(),
});

/** One release-instance result found in an execution's output. */
export type ReleaseOutcome = z.output<typeof releaseResultSchema> & { readonly step: string };

/** The release-instance results in a release execution's output (JSON text), in step order; [] when there are none. */
export function releaseOutcomesOf(output: string | undefined): ReleaseOutcome[] {
  return stepResultsOf(output, releaseResultSchema);
}

/**
 * The step results of an execution's output (JSON text) that `schema` reads, each with its step
 * id, in step order; [] when there are none or the output is not JSON.
 */
export function stepResultsOf<T extends z.ZodType>(output: string | undefined, schema: T): (z.output<T> & { readonly step: string })[] {
  if (!output) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    return [];
  }
  const results = z.looseObject({ results: z.record(z.string(), z.unknown()) }).safeParse(parsed);
  if (!results.success) return [];
  return Object.entries(results.data.results).flatMap(([step, entry]) => {
    const wrapped = z.looseObject({ result: schema }).safeParse(entry);
    return wrapped.success ? [Object.assign({}, wrapped.data.result as z.output<T>, { step })] : [];
  });
}

const KNOWN_STATUSES: readonly ReleaseStatus[] = [
  'released',
  'claim-released',
  'already-released',
  'dry-run',
  'no-record',
  'not-found',
  'terminated',
  'skipped-sample',
  'not-an-instance',
  'refused',
];

/** One sentence on what the release did, by its status. */
export function releaseSummary(outcome: ReleaseOutcome): string {
  const instance = outcome.instanceId ?? 'the instance';
  const record = outcome.preQuarantine;
  const recorded = record?.capturedAt ? ` recorded at ${record.capturedAt}${record.incidentKey ? ` by incident ${record.incidentKey}` : ''}` : '';
  const restored = [
    ...outcome.networkInterfaces.map((eni) => `${eni.id} → ${eni.groupsRestored.join(', ')}`),
    ...(outcome.instanceProfileArn ? [`instance profile ${outcome.instanceProfileArn}`] : []),
  ];
  const status = outcome.status as ReleaseStatus;
  if (!KNOWN_STATUSES.includes(status)) return `Release ended with status ${outcome.status}: see the actions above.`;
  switch (status) {
    case 'released': {
      // A release goes on past what it refuses or cannot tell (a group it cannot describe, an
      // address no longer on its ENI: rows 3k-3o) and says so in a skipped action; the last line,
      // the one a person reads, must not then say the instance is back as it was (row 3p).
      const skipped = outcome.actions.filter((action) => action.outcome === 'skipped');
      if (skipped.length === 0) {
        return `Released: ${instance} is back to its pre-quarantine state${recorded}${restored.length ? ` (${restored.join('; ')}; protections and tags as above)` : ' (protections and tags as above)'}; the record is marked released.`;
      }
      const which = skipped.map((action) => `${action.api} ${action.target}`).join('; ');
      const of = record?.capturedAt ? `record of ${record.capturedAt}${record.incidentKey ? ` by incident ${record.incidentKey}` : ''}` : '';
      const said = [of, restored.join('; ')].filter((part) => part !== '').join(': ');
      return `Released: ${instance} is out of quarantine${said ? ` (${said})` : ''}, but NOT all of its pre-quarantine state is back: ${skipped.length === 1 ? '1 action above was' : `${skipped.length} actions above were`} skipped (${which}), left as ${skipped.length === 1 ? 'it is' : 'they are'}: do ${skipped.length === 1 ? 'it' : 'them'} by hand as ${skipped.length === 1 ? 'its reason says' : 'their reasons say'}; the record is marked released.`;
    }
    case 'claim-released':
      return `Claim released: incident ${outcome.incidentKey ?? 'of this release'} no longer holds ${instance}, but ${instance} STAYS QUARANTINED: ${heldByText(outcome.heldBy)}. Nothing was restored; the release of the last of them restores it.`;
    case 'dry-run':
      if (outcome.heldBy !== undefined && outcome.heldBy.length > 0) {
        return `Dry run: nothing was changed. A release would take back only this incident's claim: ${instance} would stay quarantined, ${heldByText(outcome.heldBy)}.`;
      }
      return `Dry run: nothing was changed. The lines above are what a release would do${restored.length ? ` (${restored.join('; ')})` : ''}; would-be-denied means the responder's role lacks that permission.`;
    case 'already-released':
      return `Already released${record?.releasedAt ? ` at ${record.releasedAt}` : ''}${record?.releasedBy ? ` by ${record.releasedBy}` : ''}: nothing was changed.`;
    case 'no-record':
      return `No pre-quarantine record for ${instance}: Firebreak did not quarantine it in this account and region (check --account and --region), so nothing was changed; restore it by hand if someone else isolated it.`;
    case 'not-found':
      return `${instance} was not found in its account and region: nothing was changed (check --instance, --account and --region); the record stays unreleased.`;
    case 'terminated':
      return `${instance} is terminated (or shutting down): there is nothing to release; the record stays unreleased.`;
    case 'skipped-sample':
      return `${instance} is a sample placeholder: nothing was read or changed.`;
    case 'not-an-instance':
      return 'The incident does not name an EC2 instance: nothing was changed.';
    case 'refused':
      return `Release REFUSED: ${outcome.refusal ?? 'see the actions above'}. Nothing was changed; the instance stays quarantined.`;
  }
}

/** Which incidents still hold the instance, in words. */
function heldByText(heldBy: readonly string[] | undefined): string {
  if (heldBy === undefined || heldBy.length === 0) return 'other incidents still hold it';
  return heldBy.length === 1 ? `incident ${heldBy[0]!} still holds it` : `incidents ${heldBy.join(', ')} still hold it`;
}

/** The lines printed for one release result: a header, one line per action, the summary; each one line whatever the output holds (`terminalLine`). */
export function formatReleaseOutcome(outcome: ReleaseOutcome): string[] {
  // The execution output is the step's claim: a run of spaces in a field would pad what follows it
  // (and every aligned column) to the start of a screen line, where it reads as a line of its own
  // (row 14i). Each field's runs become one space before the columns are measured.
  const actions = outcome.actions.map((action) => ({ api: spacedField(action.api), target: spacedField(action.target), outcome: spacedField(action.outcome), detail: spacedField(action.detail) }));
  const apiWidth = Math.max(0, ...actions.map((action) => action.api.length));
  const targetWidth = Math.max(0, ...actions.map((action) => action.target.length));
  const outcomeWidth = Math.max(0, ...actions.map((action) => action.outcome.length));
  return [
    `Release (step ${spacedField(outcome.step)}): status ${spacedField(outcome.status)}${outcome.mode ? `, mode ${spacedField(outcome.mode)}` : ''}`,
    ...actions.map((action) => `  ${action.outcome.padEnd(outcomeWidth)}  ${action.api.padEnd(apiWidth)}  ${action.target.padEnd(targetWidth)}  ${action.detail}`),
    // Firebreak's sentence around the output's values (ids, times, incident keys, who released it).
    spacedField(releaseSummary(outcome)),
  ].map(terminalLine);
}
