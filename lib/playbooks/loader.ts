/**
 * Loads `playbooks/*.yaml` into validated `Playbook`s. YAML is parsed with `yaml`'s
 * `parseDocument` and a `LineCounter`, so every problem (syntax, schema, cross-file) is reported
 * with the file, line and column of the node it concerns, in words. Loading never stops at the
 * first problem: a reviewer sees every error of every file in one run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Document, Node as YamlNode } from 'yaml';
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import type { ActionStep, ParallelStep, Playbook, PlaybookMatch, Step } from './model';
import { DEFAULT_APPROVAL, flattenSteps, isAutomatic, isStartedByParent } from './model';
import { PER_INSTANCE_ACTION } from './fan-out-names';
import { PER_CREDENTIAL_ACTION } from './fan-out-names';
import { ACTIONS } from './actions';
import type { PlaybookError } from './errors';
import { didYouMean, PlaybookValidationError, sortPlaybookErrors } from './errors';
import { KNOWN_FINDING_TYPES } from './finding-types';
import { standardShortfalls } from './standard';
import { globsOverlap, matchesAnyGlob } from './glob';
import type { PlaybookFileDocument, StepDocument } from './schema';
import {
  actionStepSchema,
  approvalSchema,
  describeZodIssue,
  objectKeys,
  parallelStepSchema,
  playbookFileSchema,
  playbookMatchSchema,
  severityRangeSchema,
  STEP_UNION_BRANCH,
  valueAt,
} from './schema';

type ZodIssue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

interface Position {
  readonly line: number;
  readonly column: number;
}

/** A playbook with the positions cross-file checks point at. */
interface LoadedPlaybook {
  readonly playbook: Playbook;
  readonly namePosition?: Position;
  readonly priorityPosition?: Position;
  /** Where it falls short of the shipped playbooks' standard (lib/playbooks/standard.ts). */
  readonly warnings: readonly PlaybookError[];
}

const PLAYBOOK_EXTENSIONS = new Set(['.yaml', '.yml']);

// ---------------------------------------------------------------------------------------------
// positions

/** Positions of a parsed YAML document's nodes (exported for the game-day scenario loader). */
export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private position(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * Where `path` is in the file: its value (or its key when `at` is 'key'). A path that does not
   * exist (a missing key) points at the deepest part that does, e.g. the `match:` line.
   */
  locate(path: Path, at: 'value' | 'key' = 'value'): Position | undefined {
    let node: unknown = this.doc.contents;
    let key: YamlNode | undefined;
    let complete = true;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (pair === undefined) {
          complete = false;
          break;
        }
        key = pair.key as YamlNode;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        key = undefined;
        node = node.items[segment];
      } else {
        complete = false;
        break;
      }
    }
    const preferKey = at === 'key' || !complete;
    const target = (preferKey && key !== undefined ? key : (node as YamlNode | null)) ?? key;
    const range = (target as YamlNode | undefined)?.range;
    return range === undefined || range === null ? undefined : this.position(range[0]);
  }
}

/**
 * The plain value of a parsed document, or the problem that stopped it. `yaml` reports an alias
 * without an anchor before it, and more aliases than its limit (its guard against a "billion
 * laughs" file), by throwing from `toJS()` rather than in `doc.errors`; both are turned into a
 * problem of the file here, pointed at the alias, so a loader that promises never to throw for a
 * bad file keeps its word. (Exported for the game-day scenario loader.)
 */
export function documentValue(doc: Document, lines: LineCounter, file: string): { value: unknown } | { problem: PlaybookError } {
  try {
    return { value: doc.toJS() };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const anchors = new Set<string>();
    let unset: { source: string; offset: number } | undefined;
    let firstAlias: number | undefined;
    // Document order, as yaml resolves an alias to the last anchor of that name before it.
    visit(doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const offset = node.range?.[0] ?? 0;
          firstAlias ??= offset;
          if (!anchors.has(node.source)) {
            unset = { source: node.source, offset };
            return visit.BREAK;
          }
        } else if (isNode(node) && node.anchor !== undefined) {
          anchors.add(node.anchor);
        }
        return undefined;
      },
    });
    const offset = unset?.offset ?? firstAlias;
    const { line, col } = offset === undefined ? { line: 1, col: 1 } : lines.linePos(offset);
    const message =
      unset === undefined
        ? `YAML error: ${reason}`
        : `YAML error: alias '*${unset.source}' names no anchor set before it (an anchor is set with '&${unset.source}')`;
    return { problem: { file, line, column: col, message } };
  }
}

