import type { EvidenceOf, EvidenceRecord, EvidenceRecords } from '../../lib/responders/evidence-record';
import type { SealVerdict } from '../../lib/responders/record-mac';

/**
 * snapshot-volumes' evidence records in memory (evidence-record.ts; the state-table store is tested
 * against its exact DynamoDB and KMS inputs in test/responders/evidence-record.test.ts). By default
 * every snapshot counts as recorded, as an earlier run's would be; given `recorded`, only those ids
 * (and what `save` adds) do.
 */
export class InMemoryEvidenceRecords implements EvidenceRecords {
  readonly saved: EvidenceRecord[] = [];
  readonly verified: EvidenceOf[] = [];
  readonly volumeLookups: Omit<EvidenceOf, 'snapshotId'>[] = [];

  constructor(private readonly recorded?: Iterable<string>) {}

  async save(record: EvidenceRecord): Promise<'saved' | 'exists'> {
    const exists = this.saved.some((r) => r.incidentKey === record.incidentKey && r.snapshotId === record.snapshotId);
    if (!exists) this.saved.push(record);
    return exists ? 'exists' : 'saved';
  }

  async verify(of: EvidenceOf): Promise<SealVerdict> {
    this.verified.push(of);
    const known = this.recorded === undefined || [...this.recorded].includes(of.snapshotId) || this.saved.some((r) => r.snapshotId === of.snapshotId && r.incidentKey === of.incidentKey);
    return known ? { valid: true } : { valid: false, reason: 'no record of snapshot-volumes names it (snapshot-volumes seals one for every snapshot it takes)' };
  }

  /** The volume's latest record (row 2zi): the last one saved of it. */
  async recordedSnapshotOf(volume: Omit<EvidenceOf, 'snapshotId'>): Promise<string | undefined> {
    this.volumeLookups.push(volume);
    return this.saved.filter((r) => r.incidentKey === volume.incidentKey && r.volumeId === volume.volumeId && r.instanceId === volume.instanceId && r.account === volume.account && r.region === volume.region).at(-1)?.snapshotId;
  }
}
