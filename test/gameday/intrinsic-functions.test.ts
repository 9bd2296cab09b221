/**
 * The patched interpreter (patches/aws-local-stepfunctions+3.0.0.patch) splits an intrinsic
 * function's text into its name and arguments once and keeps the split: the arguments themselves
 * (paths, nested functions) are still evaluated on every call. Every intrinsic function the compiled
 * definitions use, and edge texts (quoted commas and parentheses, an escaped quote, nesting), give
 * the value AWS documents, again and again on different inputs through the same definition.
 */
import { StateMachine } from 'aws-local-stepfunctions';

type JSONValue = Parameters<StateMachine['run']>[0];
import { describe, expect, it } from 'vitest';

/** Runs one Pass state whose Parameters are `parameters` on `input`. */
async function pass(parameters: Record<string, string>, input: JSONValue): Promise<unknown> {
  const machine = new StateMachine({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: parameters, End: true } } });
  return machine.run(input).result;
}

describe('intrinsic functions through the patched interpreter', () => {
  it("evaluates the dispatcher's nested States.ArrayGetItem(States.Array(...)) on each input", async () => {
    // Two machines built from the same text share the kept split; each run reads its own index.
    const parameters = { 'arn.$': "States.ArrayGetItem(States.Array('arn:a', 'arn:b', 'arn:c'), $.index)" };
    expect(await pass(parameters, { index: 2 })).toEqual({ arn: 'arn:c' });
    expect(await pass(parameters, { index: 0 })).toEqual({ arn: 'arn:a' });
    expect(await pass(parameters, { index: 1 })).toEqual({ arn: 'arn:b' });
  });

  it('evaluates a nested function whose arguments are paths again on every input', async () => {
    const parameters = { 'items.$': 'States.Array($.first, States.Format($.template, $.second))' };
    expect(await pass(parameters, { first: 1, template: 'x-{}', second: 'y' })).toEqual({ items: [1, 'x-y'] });
    expect(await pass(parameters, { first: 'one', template: '{}!', second: 7 })).toEqual({ items: ['one', '7!'] });
  });

  it('keeps commas and parentheses inside quotes, and an escaped quote, in one argument', async () => {
    const parameters = { 'text.$': "States.Format('a, (b) {} \\'c\\', d', $.value)" };
    expect(await pass(parameters, { value: 'v' })).toEqual({ text: "a, (b) v 'c', d" });
    expect(await pass(parameters, { value: 'w' })).toEqual({ text: "a, (b) w 'c', d" });
  });

  it("evaluates the per-instance playbooks' JsonMerge, Format and StringToJson on each input", async () => {
    const parameters = {
      'incident.$': 'States.JsonMerge($.incident, $.target.incident, false)',
      'arn.$': "States.Format('arn:aws:states:eu-west-1:111122223333:execution:m:{}', $.name)",
      'output.$': 'States.StringToJson($.text)',
    };
    expect(await pass(parameters, { incident: { a: 1, b: 1 }, target: { incident: { b: 2 } }, name: 'n1', text: '{"x":1}' })).toEqual({
      incident: { a: 1, b: 2 },
      arn: 'arn:aws:states:eu-west-1:111122223333:execution:m:n1',
      output: { x: 1 },
    });
    expect(await pass(parameters, { incident: { c: 3 }, target: { incident: {} }, name: 'n2', text: '[1]' })).toEqual({
      incident: { c: 3 },
      arn: 'arn:aws:states:eu-west-1:111122223333:execution:m:n2',
      output: [1],
    });
  });

  it('still fails a run whose path an argument names is missing, on every call', async () => {
    const parameters = { 'arn.$': "States.ArrayGetItem(States.Array('arn:a'), $.index)" };
    await expect(pass(parameters, {})).rejects.toThrow();
    await expect(pass(parameters, {})).rejects.toThrow();
    expect(await pass(parameters, { index: 0 })).toEqual({ arn: 'arn:a' });
  });
});