// ---------------------------------------------------------------------------------------------
// issues in words

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Flattens union issues: a step is judged as the kind it looks like (`parallel:` or `action:`). */
function flattenIssues(issues: readonly ZodIssue[], raw: unknown, base: Path = []): ZodIssue[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code !== 'invalid_union') return [{ ...issue, path } as ZodIssue];
    const value = valueAt(raw, path);
    if (!isPlainObject(value)) {
      const shown = typeof value === 'string' ? `the text ${JSON.stringify(value)}` : JSON.stringify(value);
      return [
        {
          code: 'custom',
          path,
          message: `a step must be a mapping with 'action:' (or 'parallel:'), not ${shown}`,
          input: value,
        } as ZodIssue,
      ];
    }
    const branch = 'parallel' in value ? STEP_UNION_BRANCH.parallel : STEP_UNION_BRANCH.action;
    return flattenIssues(issue.errors[branch] ?? [], raw, path);
  });
}

function isStepPath(path: Path): boolean {
  const parent = path[path.length - 2];
  return typeof path[path.length - 1] === 'number' && (parent === 'steps' || parent === 'parallel');
}

/** The keys allowed where an unknown key was found, and how to name that place. */
function allowedKeys(path: Path, raw: unknown): { keys: string[]; place: string } {
  if (path.length === 0) return { keys: objectKeys(playbookFileSchema), place: 'a playbook has' };
  if (path.length === 1 && path[0] === 'match') return { keys: objectKeys(playbookMatchSchema), place: 'match takes' };
  if (path.length === 1 && path[0] === 'approval') return { keys: objectKeys(approvalSchema), place: 'approval takes' };
  if (path.length === 2 && path[0] === 'match' && path[1] === 'severity') {
    return { keys: objectKeys(severityRangeSchema), place: 'severity takes' };
  }
  if (isStepPath(path)) {
    const value = valueAt(raw, path);
    return isPlainObject(value) && 'parallel' in value
      ? { keys: objectKeys(parallelStepSchema), place: 'a parallel step takes' }
      : { keys: objectKeys(actionStepSchema), place: 'a step takes' };
  }
  return { keys: [], place: '' };
}

function issueToErrors(issue: ZodIssue, raw: unknown, file: string, source: SourceMap): PlaybookError[] {
  const at = (path: Path, where: 'value' | 'key', message: string): PlaybookError => ({
    file,
    ...source.locate(path, where),
    message,
  });
  if (issue.code === 'unrecognized_keys') {
    const { keys, place } = allowedKeys(issue.path, raw);
    const value = valueAt(raw, issue.path);
    return issue.keys.map((key) => {
      if (isStepPath(issue.path) && isPlainObject(value) && 'parallel' in value && 'action' in value) {
        return at([...issue.path, key], 'key', "a step has either 'action:' or 'parallel:', not both");
      }
      const list = keys.length > 0 ? `; ${place}: ${keys.join(', ')}` : '';
      return at([...issue.path, key], 'key', `unknown key '${key}'${didYouMean(key, keys)}${list}`);
    });
  }
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    const message =
      raw === null || raw === undefined
        ? 'the file is empty: a playbook needs name, description, priority, mode, match and steps'
        : 'a playbook file must be a mapping with name, description, priority, mode, match and steps';
    return [{ file, line: 1, column: 1, message }];
  }
  const input = valueAt(raw, issue.path);
  const where = issue.code === 'custom' && (issue.params as { at?: string } | undefined)?.at === 'key' ? 'key' : 'value';
  let message = describeZodIssue(issue, input);
  if (input === undefined && issue.path[issue.path.length - 1] === 'action' && isStepPath(issue.path.slice(0, -1))) {
    message = `a step needs 'action:' (or 'parallel:' for a group of steps)`;
  }
  const firstPath = issue.code === 'custom' ? (issue.params as { firstPath?: Path } | undefined)?.firstPath : undefined;
  const firstLine = firstPath === undefined ? undefined : source.locate(firstPath)?.line;
  if (firstLine !== undefined) message += ` (first used on line ${firstLine})`;
  return [at(issue.path, where, message)];
}

