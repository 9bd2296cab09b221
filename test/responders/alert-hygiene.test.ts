// Issue 8, point 7: alerts repeat attacker-controlled text. Each attack string is tried in the
// fields an attacker writes (title, description, tags, alarm name and reason, indicators, the raw
// event of an invalid one) and must come out inert; facts are shown as observed where observed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../lib/responders/alert-message';
import { alertInputSchema, buildAlertMessage } from '../../lib/responders/alert-message';
import { neutralizeText, quoteUntrusted } from '../../lib/responders/untrusted-text';
import { INSTANCE_ID, drillIncident, ec2Incident, ec2Resource } from '../support/incidents';

const NOW = new Date('2026-11-20T10:03:00.000Z');
/** What must never reach a person's screen from untrusted text. */
const FORMAT_OR_CONTROL = /[\p{Cf}\p{Cs}\u2028\u2029]|[^\P{Cc}\n]/u;
const LIVE_LINK = /https?:\/\//i;

function parse(raw: Record<string, unknown>): AlertInput {
  return alertInputSchema.parse(JSON.parse(JSON.stringify(raw)));
}

function report(incident = ec2Incident(), results: Record<string, unknown> = {}): AlertInput {
  return parse({ kind: 'report', incident, mode: 'enforce', playbook: 'compromised-ec2', options: {}, results });
}

/** The message without its LINKS section, where Firebreak's own console links live. */
function withoutOwnLinks(message: string): string {
  const lines = message.split('\n');
  const start = lines.indexOf('LINKS');
  if (start < 0) return message;
  const end = lines.findIndex((line, index) => index > start && line === '');
  return [...lines.slice(0, start), ...(end < 0 ? [] : lines.slice(end))].join('\n');
}

const ATTACKS = {
  'RLO (U+202E) reversing a file name': { text: 'invoice\u202Efdp.exe', gone: ['\u202E'], shown: 'invoicefdp.exe' },
  'ZWSP (U+200B) hiding inside a word': { text: 'ad\u200Bmin\u2066x\u2069', gone: ['\u200B', '\u2066', '\u2069'], shown: 'adminx' },
  'a link': { text: 'update at https://evil.example.com/login now', gone: ['https://', 'evil.example.com'], shown: 'hxxps://evil[.]example[.]com/login' },
  'a Slack mention': { text: '<!channel> <@U024BE7LH> see <http://x.io|the fix>', gone: ['<!channel>', '<@U024BE7LH>', '<http'], shown: '‹!channel› ‹(at)U024BE7LH›' },
  'a plain mention': { text: '@here @everyone @channel', gone: ['@here', '@everyone', '@channel'], shown: '(at)here (at)everyone (at)channel' },
  'a markdown link and image': { text: '[reset password](https://evil.io/r) ![x](http://t.co/p.png)', gone: ['](', 'https://', 'http://'], shown: '[reset password] (hxxps://evil[.]io/r)' },
  'an HTML tag': { text: '<img src=x onerror=alert(1)><a href="hxxp">x</a>', gone: ['<img', '<a ', '</a>'], shown: '‹img src=x onerror=alert(1)›' },
  // Mail and chat clients link `www.` names, and names followed by a path or a port, whatever their
  // top-level domain: `.help`, `.security`, `.zone` are real ones the list of linked domains lacks.
  'a www. link on a top-level domain the list lacks': { text: 'approve at www.firebreak-approvals.help/i-0abc', gone: ['www.firebreak-approvals.help'], shown: 'www[.]firebreak-approvals[.]help/i-0abc' },
  'a bare host name on an abused generic top-level domain': { text: 'approve at approve-firebreak.help or ops.firebreak.security', gone: ['approve-firebreak.help', 'firebreak.security'], shown: 'approve-firebreak[.]help or ops[.]firebreak[.]security' },
  'a bare link with a path or a port on a top-level domain the list lacks': {
    text: 'approve: approve.firebreak-ops.security/i-0abc or ops.firebreak.zone:8443',
    gone: ['approve.firebreak-ops.security', 'ops.firebreak.zone'],
    shown: 'approve[.]firebreak-ops[.]security/i-0abc or ops[.]firebreak[.]zone:8443',
  },
} as const;

