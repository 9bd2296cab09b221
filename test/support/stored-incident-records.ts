/**
 * The incident records of a report test as the state table stores them: each entry a JSON string
 * under its incident, the header the first append wrote, read back through the operator's own
 * parser. And the test's clock, which moves on by a second at each read, so that every entry and
 * action has a time of its own.
 */
import type { IncidentRecord } from '../../lib/operator/incident-report';
import { parseRecordEntries } from '../../lib/operator/incident-report';
import type { IncidentRecordEntry, IncidentRecordHeader } from '../../lib/responders/incident-record';

export class StoredIncidentRecords {
  private readonly headers = new Map<string, IncidentRecordHeader>();
  private readonly stored = new Map<string, string[]>();

  constructor(private readonly receivedAt: Date) {}

  /** The `records.append` of recordingHandler. */
  readonly append = async (header: IncidentRecordHeader, entry: IncidentRecordEntry): Promise<void> => {
    if (!this.headers.has(header.incidentKey)) this.headers.set(header.incidentKey, header);
    this.stored.set(header.incidentKey, [...(this.stored.get(header.incidentKey) ?? []), JSON.stringify(entry)]);
  };

  /** One incident's record as the operator's reader returns it (without a key: the only incident recorded). */
  read(incidentKey: string = this.onlyIncident()): IncidentRecord {
    const header = this.headers.get(incidentKey);
    if (header === undefined) throw new Error(`nothing was recorded for ${incidentKey}`);
    const { entries, invalid } = parseRecordEntries(this.stored.get(incidentKey) ?? []);
    return { header: { ...header, receivedAt: this.receivedAt.toISOString() }, entries, invalidEntries: invalid, approvals: [] };
  }

  /** The entries of the only incident recorded. */
  get entries(): readonly IncidentRecordEntry[] {
    return this.read().entries;
  }

  private onlyIncident(): string {
    const keys = [...this.headers.keys()];
    if (keys.length !== 1) throw new Error(keys.length === 0 ? 'nothing was recorded' : `${keys.length} incidents were recorded: name one`);
    return keys[0] as string;
  }
}

/** A clock that moves on by a second at each `now()`, from `start`; `offset` says how far a time is from it. */
export function steppingClock(start: Date): { readonly now: () => Date; readonly offset: (at: string) => string; readonly reset: () => void } {
  let seconds = 0;
  return {
    now: () => new Date(start.getTime() + (seconds += 1) * 1000),
    offset: (at: string) => `+${((Date.parse(at) - start.getTime()) / 1000).toFixed(1)} s`,
    reset: () => {
      seconds = 0;
    },
  };
}