// ---------------------------------------------------------------------------------------------
// document → model

function toMatch(match: PlaybookFileDocument['match']): PlaybookMatch {
  return {
    sources: match.sources,
    ...(match.findingTypes && { findingTypes: match.findingTypes }),
    ...(match.severity && { severity: { min: match.severity.min ?? 0, max: match.severity.max ?? 10 } }),
    ...(match.resourceKinds && { resourceKinds: match.resourceKinds }),
    ...(match.resourceRole && { resourceRole: match.resourceRole }),
    ...(match.alarmNames && { alarmNames: match.alarmNames }),
    ...(match.alarmStates && { alarmStates: match.alarmStates }),
  };
}

function explicitIds(steps: readonly StepDocument[]): string[] {
  return steps.flatMap((step) => [
    ...(step.id === undefined ? [] : [step.id]),
    ...('parallel' in step ? explicitIds(step.parallel) : []),
  ]);
}

/** Gives every step its id: explicit, or the action name (`parallel` for groups), then -2, -3… */
function toSteps(steps: readonly StepDocument[], source: SourceMap): Step[] {
  const used = new Set(explicitIds(steps));
  const occurrences = new Map<string, number>();
  const defaultId = (base: string): string => {
    let count = occurrences.get(base) ?? 0;
    let candidate: string;
    do {
      count += 1;
      candidate = count === 1 ? base : `${base}-${count}`;
    } while (used.has(candidate));
    occurrences.set(base, count);
    used.add(candidate);
    return candidate;
  };
  const convert = (step: StepDocument, path: Path): Step => {
    const line = source.locate(path)?.line;
    if ('parallel' in step) {
      const parallel: ParallelStep = {
        kind: 'parallel',
        id: step.id ?? defaultId('parallel'),
        branches: step.parallel.map((branch, index) => convert(branch, [...path, 'parallel', index])),
        ...(line !== undefined && { line }),
      };
      return parallel;
    }
    const action: ActionStep = {
      kind: 'action',
      id: step.id ?? defaultId(step.action),
      action: step.action,
      with: step.with ?? {},
      ...(line !== undefined && { line }),
    };
    return action;
  };
  return steps.map((step, index) => convert(step, ['steps', index]));
}

interface ParsedSource {
  readonly loaded?: LoadedPlaybook;
  readonly errors: PlaybookError[];
}

/** Parses and validates one playbook file's text (no I/O; `file` only names it in errors). */
function parseSource(text: string, file: string): ParsedSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source = new SourceMap(doc, lines);
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return { file, line, column: col, message: `YAML syntax error: ${error.message}` };
      }),
    };
  }
  const value = documentValue(doc, lines, file);
  if ('problem' in value) return { errors: [value.problem] };
  const raw = value.value;
  const result = playbookFileSchema.safeParse(raw);
  if (!result.success) {
    const issues = flattenIssues(result.error.issues, raw);
    return { errors: issues.flatMap((issue) => issueToErrors(issue, raw, file, source)) };
  }
  const document = result.data;
  const playbook: Playbook = {
    name: document.name,
    description: document.description,
    match: toMatch(document.match),
    priority: document.priority,
    mode: document.mode,
    steps: toSteps(document.steps, source),
    file,
    approval: document.approval ?? DEFAULT_APPROVAL,
    trigger: document.trigger ?? 'automatic',
  };
  const namePosition = source.locate(['name']);
  const priorityPosition = source.locate(['priority']);
  const warnings = standardShortfalls(file, text, playbook.description, source.locate(['description']));
  return {
    loaded: { playbook, ...(namePosition && { namePosition }), ...(priorityPosition && { priorityPosition }), warnings },
    errors: [],
  };
}

/** Validates one playbook's YAML text; returns the playbook or every error found. */
export function parsePlaybookSource(text: string, file: string): { playbook?: Playbook; errors: PlaybookError[] } {
  const parsed = parseSource(text, file);
  return parsed.loaded ? { playbook: parsed.loaded.playbook, errors: [] } : { errors: sortPlaybookErrors(parsed.errors) };
}

