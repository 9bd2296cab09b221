/**
 * The pre-quarantine record as quarantine-instance writes it: captured from EC2's answer, sealed
 * with the deployment's record key, saved once (a later run never replaces an unreleased
 * original). The store is quarantine-records.ts, the seal record-integrity.ts.
 */
import type { ActionLog } from './action-log';
import type { ObservedInstance } from './instance-state';
import { firebreakTags } from './instance-state';
import type { IncidentLogger } from './logging';
import type { ResponderMode } from '../contracts/responder-mode';
import type { QuarantineRecord, QuarantineRecordStore } from './quarantine-records';
import type { RecordSealer } from './record-integrity';
import { TransientResponderError } from '../contracts/responder-errors';

/** The record of what the instance looked like before any change (pure). */
export function capturePreQuarantineRecord(
  instance: ObservedInstance,
  target: { readonly account: string; readonly region: string; readonly incidentKey: string },
  capturedAt: string,
): QuarantineRecord {
  return {
    account: target.account,
    region: target.region,
    instanceId: instance.instanceId,
    incidentKey: target.incidentKey,
    capturedAt,
    networkInterfaces: instance.networkInterfaces.map((eni) => ({
      networkInterfaceId: eni.networkInterfaceId,
      groupIds: [...eni.groupIds],
    })),
    ...(instance.profileAssociation ? { instanceProfileArn: instance.profileAssociation.instanceProfileArn } : {}),
    disableApiTermination: instance.disableApiTermination,
    shutdownBehavior: instance.shutdownBehavior,
    deleteOnTermination: instance.ebsVolumes.map((v) => ({ ...v })),
    tags: firebreakTags(instance.tags),
  };
}

export async function saveRecord(
  mode: ResponderMode,
  records: QuarantineRecordStore,
  captured: QuarantineRecord,
  log: ActionLog,
  logger: IncidentLogger,
  sealer: RecordSealer | undefined,
): Promise<QuarantineRecord> {
  const api = 'firebreak:record-pre-quarantine-state';
  if (mode === 'dry-run') {
    log.record(api, captured.instanceId, 'would-do', 'Would record the pre-quarantine state (groups per ENI, profile, protections, tags), sealed with the record key, for release');
    return captured;
  }
  const sealed = await sealRecord(captured, log, logger, sealer);
  const saved = await records.saveIfAbsent(sealed);
  if (saved === 'saved') {
    log.record(api, captured.instanceId, 'done', 'Recorded the pre-quarantine state (groups per ENI, profile, protections, tags) for release');
    return sealed;
  }
  const original = await records.get(captured.account, captured.region, captured.instanceId);
  if (original && original.incidentKey !== captured.incidentKey) {
    logger.warn('An unreleased quarantine record from another incident exists; keeping it as the original state', {
      recordIncidentKey: original.incidentKey,
      recordCapturedAt: original.capturedAt,
    });
  }
  log.record(
    api,
    captured.instanceId,
    'already-done',
    `Kept the pre-quarantine state recorded at ${original?.capturedAt ?? 'an earlier run'} (incident ${original?.incidentKey ?? 'unknown'}): a later run never overwrites the original`,
  );
  return original ?? captured;
}

/**
 * The record with its MAC (kms:GenerateMac), before it is saved. Containment matters more than a
 * later release: when the key cannot seal (disabled, denied, not configured) the record is saved
 * unsealed, the action log says so, and release will refuse to restore from it (the instance is
 * then released by hand). Throttling is retried by the state machine: nothing has changed yet.
 */
async function sealRecord(
  record: QuarantineRecord,
  log: ActionLog,
  logger: IncidentLogger,
  sealer: RecordSealer | undefined,
): Promise<QuarantineRecord> {
  const api = 'kms:GenerateMac';
  if (!sealer) {
    log.record(api, record.instanceId, 'skipped', 'No record key configured: the record is saved unsealed, and release will refuse to restore from it');
    return record;
  }
  try {
    const seal = await sealer.seal(record);
    log.record(api, record.instanceId, 'done', `Sealed the pre-quarantine record with key ${seal.keyId} (${seal.algorithm}), so release can tell it was not changed`);
    return { ...record, seal };
  } catch (error) {
    if (error instanceof TransientResponderError) throw error;
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger.warn('The pre-quarantine record could not be sealed; it is saved unsealed and release will refuse it', { error: why });
    log.record(api, record.instanceId, 'skipped', `Could not seal the record (${why}): saved unsealed, so release will refuse to restore from it`);
    return record;
  }
}
