/**
 * The catalogue of live game-day templates: the findings and alarms an engineer can put on the
 * deployed stack's bus with `firebreak gameday inject --template NAME`. Each is the shape GuardDuty
 * (or CloudWatch) really delivers, modelled on playbooks/events and the published events in
 * shared/events (field names, nesting, action blocks), with invented indicators from the
 * documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, *.example.net, private ASNs)
 * so that an alert raised by a rehearsal can never send anyone after a real host.
 * Finding formats: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-summary.html
 * and https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Finding.html.
 */

/** What a template's action block may use from the instance it is aimed at. */
export interface TemplateContext {
  readonly instanceId: string;
  /** The first ENI's private IP when the instance was described (`--describe`). */
  readonly localIp?: string;
}

interface TemplateBase {
  readonly name: string;
  /** One line for `--help` and the catalogue listing. */
  readonly summary: string;
  /** The playbook the shipped playbooks/ route it to (a rehearsal's expectation, not a promise about the deployed stack). */
  readonly expectedPlaybook: string;
}

/** A GuardDuty finding, put as detail-type "GuardDuty Finding". */
export interface FindingTemplate extends TemplateBase {
  readonly kind: 'guardduty';
  readonly findingType: string;
  /** GuardDuty's default severity for this type (Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0). */
  readonly severity: number;
  readonly resourceRole: 'TARGET' | 'ACTOR';
  /** `resource.resourceType`: Instance, or AccessKey for instance-credential exfiltration (which still carries instanceDetails). */
  readonly resourceType: 'Instance' | 'AccessKey';
  /** The GuardDuty data source that raises it (`service.featureName`). */
  readonly featureName: 'FlowLogs' | 'DnsLogs' | 'CloudTrail';
  readonly title: (context: TemplateContext) => string;
  readonly description: (context: TemplateContext) => string;
  /** `service.action`, as GuardDuty reports it for this type. */
  readonly action: (context: TemplateContext) => Record<string, unknown>;
}

/** A CloudWatch metric alarm on the instance going OK → ALARM, put as detail-type "CloudWatch Alarm State Change". */
export interface AlarmTemplate extends TemplateBase {
  readonly kind: 'cloudwatch';
  readonly metricName: string;
  readonly namespace: string;
  readonly threshold: number;
  /** The datapoint that crossed the threshold. */
  readonly datapoint: number;
  readonly comparison: string;
}

export type LiveTemplate = FindingTemplate | AlarmTemplate;

const remote = (ip: string, org: string, country: string, city: string, asn: number) => ({
  ipAddressV4: ip,
  organization: { asn, asnOrg: org, isp: org, org },
  country: { countryName: country },
  city: { cityName: city },
});

const localIp = (context: TemplateContext) => (context.localIp ? { localIpDetails: { ipAddressV4: context.localIp } } : {});

const port = (number: number, portName = 'Unknown') => ({ port: number, portName });

/** A TCP connection GuardDuty saw (NETWORK_CONNECTION action), from the instance's address. */
const tcpConnection =
  (direction: 'INBOUND' | 'OUTBOUND', local: ReturnType<typeof port>, peer: ReturnType<typeof remote>, remotePort: ReturnType<typeof port>) =>
  (context: TemplateContext) => ({
    actionType: 'NETWORK_CONNECTION',
    networkConnectionAction: {
      connectionDirection: direction,
      protocol: 'TCP',
      blocked: false,
      ...localIp(context),
      localPortDetails: local,
      remoteIpDetails: peer,
      remotePortDetails: remotePort,
    },
  });