// ---------------------------------------------------------------------------------------------
// cross-file checks

function formatRange(min: number, max: number): string {
  return `${min.toFixed(1)}–${max.toFixed(1)}`;
}

/**
 * Describes an incident both matches can select (ignoring priority), or undefined when none can.
 * Finding-type globs are compared over the GuardDuty catalogue; alarm-name globs exactly.
 */
export function describeMatchOverlap(a: PlaybookMatch, b: PlaybookMatch): string | undefined {
  const min = Math.max(a.severity?.min ?? 0, b.severity?.min ?? 0);
  const max = Math.min(a.severity?.max ?? 10, b.severity?.max ?? 10);
  if (min > max) return undefined;
  if (a.resourceKinds && b.resourceKinds && !a.resourceKinds.some((kind) => b.resourceKinds?.includes(kind))) {
    return undefined;
  }
  const severity = `severity ${formatRange(min, max)}`;
  const both = (source: 'guardduty' | 'cloudwatch') => a.sources.includes(source) && b.sources.includes(source);
  if (both('guardduty') && !(a.resourceRole && b.resourceRole && a.resourceRole !== b.resourceRole)) {
    const common = KNOWN_FINDING_TYPES.find(
      (type) =>
        (a.findingTypes === undefined || matchesAnyGlob(a.findingTypes, type)) &&
        (b.findingTypes === undefined || matchesAnyGlob(b.findingTypes, type)),
    );
    if (common !== undefined) return `GuardDuty finding ${common} at ${severity}`;
  }
  if (both('cloudwatch')) {
    const namesA = a.alarmNames ?? ['*'];
    const namesB = b.alarmNames ?? ['*'];
    for (const globA of namesA) {
      const globB = namesB.find((candidate) => globsOverlap(globA, candidate));
      if (globB !== undefined) {
        const names = globA === globB ? `'${globA}'` : `both '${globA}' and '${globB}'`;
        return `CloudWatch alarm named like ${names} at ${severity}`;
      }
    }
  }
  return undefined;
}

function crossCheck(loaded: readonly LoadedPlaybook[]): PlaybookError[] {
  const errors: PlaybookError[] = [];
  const byName = new Map<string, LoadedPlaybook>();
  for (const entry of loaded) {
    const first = byName.get(entry.playbook.name);
    if (first === undefined) {
      byName.set(entry.playbook.name, entry);
      continue;
    }
    errors.push({
      file: entry.playbook.file,
      ...entry.namePosition,
      message: `playbook name '${entry.playbook.name}' is already used by ${first.playbook.file}; names must be unique (each names a state machine)`,
    });
  }
  errors.push(...perInstanceReferenceErrors(loaded));
  // Manual playbooks (release) are never routed to, so they cannot compete with anything.
  const routed = loaded.filter((entry) => isAutomatic(entry.playbook));
  routed.forEach((b, index) => {
    for (const a of routed.slice(0, index)) {
      if (a.playbook.priority !== b.playbook.priority || a.playbook.name === b.playbook.name) continue;
      const overlap = describeMatchOverlap(a.playbook.match, b.playbook.match);
      if (overlap === undefined) continue;
      errors.push({
        file: b.playbook.file,
        ...b.priorityPosition,
        message:
          `playbooks '${b.playbook.name}' and '${a.playbook.name}' (${a.playbook.file}) can both match the same incident ` +
          `(e.g. a ${overlap}) at the same priority ${b.playbook.priority}: give one a higher priority or narrow its match`,
      });
    }
  });
  return errors;
}

// ---------------------------------------------------------------------------------------------
// files

function playbookFilesIn(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && PLAYBOOK_EXTENSIONS.has(extname(entry.name).toLowerCase()))
    .map((entry) => join(dir, entry.name))
    .sort();
}

function describeIoError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/** What validating playbook files found: the valid playbooks, every error, and the warnings of the valid ones. */
export interface PlaybookValidation {
  readonly playbooks: Playbook[];
  readonly errors: PlaybookError[];
  /** Where valid playbooks fall short of the shipped playbooks' standard (lib/playbooks/standard.ts); never an error. */
  readonly warnings: PlaybookError[];
}

