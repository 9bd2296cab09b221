/**
 * publish-alert's input is a claim (issue 10, a gap s3-12 found): the incident's story fields
 * (`sequence`, `signals`, `malwareScan`, `runtime`) pass `incidentSchema` unchecked, so they are
 * checked before the alert's sections read them. Attacks: wrong types that would fail the alert,
 * and a newline in a field printed as checked that would forge a line of Firebreak's own.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEvent } from '../../lib/incident/parse';
import type { Incident } from '../../lib/incident/model';
import { checkIncidentDetails, sectionUnreadableDetails } from '../../lib/responders/alert-details';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { alertInputSchema } from '../../lib/responders/alert-model';
import { createPublishAlertHandler } from '../../lib/responders/alert';
import { silentLogger } from '../../lib/responders/logging';
import { ORIGIN_ENVIRONMENT, confirmingOrigins } from '../support/alert-origins';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const event = (name: string): Json => JSON.parse(readFileSync(`playbooks/events/${name}.json`, 'utf8')) as Json;
const RECEIVED = { receivedAt: new Date('2026-03-25T09:15:00Z') };
const NOW = new Date('2026-03-25T09:16:00Z');
const sequenceIncident = parseEvent(event('guardduty-attack-sequence-ec2-compromised-instance-group'), RECEIVED);
const ebsIncident = parseEvent(event('guardduty-ec2-malware-ebs-scan-malicious-file'), RECEIVED);
const runtimeIncident = parseEvent(event('guardduty-runtime-ec2-reverse-shell'), RECEIVED);

const forged = (incident: Incident, fields: Json): Json => ({ ...structuredClone(incident), ...fields });
const report = (incident: Json) => ({ kind: 'report', incident, mode: 'enforce', playbook: 'test', results: {} });
const alertOf = (incident: Json) => buildAlertMessage(alertInputSchema.parse(report(incident)), { now: NOW });

describe('checkIncidentDetails', () => {
  it('keeps every detail field of the parser as it is (the shipped events read whole)', () => {
    for (const incident of [sequenceIncident, ebsIncident, runtimeIncident]) {
      const checked = checkIncidentDetails(incident);
      expect(checked.unreadable).toEqual([]);
      expect(checked.incident).toEqual(incident);
    }
    expect(sequenceIncident.sequence).toBeDefined();
    expect(ebsIncident.malwareScan).toBeDefined();
    expect(runtimeIncident.runtime).toBeDefined();
  });

  it('reads the detail fields of every shipped event the parser accepts', () => {
    let withDetails = 0;
    for (const file of readdirSync('playbooks/events').filter((name) => name.endsWith('.json'))) {
      let incident: Incident;
      try {
        incident = parseEvent(JSON.parse(readFileSync(`playbooks/events/${file}`, 'utf8')), RECEIVED);
      } catch {
        continue; // an event the parser refuses never reaches an alert as an incident
      }
      if (incident.sequence || incident.signals || incident.malwareScan || incident.runtime) withDetails += 1;
      expect(checkIncidentDetails(incident).unreadable, file).toEqual([]);
    }
    expect(withDetails).toBeGreaterThan(5);
  });

  it('leaves out and names each field that does not read as its shape, keeping the others', () => {
    const incident = forged(sequenceIncident, { sequence: { actors: 'everyone', endpoints: 5 }, runtime: { process: 7 } }) as unknown as Incident;
    const checked = checkIncidentDetails(incident);
    expect(checked.unreadable).toEqual(['sequence', 'runtime']);
    expect(checked.incident.sequence).toBeUndefined();
    expect(checked.incident.runtime).toBeUndefined();
    expect(checked.incident.signals).toEqual(sequenceIncident.signals);
    expect(checked.incident.key).toBe(sequenceIncident.key);
  });

  it('says nothing when everything could be read', () => {
    expect(sectionUnreadableDetails([])).toEqual([]);
  });
});

describe('the alert of a forged incident', () => {
  it('a forged sequence with wrong types still gives an alert that says what could not be read', () => {
    const alert = alertOf(forged(sequenceIncident, { sequence: { uid: 42, actors: [{ id: null }], endpoints: 'x', indicators: {}, omitted: [] } }));
    expect(alert.message).not.toMatch(/^ATTACK SEQUENCE/m);
    expect(alert.message).toMatch(/^DETAILS NOT SHOWN\n {2}Firebreak could not read the attack sequence \(actors, endpoints, indicators\) \(incident\.sequence\)/m);
    // The rest of the incident is told as usual.
    expect(alert.message).toMatch(/^WHAT WAS FOUND/m);
    expect(alert.subject.length).toBeGreaterThan(0);
  });

  it('the control: the same alert without the forgery tells the sequence and has no such section', () => {
    const alert = alertOf(structuredClone(sequenceIncident) as Json);
    expect(alert.message).toMatch(/^ATTACK SEQUENCE/m);
    expect(alert.message).not.toMatch(/DETAILS NOT SHOWN/);
  });

  it('wrong types in the malware scan, the runtime details and the signals leave those out, never fail the alert', () => {
    const alert = alertOf(
      forged(ebsIncident, {
        malwareScan: { kind: 'ebs-volumes', threats: [{ name: 'x', files: 'all' }] },
        runtime: { context: { commandLineExample: 12 } },
        signals: [{ type: 'FINDING', name: null }],
      }),
    );
    expect(alert.message).not.toMatch(/^MALWARE SCAN/m);
    expect(alert.message).not.toMatch(/^RUNTIME ACTIVITY/m);
    for (const field of ['malwareScan', 'runtime', 'signals']) expect(alert.message).toContain(`(incident.${field})`);
  });

  it("cannot forge a line through a field printed as checked (a file's hash, a scan time)", () => {
    const scan = structuredClone(ebsIncident.malwareScan) as Json;
    scan.threats[0].files[0].hash = 'e3b0c44298fc1c149afbf4c8996fb924\n\nCONTAINED: nothing to do, all clear';
    const alert = alertOf(forged(ebsIncident, { malwareScan: scan }));
    expect(alert.message).not.toMatch(/^CONTAINED: nothing to do/m);
    expect(alert.message).toContain('(incident.malwareScan)');

    const timed = structuredClone(ebsIncident.malwareScan) as Json;
    timed.startedAt = '2026-03-25T09:00:00Z\nNEXT STEPS';
    expect(alertOf(forged(ebsIncident, { malwareScan: timed })).message).toContain('(incident.malwareScan)');
  });
});

describe('publish-alert handler with a forged incident', () => {
  const snsMock = mockClient(SNSClient);
  beforeEach(() => snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' }));
  afterEach(() => snsMock.reset());

  it('publishes the alert, saying what it could not read, instead of failing', async () => {
    const sns = new SNSClient({ region: 'eu-west-1' });
    const handler = createPublishAlertHandler({
      clients: { sns: () => sns },
      logger: silentLogger,
      topicArn: 'arn:aws:sns:eu-west-1:111122223333:alerts',
      origins: confirmingOrigins,
      environment: ORIGIN_ENVIRONMENT,
      now: () => NOW,
    });
    await handler(report(forged(runtimeIncident, { runtime: { process: { name: { untrusted: 5 }, lineage: 'none' }, context: [] } })));
    const sent = snsMock.commandCalls(PublishCommand);
    expect(sent).toHaveLength(1);
    const message = JSON.parse(sent[0]!.args[0].input.Message!) as { default: string };
    expect(message.default).toContain('Firebreak could not read the runtime activity (process, lineage, container) (incident.runtime)');
  });
});
