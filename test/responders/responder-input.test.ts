import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ResponderInputError } from '../../lib/contracts/responder-errors';
import { parseResponderInput } from '../../lib/responders/responder-input';
import { ec2Incident } from '../support/incidents';

const options = z.object({ detach: z.boolean().default(true) }).strict();

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('parseResponderInput', () => {
  it('accepts what a state machine sends and applies the option defaults', () => {
    const input = parseResponderInput(
      { incident: ec2Incident(), mode: 'dry-run', options: {}, execution: { playbook: 'contain' } },
      options,
    );
    expect(input).toEqual({
      incident: ec2Incident(),
      mode: 'dry-run',
      options: { detach: true },
      execution: { playbook: 'contain' },
    });
  });

  it('passes on who started a manual playbook and why (request), the reason null when none was given', () => {
    const requestedBy = 'arn:aws:sts::111122223333:assumed-role/incident-responder/alice';
    const base = { incident: ec2Incident(), mode: 'enforce', options: {} };
    expect(parseResponderInput({ ...base, request: { requestedBy, reason: 'false positive' } }, options).request).toEqual({
      requestedBy,
      reason: 'false positive',
    });
    expect(parseResponderInput({ ...base, request: { requestedBy, reason: null } }, options).request).toEqual({ requestedBy, reason: null });
    expect(parseResponderInput(base, options)).not.toHaveProperty('request');
    expect(errorOf(() => parseResponderInput({ ...base, request: { requestedBy: '' } }, options)).message).toContain('input.request.requestedBy');
    expect(errorOf(() => parseResponderInput({ ...base, request: { requestedBy, by: 'x' } }, options))).toBeInstanceOf(ResponderInputError);
  });

  it('treats missing options as empty, so the responder defaults apply', () => {
    expect(parseResponderInput({ incident: ec2Incident(), mode: 'enforce' }, options).options).toEqual({ detach: true });
  });

  it('passes unknown incident keys through for forward compatibility', () => {
    const input = parseResponderInput({ incident: { ...ec2Incident(), addedLater: 'x' }, mode: 'enforce' }, options);
    expect((input.incident as unknown as Record<string, unknown>).addedLater).toBe('x');
  });

  it('names the path of every bad incident field', () => {
    const error = errorOf(() =>
      parseResponderInput({ incident: { ...ec2Incident(), account: '1234' }, mode: 'enforce' }, options),
    );
    expect(error).toBeInstanceOf(ResponderInputError);
    expect(error.message).toContain('input.incident.account');
  });

  it('refuses an unknown resource kind, naming the discriminator', () => {
    const error = errorOf(() =>
      parseResponderInput({ incident: { ...ec2Incident(), resource: { kind: 'bucket' } }, mode: 'enforce' }, options),
    );
    expect(error.message).toContain('input.incident.resource.kind');
  });

  it('refuses an unknown mode and a misspelt option', () => {
    expect(errorOf(() => parseResponderInput({ incident: ec2Incident(), mode: 'yolo' }, options)).message).toContain(
      'input.mode',
    );
    const error = errorOf(() =>
      parseResponderInput({ incident: ec2Incident(), mode: 'enforce', options: { detatch: false } }, options),
    );
    expect(error).toBeInstanceOf(ResponderInputError);
    expect(error.message).toContain('input.options');
  });

  it('refuses non-object payloads with a ResponderInputError, never a TypeError', () => {
    for (const raw of [null, undefined, 42, 'x', [], { incident: null }]) {
      expect(errorOf(() => parseResponderInput(raw, options))).toBeInstanceOf(ResponderInputError);
    }
  });
});