/**
 * Validates playbook files and directories (each directory: its `*.yaml`/`*.yml`, not its
 * subfolders) together, cross-file checks included. Never throws for a bad playbook. Synchronous,
 * for CDK constructs (a construct cannot wait); a few small files.
 */
export function validatePlaybookPathsSync(paths: readonly string[]): PlaybookValidation {
  const errors: PlaybookError[] = [];
  const files: string[] = [];
  for (const path of paths) {
    try {
      if (statSync(path).isDirectory()) {
        const found = playbookFilesIn(path);
        if (found.length === 0) errors.push({ file: path, message: 'no playbook files (*.yaml, *.yml) in this directory' });
        files.push(...found);
      } else {
        files.push(path);
      }
    } catch (error) {
      errors.push({ file: path, message: describeIoError(error) });
    }
  }
  const loaded: LoadedPlaybook[] = [];
  for (const file of [...new Set(files)]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      errors.push({ file, message: describeIoError(error) });
      continue;
    }
    const parsed = parseSource(text, file);
    errors.push(...parsed.errors);
    if (parsed.loaded) loaded.push(parsed.loaded);
  }
  errors.push(...crossCheck(loaded));
  return {
    playbooks: loaded.map((entry) => entry.playbook),
    errors: sortPlaybookErrors(errors),
    warnings: sortPlaybookErrors(loaded.flatMap((entry) => entry.warnings)),
  };
}

/** `validatePlaybookPathsSync`, for callers that await. */
export async function validatePlaybookPaths(paths: readonly string[]): Promise<PlaybookValidation> {
  return validatePlaybookPathsSync(paths);
}

/** Loads one playbook file; throws `PlaybookValidationError` listing every problem. */
export async function loadPlaybookFile(path: string): Promise<Playbook> {
  const { playbooks, errors } = await validatePlaybookPaths([path]);
  const playbook = playbooks[0];
  if (errors.length > 0 || playbook === undefined) throw new PlaybookValidationError(errors);
  return playbook;
}

/** Loads every playbook of a directory (default `playbooks`), cross-file checks included; throws `PlaybookValidationError`. */
export function loadPlaybookDirectorySync(dir = 'playbooks'): Playbook[] {
  const { playbooks, errors } = validatePlaybookPathsSync([dir]);
  if (errors.length > 0) throw new PlaybookValidationError(errors);
  return playbooks;
}

/** `loadPlaybookDirectorySync`, for callers that await. */
export async function loadPlaybookDirectory(dir = 'playbooks'): Promise<Playbook[]> {
  return loadPlaybookDirectorySync(dir);
}

/**
 * Every `contain-each-instance` step names a `trigger: per-instance` playbook loaded alongside it,
 * every `contain-each-credential` step a `trigger: per-credential` one; neither kind starts another
 * (one level: the Map's executions wait for theirs).
 */
function perInstanceReferenceErrors(loaded: readonly LoadedPlaybook[]): PlaybookError[] {
  const byName = new Map(loaded.map((entry) => [entry.playbook.name, entry.playbook]));
  const errors: PlaybookError[] = [];
  for (const { playbook } of loaded) {
    for (const step of flattenSteps(playbook.steps)) {
      if (step.action !== PER_INSTANCE_ACTION && step.action !== PER_CREDENTIAL_ACTION) continue;
      const expected = step.action === PER_INSTANCE_ACTION ? 'per-instance' : 'per-credential';
      const named = String(step.with.playbook);
      const target = byName.get(named);
      const problem =
        target === undefined
          ? `names playbook '${named}', which is not loaded with it`
          : target.trigger !== expected
            ? `names playbook '${named}', whose trigger is ${target.trigger ?? 'automatic'}, not ${expected}`
            : !flattenSteps(target.steps).some((own) => ACTIONS[own.action].mutates)
              ? `names playbook '${named}', which changes no resource: a ${expected} playbook starts with the containment guard, whose answer the alert reports`
            : isStartedByParent(playbook)
              ? `is in a ${playbook.trigger ?? 'automatic'} playbook: those executions start no further ones`
              : undefined;
      if (problem !== undefined) {
        errors.push({ file: playbook.file, ...(step.line !== undefined ? { line: step.line } : {}), message: `step ${step.id} (${step.action}) ${problem}` });
      }
    }
  }
  return errors;
}