/** Every template, by name; the first is the default. */
export const LIVE_TEMPLATES: readonly LiveTemplate[] = [
  {
    name: 'backdoor-c2',
    kind: 'guardduty',
    summary: 'Backdoor:EC2/C&CActivity.B (High 8): the instance talks to a known command-and-control server',
    expectedPlaybook: 'compromised-ec2-instance',
    findingType: 'Backdoor:EC2/C&CActivity.B',
    severity: 8,
    resourceRole: 'TARGET',
    resourceType: 'Instance',
    featureName: 'FlowLogs',
    title: ({ instanceId }) => `EC2 instance ${instanceId} is communicating with a known command and control server.`,
    description: ({ instanceId }) =>
      `EC2 instance ${instanceId} is communicating with IP address 198.51.100.23 on the ProofPoint threat list. This IP address is a known command and control server.`,
    action: tcpConnection('OUTBOUND', port(49152), remote('198.51.100.23', 'Example Hosting Ltd', 'Netherlands', 'Amsterdam', 64511), port(443, 'HTTPS')),
  },
  {
    name: 'cryptocurrency',
    kind: 'guardduty',
    summary: 'CryptoCurrency:EC2/BitcoinTool.B (High 8): the instance talks to a mining pool',
    expectedPlaybook: 'compromised-ec2-instance',
    findingType: 'CryptoCurrency:EC2/BitcoinTool.B',
    severity: 8,
    resourceRole: 'TARGET',
    resourceType: 'Instance',
    featureName: 'FlowLogs',
    title: ({ instanceId }) => `Bitcoin-related IP address contacted by EC2 instance ${instanceId}.`,
    description: ({ instanceId }) =>
      `EC2 instance ${instanceId} is communicating with IP address 203.0.113.77 associated with Bitcoin-related activity.`,
    action: tcpConnection('OUTBOUND', port(41876), remote('203.0.113.77', 'Example Mining Pool', 'Germany', 'Frankfurt am Main', 64500), port(3333)),
  },
  {
    name: 'dns-exfiltration',
    kind: 'guardduty',
    summary: 'Trojan:EC2/DNSDataExfiltration (High 8): the instance tunnels data out through DNS queries',
    expectedPlaybook: 'compromised-ec2-instance',
    findingType: 'Trojan:EC2/DNSDataExfiltration',
    severity: 8,
    resourceRole: 'TARGET',
    resourceType: 'Instance',
    featureName: 'DnsLogs',
    title: ({ instanceId }) => `Data exfiltration through DNS queries from EC2 instance ${instanceId}.`,
    description: ({ instanceId }) =>
      `EC2 instance ${instanceId} is attempting to exfiltrate data by performing DNS queries to q7x2lp9v.tunnel.example.net.`,
    action: () => ({
      actionType: 'DNS_REQUEST',
      dnsRequestAction: { domain: 'q7x2lp9v.tunnel.example.net', protocol: 'UDP', blocked: false, domainWithSuffix: 'example.net' },
    }),
  },
  {
    name: 'ssh-brute-force-actor',
    kind: 'guardduty',
    summary: 'UnauthorizedAccess:EC2/SSHBruteForce, ACTOR (High 8): the instance brute-forces SSH on someone else',
    expectedPlaybook: 'ssh-rdp-brute-force-source',
    findingType: 'UnauthorizedAccess:EC2/SSHBruteForce',
    severity: 8,
    resourceRole: 'ACTOR',
    resourceType: 'Instance',
    featureName: 'FlowLogs',
    title: ({ instanceId }) => `${instanceId} is performing SSH brute force attacks against 192.0.2.44.`,
    description: ({ instanceId }) =>
      `${instanceId} is performing SSH brute force attacks against 192.0.2.44. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.`,
    action: tcpConnection('OUTBOUND', port(54311), remote('192.0.2.44', 'Example Telecom', 'Brazil', 'Sao Paulo', 64496), port(22, 'SSH')),
  },
  {
    name: 'ssh-brute-force-target',
    kind: 'guardduty',
    summary: 'UnauthorizedAccess:EC2/SSHBruteForce, TARGET (Low 2): someone brute-forces SSH on the instance',
    expectedPlaybook: 'ssh-rdp-brute-force-target',
    findingType: 'UnauthorizedAccess:EC2/SSHBruteForce',
    severity: 2,
    resourceRole: 'TARGET',
    resourceType: 'Instance',
    featureName: 'FlowLogs',
    title: ({ instanceId }) => `198.51.100.61 is performing SSH brute force attacks against ${instanceId}.`,
    description: ({ instanceId }) =>
      `198.51.100.61 is performing SSH brute force attacks against ${instanceId}. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.`,
    action: tcpConnection('INBOUND', port(22, 'SSH'), remote('198.51.100.61', 'Example Scanner Network', 'France', 'Roubaix', 64502), port(40302)),
  },
  {
    name: 'recon-port-probe',
    kind: 'guardduty',
    summary: 'Recon:EC2/PortProbeUnprotectedPort (Low 2): a known scanner probes an open port of the instance',
    expectedPlaybook: 'ec2-reconnaissance',
    findingType: 'Recon:EC2/PortProbeUnprotectedPort',
    severity: 2,
    resourceRole: 'TARGET',
    resourceType: 'Instance',
    featureName: 'FlowLogs',
    title: ({ instanceId }) => `Unprotected port on EC2 instance ${instanceId} is being probed.`,
    description: () => 'EC2 instance has an unprotected port which is being probed by a known malicious host.',
    action: () => ({
      actionType: 'PORT_PROBE',
      portProbeAction: {
        blocked: false,
        portProbeDetails: [
          {
            localPortDetails: { port: 22, portName: 'SSH' },
            remoteIpDetails: remote('203.0.113.200', 'Example Scanner Network', 'South Korea', 'Seoul', 64503),
          },
        ],
      },
    }),
  },
  {
    name: 'credential-exfiltration',
    kind: 'guardduty',
    summary: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS (High 8): the instance role is used from outside AWS',
    expectedPlaybook: 'instance-credential-exfiltration',
    findingType: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    severity: 8,
    resourceRole: 'TARGET',
    resourceType: 'AccessKey',
    featureName: 'CloudTrail',
    title: ({ instanceId }) => `Credentials for the instance role of ${instanceId} used from external IP address.`,
    description: ({ instanceId }) =>
      `Credentials created exclusively for EC2 instance ${instanceId} through its instance role have been used from external IP address 192.0.2.211.`,
    action: () => ({
      actionType: 'AWS_API_CALL',
      awsApiCallAction: {
        api: 'ListBuckets',
        serviceName: 's3.amazonaws.com',
        callerType: 'Remote IP',
        userAgent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0',
        remoteIpDetails: remote('192.0.2.211', 'Example VPS Provider', 'United States', 'Ashburn', 64497),
        affectedResources: {},
      },
    }),
  },
  {
    name: 'cpu-alarm',
    kind: 'cloudwatch',
    summary: 'CloudWatch alarm on the instance CPUUtilization going OK → ALARM (a miner pegging the CPU)',
    expectedPlaybook: 'cloudwatch-instance-alarm',
    metricName: 'CPUUtilization',
    namespace: 'AWS/EC2',
    threshold: 90,
    datapoint: 99.4,
    comparison: 'greater than',
  },
];

/** The template used when `--template` is not given. */
export const DEFAULT_TEMPLATE = 'backdoor-c2';

/** Template names in catalogue order. */
export const LIVE_TEMPLATE_NAMES: readonly string[] = LIVE_TEMPLATES.map((template) => template.name);

/** The template of that name, or undefined. */
export function findLiveTemplate(name: string): LiveTemplate | undefined {
  return LIVE_TEMPLATES.find((template) => template.name === name);
}
