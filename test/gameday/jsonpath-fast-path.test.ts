/**
 * The patched interpreter (patches/aws-local-stepfunctions+3.0.0.patch, applied by `npm ci` through
 * patch-package) evaluates plain JSONPaths (`$`, `$.a.b`, `$.a[0]`, `$$.Execution.Id`) itself instead
 * of through jsonpath-plus, returns literal Parameters subtrees as they are, and no longer deep-copies
 * every state's input. Differential test: every path the compiled definitions use (every shipped
 * playbook and the dispatcher), and edge paths, give through the interpreter exactly what
 * jsonpath-plus gives, on inputs where the path leads to every kind of value, to nothing, or through
 * a falsy or primitive value. The game day (`npm run gameday`) runs every shipped scenario through
 * the patched interpreter too.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { JSONPath } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../lib/playbooks/compile';
import { compilePlaybook } from '../../lib/playbooks/compile';
import { compileDispatcher } from '../../lib/playbooks/dispatcher';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import { isAutomatic } from '../../lib/playbooks/model';
import { PROJECT_ROOT } from '../../lib/stack/responder-function';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const shipped = await loadPlaybookDirectory(`${PROJECT_ROOT}playbooks`);
const dispatcher = compileDispatcher({ routedPlaybooks: shipped.filter(isAutomatic).map((playbook) => playbook.name), alertMode: 'dry-run' });
const definitions: AslDefinition[] = [dispatcher.definition, ...shipped.map((playbook) => compilePlaybook(playbook).definition)];

/** Every JSONPath a definition asks the interpreter to evaluate (Parameters/ResultSelector `.$` fields, Choice variables, *Path fields, intrinsic arguments). */
function pathsOf(value: unknown, key = '', into = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    if (key.endsWith('.$') && value.startsWith('$')) into.add(value);
    else if (key.endsWith('.$')) for (const match of value.matchAll(/\$\$?(?:\.[A-Za-z_][\w-]*|\[[^\]]*\])*/g)) into.add(match[0]);
    else if ((key === 'Variable' || (key.endsWith('Path') && key !== 'ResultPath')) && value.startsWith('$')) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) pathsOf(item, key, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) pathsOf(item, name, into);
  }
  return into;
}

const compiledPaths = [...new Set(definitions.flatMap((definition) => [...pathsOf(definition)]))].sort();
const edgePaths = ['$', '$.a', '$.a.b', '$.a[0]', '$.a[1].b', '$.s.length', '$.list.length', '$.a[*]', "$['a']", '$..b', '$$.Execution.Id', '$$.Execution.Input.a', '$$.Task.Token'];

/** Values a path can lead to, and ways it can lead nowhere. */
const LEAVES: readonly Json[] = ['text', '', 0, 7, false, true, null, [], ['x', { b: 1 }], {}, { b: 'deep' }];

function build(segments: readonly string[], leaf: Json): Json {
  if (segments.length === 0) return leaf;
  const [head, ...rest] = segments as [string, ...string[]];
  if (/^\d+$/.test(head)) {
    const array: Json[] = Array.from({ length: Number(head) + 1 }, () => 'other');
    array[Number(head)] = build(rest, leaf);
    return array;
  }
  return { [head]: build(rest, leaf), other: 'other' };
}

function inputsFor(path: string): Json[] {
  const segments = path.replace(/^\$\$?/, '').split(/[.[\]]/).filter((segment) => segment !== '');
  const inputs: Json[] = LEAVES.map((leaf) => build(segments, leaf));
  // The path stops short: a missing name, a falsy or primitive value on the way, a falsy root.
  for (let cut = 0; cut < segments.length; cut += 1) {
    for (const blocker of [null, 0, '', false, 'abc', 5, []] as Json[]) inputs.push(build(segments.slice(0, cut), blocker));
    inputs.push(build([...segments.slice(0, cut), 'elsewhere'], 'x'));
  }
  inputs.push({ a: [{ b: 1 }, { b: 2 }], s: 'four', list: [1, 2, 3] });
  return inputs;
}

const machines = new Map<string, StateMachine>();
async function throughInterpreter(path: string, input: Json, context: Record<string, Json>): Promise<{ value?: unknown; error?: string }> {
  let machine = machines.get(path);
  if (!machine) {
    machine = new StateMachine({ StartAt: 'Read', States: { Read: { Type: 'Pass', Parameters: { 'value.$': path }, End: true } } } as never, { validationOptions: { noValidate: true } });
    machines.set(path, machine);
  }
  try {
    const output = (await machine.run(input, { context }).result) as { value?: unknown };
    return { value: output.value };
  } catch (error) {
    if (!(error instanceof ExecutionError)) throw error;
    return { error: (error.cause as Error).name };
  }
}