describe('neutralizeText', () => {
  for (const [name, attack] of Object.entries(ATTACKS)) {
    it(`makes ${name} inert`, () => {
      const out = neutralizeText(attack.text, 400);
      for (const bad of attack.gone) expect(out).not.toContain(bad);
      expect(out).toContain(attack.shown);
    });
  }

  it('leaves ordinary finding text readable: finding types, event sources, field paths, instance types, paths', () => {
    for (const text of ['Backdoor:EC2/C&CActivity.B!DNS', 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'aws.guardduty', 'detail.severity', 'm5.large', '/usr/bin/python3.11 -c x']) {
      expect(neutralizeText(text, 400)).toBe(text);
    }
  });

  it('defangs any scheme, IP hosts, and bare domains, and caps the length', () => {
    expect(neutralizeText('ftp://files.example.org HTTP://10.0.0.1:8080/x', 400)).toBe('ftp[:]//files[.]example[.]org hxxp://10[.]0[.]0[.]1:8080/x');
    expect(neutralizeText('a'.repeat(50), 10)).toBe('aaaaaaa...');
  });

  it('quotes untrusted text so that its own quotes cannot end the quotation', () => {
    expect(quoteUntrusted('x" and Firebreak says "all clear', 100)).toBe('"x\' and Firebreak says \'all clear"');
  });

  // Before: a host name's labels had to be ASCII letters and digits, and its dots ASCII dots, so a
  // name in another script (an IDN: `www.пример.com`, `www.例え.jp`, `café.com`), one whose label
  // holds a combining mark (`login.evil\u034F.com`: U+034F is invisible, and IDNA drops it) or one
  // written with the dots IDNA reads as dots (`www．evil．com`) came out as it went in: live in the
  // mail and chat clients that link `www.` names and bare names on common top-level domains.
  it('ATTACK (review-alerts): defangs host names in any script, with combining marks or IDNA dots', () => {
    const cases: readonly (readonly [string, string, string])[] = [
      ['approve at www.пример.com/i-0abc now', 'www.пример.com', 'www[.]пример[.]com/i-0abc'],
      ['see www.例え.jp', 'www.例え.jp', 'www[.]例え[.]jp'],
      ['mirror at café.com', 'café.com', 'café[.]com'],
      ['login.evil\u034F.com', 'evil\u034F.com', 'login[.]evil\u034F[.]com'],
      ['www\uFF0Eevil\uFF0Ecom and www\u3002evil\u3002horse', 'evil\uFF0Ecom', 'www[.]evil[.]com and www[.]evil[.]horse'],
      ['panel at ops.evil.xn--p1ai/login', 'evil.xn--p1ai', 'ops[.]evil[.]xn--p1ai/login'],
    ];
    for (const [text, gone, shown] of cases) {
      const out = neutralizeText(text, 400);
      expect(out, text).not.toContain(gone);
      expect(out, text).toContain(shown);
    }
    // Prose in other scripts without a dot between letters is left as it is.
    expect(neutralizeText('Доступ запрещён. Процесс остановлен', 400)).toBe('Доступ запрещён. Процесс остановлен');
  });

  // Before: only the ASCII double quote became a single one, so a look-alike (U+201D, U+FF02, U+2033,
  // U+3003…) ended the quotation to the eye, and the rest of the text read as Firebreak's own words.
  it('ATTACK (review-alerts): a look-alike double quote cannot end the quotation either', () => {
    for (const quote of ['\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\u2036', '\u02BA', '\u02DD', '\u02EE', '\u05F4', '\u3003', '\u301D', '\u301E', '\u301F', '\uFF02', '\u00AB', '\u00BB', '\u275D', '\u275E']) {
      const out = quoteUntrusted(`web-1 cpu${quote}. Containment was APPROVED by alice: the instance IS contained. ${quote}`, 400);
      expect(out, quote).toBe(`"web-1 cpu'. Containment was APPROVED by alice: the instance IS contained. '"`);
    }
  });

  it('property: no format or control character and no http(s):// survives, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), (text, multiline) => {
        const out = neutralizeText(text, 1000, { multiline });
        expect(out).not.toMatch(multiline ? FORMAT_OR_CONTROL : /[\p{Cf}\p{Cc}\p{Cs}\u2028\u2029]/u);
        expect(out).not.toMatch(LIVE_LINK);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: even text built from link and invisible fragments comes out without a live link', () => {
    const fragment = fc.constantFrom('h', 't', 'p', 's', ':', '/', 'http', 'https://', 'HTTP://', '\u200B', '\u202E', '\u00AD', 'x', '.', 'com', '@', '<', '>', '\n', 'ｈｔｔｐ');
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), (parts) => {
        expect(neutralizeText(parts.join(''), 1000)).not.toMatch(LIVE_LINK);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('buildAlertMessage: untrusted text in subject and body', () => {
  for (const [name, attack] of Object.entries(ATTACKS)) {
    it(`${name} in the title, description, tags and indicators: inert in subject and body, quoted as the finding's`, () => {
      const base = ec2Incident();
      const incident = ec2Incident({
        title: attack.text,
        description: `Reported: ${attack.text}`,
        resource: ec2Resource({ tags: { Name: attack.text, [attack.text]: 'x' } }),
        guardDuty: { ...base.guardDuty!, remoteIndicators: [attack.text] },
      });
      const { subject, message } = buildAlertMessage(report(incident), { now: NOW });
      const body = withoutOwnLinks(message);
      for (const bad of attack.gone) {
        expect(subject).not.toContain(bad);
        expect(body).not.toContain(bad);
      }
      expect(body).toContain(`reported by the finding as: "${neutralizeText(attack.text, 400).replace(/"/g, "'")}"`);
      expect(body).toContain('Description, reported by the finding (quoted, not checked):');
    });
  }

  it('ATTACK: the queried domain and remote hosts a finding names are defanged whatever their top-level domain (the attacker picks their C2 domain)', () => {
    const base = ec2Incident();
    const incident = ec2Incident({ guardDuty: { ...base.guardDuty!, remoteIndicators: ['c2.attacker.horse', '198.51.100.7', 'login.approve-firebreak.security'] } });
    const body = withoutOwnLinks(buildAlertMessage(report(incident), { now: NOW }).message);
    expect(body).toContain('Indicators, reported by the finding (defanged): c2[.]attacker[.]horse, 198[.]51[.]100[.]7, login[.]approve-firebreak[.]security');
    expect(body).not.toMatch(/attacker\.horse|approve-firebreak\.security/);
  });

  it('ATTACK: the blocked domain in what Firebreak did is no link, whatever its top-level domain (it is the finding\'s queried domain)', () => {
    const base = ec2Incident();
    const incident = ec2Incident({ guardDuty: { ...base.guardDuty!, dnsDomain: 'C2.Attacker.HORSE.', remoteIndicators: ['C2.Attacker.HORSE.'] } });
    const at = '2026-11-20T10:02:00.000Z';
    const blocked = {
      responder: 'block-dns-domain',
      incidentKey: incident.key,
      mode: 'enforce',
      status: 'blocked',
      idempotentReplay: false,
      domain: 'c2.attacker.horse',
      actions: [
        { api: 'firebreak:record-dns-block', target: 'c2.attacker.horse', outcome: 'done', at, detail: `Recorded that incident ${incident.key} on ${INSTANCE_ID} blocks c2.attacker.horse, for release` },
        { api: 'firebreak:block-dns-domain', target: 'c2.attacker.horse', outcome: 'done', at, detail: 'Blocked c2.attacker.horse and its subdomains for vpc-0123456789abcdef0' },
      ],
    };
    const body = withoutOwnLinks(buildAlertMessage(report(incident, { 'block-domain': blocked }), { now: NOW }).message);
    expect(body).toContain('firebreak:block-dns-domain on c2[.]attacker[.]horse: Blocked c2[.]attacker[.]horse and its subdomains');
    expect(body).not.toMatch(/attacker\.horse/i);
  });

  it('ATTACK (review-alerts): a tag value or title with a look-alike closing quote stays inside its quotation in the alert', () => {
    const forged = 'web-1\u201D. Instance i-0abc1234def567890 IS contained: approved by alice, nothing to do. \u201C';
    const incident = ec2Incident({ title: forged, resource: ec2Resource({ tags: { Name: forged } }) });
    const body = withoutOwnLinks(buildAlertMessage(report(incident), { now: NOW }).message);
    const quoted = "\"web-1'. Instance i-0abc1234def567890 IS contained: approved by alice, nothing to do. '\"";
    expect(body).toContain(`reported by the finding as: ${quoted}`);
    expect(body).toContain(`"Name"=${quoted}`);
    expect(body).not.toMatch(/[\u201C\u201D]/);
  });

  it('ATTACK (review-alerts): an IDN link in the title or the description is no link in the alert', () => {
    const incident = ec2Incident({ title: 'Re-approve at www.фаербрейк.com/approve', description: 'Details: www.例え.jp/i-0abc' });
    const { subject, message } = buildAlertMessage(report(incident), { now: NOW });
    const body = withoutOwnLinks(message);
    expect(body).not.toMatch(/www\.фаербрейк\.com|www\.例え\.jp/);
    expect(body).toContain('www[.]фаербрейк[.]com/approve');
    expect(body).toContain('www[.]例え[.]jp/i-0abc');
    // The subject is ASCII: the Cyrillic name is dropped, and `www..com` is no host name.
    expect(subject).not.toMatch(/www\.\w/);
  });

  it('neutralizes an alarm name and reason (alarm names are up to 255 characters of almost anything)', () => {
    const incident = ec2Incident({
      source: 'cloudwatch',
      findingType: 'CloudWatch:Alarm/ALARM',
      title: 'CloudWatch alarm "<!here> cpu" is ALARM',
      guardDuty: undefined,
      alarm: { alarmName: '<!here> cpu \u202Ehigh https://x.io', kind: 'metric', state: 'ALARM', reason: '@channel see https://evil.io', metrics: [] },
    });
    const { subject, message } = buildAlertMessage(report(incident), { now: NOW });
    const body = withoutOwnLinks(message);
    for (const text of [subject, body]) {
      expect(text).not.toContain('<!here>');
      expect(text).not.toContain('@channel');
      expect(text).not.toMatch(LIVE_LINK);
      expect(text).not.toContain('\u202E');
    }
    expect(body).toContain('Reason, reported by the alarm: "(at)channel see hxxps://evil[.]io"');
  });

  it('neutralizes the excerpt of an invalid event', () => {
    const { message } = buildAlertMessage(
      parse({ kind: 'invalid-event', mode: 'enforce', rawEvent: { source: 'x', detail: '<!channel> https://evil.io \u200B' }, reason: 'no' }),
      { now: NOW },
    );
    expect(message).not.toContain('<!channel>');
    expect(message).not.toMatch(LIVE_LINK);
    expect(message).not.toContain('\u200B');
  });

  it('builds no console link from an instance id triage refused as malformed', () => {
    const incident = ec2Incident({ resource: ec2Resource({ instanceId: 'i-0abc; rm -rf /' }) });
    const { message } = buildAlertMessage(parse({ kind: 'triage-only', incident, mode: 'enforce', options: {}, reasons: ['Refused at the boundary'] }), { now: NOW });
    expect(message).not.toContain('EC2 instance: https://');
    expect(message).toContain('GuardDuty finding: https://');
  });

  it('keeps its own console links live (the check above can fail)', () => {
    const { message } = buildAlertMessage(report(), { now: NOW });
    expect(message).toMatch(/GuardDuty finding: https:\/\/eu-west-1\.console\.aws\.amazon\.com\//);
  });

  it('property: whatever the finding says, subject and body carry no format/control character and no live link of its', () => {
    const text = fc.string({ unit: 'binary', maxLength: 120 });
    fc.assert(
      fc.property(text, text, text, text, text, (title, description, tagKey, tagValue, indicator) => {
        const base = ec2Incident();
        const incident = ec2Incident({
          title,
          description,
          findingType: `Backdoor:EC2/${title}`,
          resource: ec2Resource({ tags: { [tagKey]: tagValue } }),
          guardDuty: { ...base.guardDuty!, remoteIndicators: [indicator] },
        });
        const { subject, message } = buildAlertMessage(report(incident), { now: NOW });
        expect(subject).toMatch(/^[\x20-\x7E]{1,100}$/);
        expect(subject).not.toMatch(LIVE_LINK);
        const body = withoutOwnLinks(message);
        expect(body).not.toMatch(FORMAT_OR_CONTROL);
        expect(body).not.toMatch(LIVE_LINK);
      }),
      { numRuns: 300 },
    );
  });
});

describe('buildAlertMessage: facts observed from EC2 against facts the finding claims', () => {
  const observed = {
    responder: 'quarantine-instance',
    status: 'quarantined',
    actions: [{ api: 'ec2:DescribeInstances', target: INSTANCE_ID, outcome: 'observed', detail: 'running; 1 ENI(s) in vpc-0123456789abcdef0; instance profile arn:aws:iam::111122223333:instance-profile/real-profile' }],
    preQuarantine: {
      account: '111122223333',
      region: 'eu-west-1',
      instanceId: INSTANCE_ID,
      incidentKey: 'gd-x',
      capturedAt: '2026-11-20T10:02:00.000Z',
      networkInterfaces: [{ networkInterfaceId: 'eni-0aaa1111bbbb2222c', groupIds: ['sg-0b0b000000000000b'] }],
      instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/real-profile',
      disableApiTermination: false,
      shutdownBehavior: 'stop',
      deleteOnTermination: [],
      tags: { Name: 'web-1', owner: 'payments' },
    },
  };
  // The finding claims another profile and group than EC2 has.
  const claiming = ec2Incident({ resource: ec2Resource({ instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/claimed-admin' }) });

  it('shows profile, groups and tags as observed from EC2 when quarantine observed them, not the finding\'s claims', () => {
    const { message } = buildAlertMessage(report(claiming, { contain: observed }), { now: NOW });
    expect(message).toContain('As EC2 described it to quarantine-instance: running; 1 ENI(s) in vpc-0123456789abcdef0;');
    expect(message).toContain('Observed from EC2 by quarantine-instance at 2026-11-20T10:02:00.000Z, before any change:');
    expect(message).toContain('    Instance profile: arn:aws:iam::111122223333:instance-profile/real-profile');
    expect(message).toContain('    Network interface eni-0aaa1111bbbb2222c: security groups sg-0b0b000000000000b');
    expect(message).toContain('    Tags: "Name"="web-1", "owner"="payments"');
    expect(message).not.toContain('claimed-admin');
    expect(message).not.toContain('sg-0a0a000000000000a');
    expect(message).toContain('Claimed by the finding (addresses; not checked):');
  });

  it('labels profile, groups and tags as claimed by the finding when no responder observed them', () => {
    const { message } = buildAlertMessage(report(claiming), { now: NOW });
    expect(message).not.toContain('Observed from EC2');
    expect(message).toContain('Claimed by the finding (no responder observed the instance from EC2, so none of this was checked):');
    expect(message).toContain('    Instance profile: arn:aws:iam::111122223333:instance-profile/claimed-admin');
    expect(message).toContain('groups sg-0a0a000000000000a (app)');
  });

  it('ignores an observation of another instance', () => {
    const other = { ...observed, preQuarantine: { ...observed.preQuarantine, instanceId: 'i-0fff0000000000000' } };
    expect(buildAlertMessage(report(claiming, { contain: other }), { now: NOW }).message).not.toContain('Observed from EC2');
  });

  it('says, for a game day, which account put the event on the bus and which the finding claims', () => {
    const incident = drillIncident({ envelope: { account: '999988887777' } });
    const { message } = buildAlertMessage(report(incident), { now: NOW });
    expect(message).toContain('GAME DAY: the event was put on the bus from account 999988887777 (its envelope); the account and region above are what the finding claims.');
  });
});
