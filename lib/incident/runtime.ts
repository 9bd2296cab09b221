/**
 * Runtime Monitoring details (`service.runtimeDetails` of `Execution:Runtime/ReverseShell`,
 * `PrivilegeEscalation:Runtime/*`, `DefenseEvasion:Runtime/*` … findings): the process GuardDuty's
 * agent observed, its lineage, and the context of the finding (command line, script, library,
 * module, file paths, tool names), and the container it ran in. Every one of these strings was
 * chosen by whoever ran the process, usually the attacker (a process can name itself anything,
 * `argv[0]` included), so all of them are kept as untrusted text, never as identifiers.
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_RuntimeDetails.html
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_RuntimeContext.html
 * https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ProcessDetails.html
 */
import type { RuntimeContext, RuntimeProcess, UntrustedText } from './model';
import { RESOURCE_ID_FORMAT } from './identifiers';
import { REFERENCE_ID, countAt, idAt, isRecord, keepWithin, listAt, timeAt, untrusted, untrustedAt } from './lenient';
import type { PathSegment } from './reading';
import { valueAt, withoutUndefined } from './reading';

const RUNTIME_PATH = ['service', 'runtimeDetails'] as const;
const LINEAGE_MAX = 8;
const TEXT_MAX = 512;
const LIST_MAX = 10;
/** Characters (as JSON) of the context's text fields kept, in the order listed below; of each process's lineage. */
const CONTEXT_BUDGET = 12 * 1024;
const LINEAGE_BUDGET = 3 * 1024;

/** `runtimeDetails.context` members that are text, read as untrusted text. */
const CONTEXT_TEXT_FIELDS = [
  'commandLineExample',
  'scriptPath',
  'libraryPath',
  'ldPreloadValue',
  'socketPath',
  'runcBinaryPath',
  'releaseAgentPath',
  'mountSource',
  'mountTarget',
  'fileSystemType',
  'moduleName',
  'moduleFilePath',
  'moduleSha256',
  'shellHistoryFilePath',
  'addressFamily',
  'toolName',
  'toolCategory',
  'serviceName',
  'threatFilePath',
  'fileOperation',
  'filePath',
] as const;
/** `runtimeDetails.context` members that are lists of text. */
const CONTEXT_LIST_FIELDS = ['flags', 'memoryRegions', 'relatedFilePaths'] as const;

/** True when the finding carries runtime details. */
export function hasRuntimeDetails(finding: unknown): boolean {
  return isRecord(valueAt(finding, RUNTIME_PATH));
}

/** The runtime details of a finding (camelCase), all of their text untrusted. */
export function readRuntime(finding: unknown): RuntimeContext {
  const contextPath = [...RUNTIME_PATH, 'context'];
  const entries: [string, UntrustedText | readonly UntrustedText[]][] = [];
  for (const field of CONTEXT_TEXT_FIELDS) {
    const value = untrustedAt(finding, [...contextPath, field], TEXT_MAX);
    if (value !== undefined) entries.push([field, value]);
  }
  for (const field of CONTEXT_LIST_FIELDS) {
    const values = listAt(finding, [...contextPath, field], LIST_MAX).items.flatMap((item) => (typeof item === 'string' && item !== '' ? [untrusted(item, TEXT_MAX)] : []));
    if (values.length > 0) entries.push([field, values]);
  }
  const context: Record<string, UntrustedText | readonly UntrustedText[]> = Object.fromEntries(keepWithin(entries, CONTEXT_BUDGET).kept);
  const containerPath = ['resource', 'containerDetails'];
  const container = isRecord(valueAt(finding, containerPath))
    ? withoutUndefined({
        name: untrustedAt(finding, [...containerPath, 'name'], 256),
        image: untrustedAt(finding, [...containerPath, 'image'], TEXT_MAX),
        id: untrustedAt(finding, [...containerPath, 'id'], 256),
      })
    : undefined;
  return withoutUndefined({
    process: processAt(finding, [...RUNTIME_PATH, 'process'], true),
    context,
    modifyingProcess: processAt(finding, [...contextPath, 'modifyingProcess'], true),
    targetProcess: processAt(finding, [...contextPath, 'targetProcess'], true),
    container: container !== undefined && Object.keys(container).length > 0 ? container : undefined,
  });
}

function processAt(raw: unknown, path: readonly PathSegment[], withLineage: true): RuntimeProcess | undefined;
function processAt(raw: unknown, path: readonly PathSegment[], withLineage: false): Omit<RuntimeProcess, 'lineage'> | undefined;
function processAt(raw: unknown, path: readonly PathSegment[], withLineage: boolean): RuntimeProcess | Omit<RuntimeProcess, 'lineage'> | undefined {
  if (!isRecord(valueAt(raw, path))) return undefined;
  const process = withoutUndefined({
    name: untrustedAt(raw, [...path, 'name'], 128),
    executablePath: untrustedAt(raw, [...path, 'executablePath'], TEXT_MAX),
    executableSha256: idAt(raw, [...path, 'executableSha256'], RESOURCE_ID_FORMAT.hexDigest),
    pid: countAt(raw, [...path, 'pid']),
    namespacePid: countAt(raw, [...path, 'namespacePid']),
    user: untrustedAt(raw, [...path, 'user'], 128),
    userId: countAt(raw, [...path, 'userId']),
    euid: countAt(raw, [...path, 'euid']),
    pwd: untrustedAt(raw, [...path, 'pwd'], TEXT_MAX),
    startTime: timeAt(raw, [...path, 'startTime']),
    uuid: idAt(raw, [...path, 'uuid'], REFERENCE_ID),
    parentUuid: idAt(raw, [...path, 'parentUuid'], REFERENCE_ID),
  });
  if (!withLineage) return process;
  const lineage = listAt(raw, [...path, 'lineage'], LINEAGE_MAX).items.flatMap((_, index) => processAt(raw, [...path, 'lineage', index], false) ?? []);
  return { ...process, lineage: keepWithin(lineage, LINEAGE_BUDGET).kept };
}