function isObject(value: unknown): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function throughJsonPathPlus(path: string, input: Json, context: Record<string, Json>): unknown {
  return path.startsWith('$$') ? JSONPath({ path: path.slice(1), json: context, wrap: false }) : JSONPath({ path, json: input, wrap: false });
}

describe('the patched interpreter evaluates JSONPaths exactly as jsonpath-plus does', () => {
  it('is the patched interpreter (npm ci applies patches/ through patch-package)', () => {
    const entry = createRequire(import.meta.url).resolve('aws-local-stepfunctions').replace(/main\.node\.cjs$/, 'main.node.esm.js');
    expect(readFileSync(entry, 'utf8')).toContain('firebreak patch: a path made only of plain names');
  });

  it('collects the paths of the compiled definitions', () => {
    expect(compiledPaths.length).toBeGreaterThan(40);
    expect(compiledPaths).toContain('$.triage.decision.playbookIndex');
    expect(compiledPaths).toContain("$$.Execution.Input['detail-type']");
  });

  it.each([...compiledPaths, ...edgePaths])('%s', async (path) => {
    let compared = 0;
    for (const built of inputsFor(path)) {
      // A context path reads the context object the interpreter builds: what it is given, with the
      // execution's input and start time set in `Execution`.
      const onContext = path.startsWith('$$');
      const given: Json = onContext ? built : { Execution: { Id: 'arn:execution' } };
      const givenExecution = isObject(given) ? given.Execution : undefined;
      const input: Json = onContext ? (isObject(givenExecution) && givenExecution.Input !== undefined ? givenExecution.Input : {}) : built;
      if (path.startsWith('$$.Execution.StartTime')) {
        expect(await throughInterpreter(path, input, given as Record<string, Json>)).toEqual({ value: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
        compared += LEAVES.length;
        break;
      }
      const context = { ...(given as Record<string, Json>), Execution: { ...(givenExecution as Record<string, Json>), Input: input } };
      const expected = throughJsonPathPlus(path, input, context);
      const actual = await throughInterpreter(path, input, given as Record<string, Json>);
      // The interpreter refuses a path that points to no value (States.Runtime), as Step Functions does.
      if (expected === undefined) expect(actual, `${path} on ${JSON.stringify(input)}`).toEqual({ error: 'States.Runtime' });
      else expect(actual, `${path} on ${JSON.stringify(input)}`).toEqual({ value: expected });
      compared += 1;
    }
    expect(compared).toBeGreaterThan(LEAVES.length - 1);
  });
});

describe('literal Parameters and shared state data', () => {
  it('returns a literal subtree unchanged, resolves the paths beside it, and leaves the execution input as it was', async () => {
    const routing = { playbooks: [{ name: 'p', match: ['x'] }], limits: { max: 5 } };
    const definition = {
      StartAt: 'Copy',
      States: {
        Copy: { Type: 'Pass', Parameters: { routing, 'event.$': '$', nested: { 'id.$': '$.detail.id', fixed: [1, { two: 2 }] } }, ResultPath: '$.copied', Next: 'Again' },
        Again: { Type: 'Pass', Parameters: { 'first.$': '$.copied', routing }, End: true },
      },
    };
    const input = { detail: { id: 'f-1' } };
    const output = (await new StateMachine(definition as never, { validationOptions: { noValidate: true } }).run(input).result) as Record<string, Record<string, unknown>>;
    expect(output.first).toEqual({ routing, event: { detail: { id: 'f-1' } }, nested: { id: 'f-1', fixed: [1, { two: 2 }] } });
    expect(output.routing).toEqual({ playbooks: [{ name: 'p', match: ['x'] }], limits: { max: 5 } });
    expect(input).toEqual({ detail: { id: 'f-1' } });
  });

  it('copies the execution input once, keys in order, a "__proto__" key kept as data (an event is attacker-written)', async () => {
    const input = JSON.parse('{"a":1,"__proto__":{"polluted":true},"b":[1,{"c":2}]}') as Record<string, unknown>;
    const machine = new StateMachine({ StartAt: 'Same', States: { Same: { Type: 'Pass', End: true } } } as never, { validationOptions: { noValidate: true } });
    const output = (await machine.run(input as never).result) as Record<string, unknown>;
    expect(output).not.toBe(input);
    expect(Object.keys(output)).toEqual(['a', '__proto__', 'b']);
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(output.polluted).toBeUndefined();
    expect(JSON.stringify(output)).toBe('{"a":1,"__proto__":{"polluted":true},"b":[1,{"c":2}]}');
  });
});
