/**
 * The game-day scenario file (`playbooks/scenarios/*.yaml`): the environment a rehearsal needs,
 * the events it injects, and what must be true afterwards. Resources are named by the scenario
 * (`web`, `web-tier`), never by id: the local simulator and an AWS-compatible endpoint assign their
 * own ids, and the engine resolves names after the environment is prepared.
 *
 * The zod schema below is the single definition: the loader validates with it (every problem as
 * file:line:col), and `playbooks/scenarios/scenario.schema.json` is generated from it.
 */
import { chatExpectationSchema } from './chat-scenario';
import { INCIDENT_STATUSES, PHASES } from '../operator/incident-report';
import { z } from 'zod';
import { RESPONDER_MODES } from '../contracts/responder-mode';
import { EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE } from '../contracts/security';
import { APPROVER_ENTRY_PATTERN } from '../responders/approver-allowlist';
import { FIREBREAK_DNS_FIREWALL } from '../responders/dns-firewall';
import type { Playbook } from '../playbooks/model';
import { fleetEnvironmentFields, fleetExpectationSchema } from './fleet-scenario';

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Logical resource names: letters, digits, `-`, `_` and `.` (YAML keys people read). */
const LOGICAL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const logicalName = (what: string) =>
  z.string().regex(LOGICAL, `${what} must be a name of letters, digits, '.', '_' or '-'`);

/** The instance metadata service's settings, as a scenario sets them at launch and expects them after a run. */
/** A dotted path into an event or an incident (`set:` overrides), named with an example. */
const dottedPath = (example: string) => z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, `a dotted path such as ${example}`);

const metadataSettingsSchema = z.strictObject({
  endpoint: z.enum(['enabled', 'disabled']).optional(),
  tokens: z.enum(['optional', 'required']).optional(),
  hopLimit: z.number().int().min(1).max(64).optional(),
});

const tagMap = z.record(z.string().min(1).max(128), z.string().max(256));

export const INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;
export const SHUTDOWN_BEHAVIOURS = ['stop', 'terminate'] as const;

/** One security-group rule, in words: `{ protocol: tcp, ports: 443, cidr: 0.0.0.0/0 }`. */
export const ruleSchema = z
  .strictObject({
    protocol: z.enum(['tcp', 'udp', 'icmp', 'all']).default('tcp').describe('IP protocol (all = every protocol, every port).'),
    ports: z
      .union([z.number().int().min(0).max(65535), z.string().regex(/^\d{1,5}-\d{1,5}$/, "a port range is written '8000-8100'")])
      .optional()
      .describe('A port or a range "from-to" (not for protocol all).'),
    cidr: z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR block such as 0.0.0.0/0 or ::/0').optional(),
    group: logicalName('group').optional().describe('A security group of the scenario (by name) as the peer.'),
    description: z.string().optional(),
  })
  .refine((rule) => (rule.cidr === undefined) !== (rule.group === undefined), { message: "a rule names either 'cidr' or 'group'" });
export type RuleDocument = z.output<typeof ruleSchema>;

export const vpcSchema = z.strictObject({
  cidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR block such as 10.20.0.0/16').optional(),
  subnet: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR block such as 10.20.0.0/20')
    .optional()
    .describe("The instances' subnet (default: the VPC's first /24)."),
  ipv6: z
    .boolean()
    .optional()
    .describe("An Amazon-provided IPv6 block (CreateVpc AmazonProvidedIpv6CidrBlock), its first /64 the subnet's: the instances' ENIs may then get IPv6 addresses (enis[].ipv6Addresses)."),
  tags: tagMap.optional(),
});

export const securityGroupSchema = z.strictObject({
  vpc: logicalName('vpc').optional().describe('The VPC (default: the only VPC of the environment).'),
  description: z.string().optional(),
  ingress: z.array(ruleSchema).default([]),
  egress: z.array(ruleSchema).optional().describe("Outbound rules; default: EC2's allow-all IPv4 rule. [] for none."),
  tags: tagMap.optional(),
  sharedBy: z
    .string()
    .regex(/^\d{12}$/, 'an account id has 12 digits')
    .optional()
    .describe(
      "The account that owns the group, when it is not the environment's (local backend only): a shared VPC's owner made it and shares it into the VPC through RAM (security group sharing), so the environment's account lists it under that OwnerId and may put its ENIs in it, but never changes it.",
    ),
});

export const networkInterfaceSchema = z.strictObject({
  groups: z.array(logicalName('group')).min(1).optional().describe("Security groups by name (default: the VPC's default group)."),
  deleteOnTermination: z.boolean().optional(),
  ipv6Addresses: z
    .number()
    .int()
    .min(1)
    .max(10)
    .optional()
    .describe('How many IPv6 addresses it gets at launch (RunInstances Ipv6AddressCount); its VPC needs ipv6: true.'),
  ipv4Prefixes: z.number().int().min(1).max(4).optional().describe('How many /28 IPv4 prefixes are delegated to it at launch (RunInstances Ipv4PrefixCount: EC2 prefix delegation, as for EKS pods).'),
  ipv6Prefixes: z
    .number()
    .int()
    .min(1)
    .max(4)
    .optional()
    .describe('How many /80 IPv6 prefixes are delegated to it at launch (RunInstances Ipv6PrefixCount); its VPC needs ipv6: true.'),
});

export const volumeSchema = z.strictObject({
  device: z.string().regex(/^\/dev\/[a-z0-9]+$/, 'a device name such as /dev/xvda or /dev/sdf'),
  sizeGiB: z.number().int().positive().optional(),
  deleteOnTermination: z.boolean().optional().describe('Default: true for the boot volume, false for data volumes.'),
  encrypted: z
    .boolean()
    .optional()
    .describe("Encrypted with the account's AWS-managed key (aws/ebs), as EBS encryption by default does; such snapshots cannot be shared with another account."),
  tags: tagMap.optional(),
});

export const instanceSchema = z.strictObject({
  id: z
    .string()
    .regex(/^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, 'an instance id such as i-0123456789abcdef0')
    .optional()
    .describe('A fixed id (local engine only; an endpoint assigns its own).'),
  vpc: logicalName('vpc').optional(),
  type: z.string().optional().describe('Instance type (default t3.micro).'),
  state: z.enum(INSTANCE_STATES).default('running'),
  enis: z.array(networkInterfaceSchema).min(1).optional().describe('Network interfaces in device order (default: one).'),
  volumes: z.array(volumeSchema).optional().describe('EBS volumes (default: one 8 GiB root at /dev/xvda); [] for none.'),
  instanceProfile: z.string().min(1).nullable().optional().describe('Instance profile name (null or absent: none).'),
  tags: tagMap.optional(),
  terminationProtection: z.boolean().optional(),
  stopProtection: z.boolean().optional(),
  shutdownBehavior: z.enum(SHUTDOWN_BEHAVIOURS).optional(),
  metadata: metadataSettingsSchema.optional().describe("The instance metadata service's settings at launch (RunInstances MetadataOptions; default EC2's)."),
  elasticIp: z.boolean().optional().describe('An Elastic IP allocated and associated with the primary ENI at setup (AllocateAddress, AssociateAddress).'),
});
export type InstanceDocument = z.output<typeof instanceSchema>;

export const faultSchema = z.strictObject({
  api: z
    .string()
    .regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, 'an API name such as ec2:ModifyNetworkInterfaceAttribute')
    .describe('The API to fail, IAM style (wildcards allowed: ec2:Modify*).'),
  error: z.string().min(1).describe('The AWS error code to answer, e.g. RequestLimitExceeded, InternalError.'),
  times: z.number().int().positive().default(1).describe('How many attempts fail before the API answers normally.'),
  message: z.string().optional(),
  topic: z
    .enum(['alert', 'backup'])
    .optional()
    .describe('Only publishes to this topic fail (with api sns:Publish): the alert topic, or the backup (operations) topic.'),
  takesEffect: z
    .boolean()
    .default(false)
    .describe('The call is carried out before the error is answered (AWS made the change, its answer was lost: a 5xx or a timeout after it), so a retry finds it made. Default: the call is refused before it does anything.'),
}).refine((fault) => fault.topic === undefined || fault.api === 'sns:Publish', { message: 'topic narrows an sns:Publish fault: set api to sns:Publish', path: ['topic'] });

/** The EICAR test file: every anti-malware engine reports it, and it harms nothing. */
export const EICAR_TEST_FILE = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** A statement of a bucket policy, as S3's JSON grammar spells it (S3 checks the rest at PutBucketPolicy). */
const bucketPolicyStatementSchema = z.looseObject({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Principal: z.unknown().optional(),
  NotPrincipal: z.unknown().optional(),
  Action: z.union([z.string(), z.array(z.string())]).optional(),
  NotAction: z.union([z.string(), z.array(z.string())]).optional(),
  Resource: z.union([z.string(), z.array(z.string())]).optional(),
  NotResource: z.union([z.string(), z.array(z.string())]).optional(),
  Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

/** A bucket policy document, given inline. */
export const bucketPolicyDocumentSchema = z.strictObject({
  Version: z.literal('2012-10-17').optional(),
  Id: z.string().optional(),
  Statement: z.array(bucketPolicyStatementSchema).min(1),
});

/** A bucket policy read from a file (an example of examples/s3-bucket-policies/), its placeholders replaced. */
export const bucketPolicyFileSchema = z.strictObject({
  file: z
    .string()
    .regex(/\.json$/, 'a .json policy file')
    .describe('The policy file, relative to the scenario file (../../examples/s3-bucket-policies/deny-reading-infected-objects.json).'),
  replace: z
    .record(z.string().min(1), z.string())
    .default({})
    .describe("Text of the file to replace, each with its value (YourForensicsRole, FirebreakResponder-quarantine-s3-object...); BUCKET and ACCOUNT default to the object's bucket and the environment's account. Every placeholder left (BUCKET, ACCOUNT, QUARANTINE-BUCKET, OWNER-ACCOUNT, o-YOURORG) is an error."),
});

export const s3ObjectSchema = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').describe('The bucket (created in the environment\'s account).'),
  key: z.string().min(1).max(1024).describe('The object key.'),
  versioned: z.boolean().default(true).describe('Versioning on the bucket (default true).'),
  body: z.string().default(EICAR_TEST_FILE).describe('The content (default: the EICAR test file).'),
  tags: z.record(z.string(), z.string()).default({}).describe("The object's own tags (firebreak:gameday-target=true opts it in to game days)."),
  encryption: z
    .enum(['SSE-S3', 'SSE-KMS'])
    .default('SSE-S3')
    .describe("SSE-KMS: a customer managed key is created for the bucket, made its default encryption, and the object is encrypted with it (default SSE-S3, S3's own)."),
  bucketPolicy: z
    .union([bucketPolicyFileSchema, bucketPolicyDocumentSchema])
    .optional()
    .describe(
      "The bucket's policy (PutBucketPolicy, after the objects are written), inline or from a file: the simulated S3 evaluates it on every call on the bucket and its objects, with the callers' identity policies. Objects of one bucket give the same policy, or only one of them gives it.",
    ),
});
export type S3ObjectDocument = z.output<typeof s3ObjectSchema>;

const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

/** A name of the environment's IAM users or roles, where an injection names one. */
const environmentIamName = (kind: 'user' | 'role') => z.string().regex(IAM_NAME, `an IAM ${kind} name of the environment`);

/** An IAM user of the scenario (created with its keys; the finding names a key by `${iamUsers.<name>.accessKeys.<n>}`). */
export const iamUserSchema = z.strictObject({
  accessKeys: z
    .array(z.enum(['Active', 'Inactive']))
    .max(2, 'IAM allows two access keys per user')
    .default(['Active'])
    .describe('The status of each access key the user has, in creation order.'),
  tags: z.record(z.string(), z.string()).default({}).describe("The user's tags (protected tag key, firebreak:gameday-target...)."),
  path: z
    .string()
    .regex(/^\/(?:[\x21-\x7e]*\/)?$/, 'an IAM path: "/" or one that begins and ends with "/" (printable ASCII between)')
    .max(512, 'IAM paths have at most 512 characters')
    .optional()
    .describe('The user\'s IAM path (CreateUser\'s Path, "/" when unset): a privileged name pattern may name it, as the stack\'s deny reads the user\'s ARN.'),
});

/** An IAM role of the scenario whose sessions a finding names. */
export const iamRoleSchema = z.strictObject({
  tags: z.record(z.string(), z.string()).default({}).describe("The role's tags."),
});

export const environmentSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'an account id has 12 digits').default('111122223333'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region such as eu-west-1').default('eu-west-1'),
  vpcs: z.record(logicalName('vpc'), vpcSchema).default({}),
  securityGroups: z.record(logicalName('security group'), securityGroupSchema).default({}),
  instances: z.record(logicalName('instance'), instanceSchema).default({}),
  iamUsers: z.record(z.string().regex(IAM_NAME, 'an IAM user name'), iamUserSchema).default({}).describe('IAM users (by their IAM name) and their access keys.'),
  iamRoles: z.record(z.string().regex(IAM_NAME, 'an IAM role name'), iamRoleSchema).default({}).describe('IAM roles (by their IAM name) a finding names.'),
  ...fleetEnvironmentFields,
  s3Objects: z.record(logicalName('S3 object'), s3ObjectSchema).default({}).describe('S3 objects (for the Malware Protection for S3 scenarios); "${s3Objects.<name>.versionId}" and .eTag, .bucket, .key resolve.'),
  securityHub: z
    .strictObject({ enabled: z.boolean().describe('Security Hub subscribed in the environment\'s account and region (GuardDuty exports the injected findings to it).') })
    .optional()
    .describe('Security Hub in the account (local simulated account only). Absent: not enabled, so BatchUpdateFindings answers InvalidAccessException.'),
  sharedDnsFirewallRuleGroups: z
    .record(
      logicalName('rule group'),
      z.strictObject({
        sharedBy: z.string().regex(/^\d{12}$/, 'an account id has 12 digits').describe("The account that made it and shares it with the environment's account through RAM."),
        name: z.string().min(1).max(64).default(FIREBREAK_DNS_FIREWALL.ruleGroupName).describe("Its name (default: Firebreak's own rule group's)."),
        creatorRequestId: z.string().min(1).max(255).default(FIREBREAK_DNS_FIREWALL.ruleGroupRequestId).describe("Its CreatorRequestId (default: the one Firebreak creates its group with)."),
        tags: tagMap.optional(),
      }),
    )
    .default({})
    .describe("DNS Firewall rule groups another account shares with the environment's account (local backend only): ListFirewallRuleGroups lists them, ShareStatus SHARED_WITH_ME under their owner's OwnerId; empty, as their owner made them."),
  faults: z.array(faultSchema).default([]).describe('Errors the account answers on request (throttling, 5xx...).'),
  deniedActions: z
    .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, 'an IAM action such as ec2:ModifyInstanceAttribute'))
    .default([])
    .describe("IAM actions the responders' roles are denied."),
  removedStatements: z
    .array(
      z.strictObject({
        role: z
          .string()
          .min(1)
          .describe(
            "The role: a responder (quarantine-instance, snapshot-volumes…), dispatcher, approval, emergency-pause, a playbook state machine as playbook:<name>, or, in a member-account game day, a responder's own role there as member-role:<responder> or session-revoker-role:<responder>.",
          ),
        sid: z.string().regex(/^[A-Za-z0-9]+$/, 'a statement Sid such as ContainInstances').describe("The statement's Sid in the synthesized policy."),
      }),
    )
    .default([])
    .describe("Statements taken out of the synthesized roles' policies for this run: a grant that is missing, rehearsed."),
});
export type EnvironmentDocument = z.output<typeof environmentSchema>;

export const settingsSchema = z.strictObject({
  mode: z.enum(RESPONDER_MODES).default('enforce').describe('The deployment mode (CDK context "mode"); game days default to enforce.'),
  forceDryRun: z.boolean().default(false).describe('CDK context "forceDryRun": every playbook runs in dry-run.'),
  protectedInstances: z.array(z.string().min(1)).default([]).describe('Protected instances, by scenario name or id.'),
  protectedTagKey: z.string().min(1).max(128).optional(),
  instanceRegions: z
    .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'a region such as eu-west-1'))
    .min(1)
    .optional()
    .describe(
      "CDK context instanceRegions: the regions where the served accounts run instances. quarantine-instance and revoke-role-sessions look for protected instances holding a role there and in the incident's region only, without ec2:DescribeRegions (FIREBREAK_INSTANCE_REGIONS, docs/security.md row 2z).",
    ),
  blastRadiusMax: z.number().int().min(1).max(100).optional().describe('Containments per account in the window (the guard reads at most 100 slots).'),
  blastRadiusWindowSeconds: z.number().int().positive().optional(),
  containmentTargetSeconds: z
    .number()
    .int()
    .min(10)
    .max(86_400)
    .optional()
    .describe("CDK context containmentTargetSeconds: the deployment's time-to-containment target (the alarm's threshold), which each scenario's report measures its containment phase against (default: the deployment's, 120 s)."),
  securityAccount: z
    .string()
    .regex(/^\d{12}$/, 'an account id has 12 digits')
    .optional()
    .describe(
      "The account Firebreak is deployed in, when it is not the environment's (CDK context memberRoleName and organizationId): the environment is then a member account of the organization, reached through the member role the synthesized MemberRoleStack describes, with each responder's own role there, its trust and policies enforced (removedStatements: member-role:<responder>). Local backend only.",
    ),
  memberRoleExternalId: z
    .string()
    .regex(EXTERNAL_ID_PATTERN, `${EXTERNAL_ID_RULE} (an STS ExternalId)`)
    .optional()
    .describe(
      "CDK context memberRoleExternalId (needs settings.securityAccount): the member role's trust policy then requires it as sts:ExternalId, and the responders send it, each as its synthesized Lambda environment gives it (FIREBREAK_MEMBER_ROLE_EXTERNAL_ID). Local backend only.",
    ),
  approverArns: z
    .array(z.string().regex(APPROVER_ENTRY_PATTERN, 'an IAM role or user ARN such as arn:aws:iam::111122223333:role/firebreak-gameday-approver (no wildcard, session or :root), or a unique id (AROA…, AIDA…)'))
    .optional()
    .describe(
      "CDK context approverArns: the deployment's approvers, the only callers the approval function lets answer or look (everyone else: 403, nothing recorded or sent). An approvals entry's `by: alice` answers as a session of the role firebreak-gameday-approver (arn:aws:sts::<account>:assumed-role/firebreak-gameday-approver/alice): list arn:aws:iam::<account>:role/firebreak-gameday-approver to admit such answers; an ARN `by` answers as that principal.",
    ),
  servedAccountIds: z
    .array(z.string().regex(/^\d{12}$/, 'an account id has 12 digits'))
    .min(1)
    .optional()
    .describe(
      "CDK context servedAccountIds (needs settings.securityAccount): with the game day's organization, only these accounts (and the security account) are served, as a deployment rolling out to a few accounts first configures it; an incident of another account of the organization is alerted on, and no role is assumed there.",
    ),
  forensicAccount: z
    .string()
    .regex(/^\d{12}$/, 'an account id has 12 digits')
    .optional()
    .describe(
      'A second simulated account that receives evidence copies (CDK context forensicAccountId): the game day creates its KMS key (forensicKmsKeyArn) and the forensic role the synthesized ForensicRoleStack describes, with that role\'s policy enforced. Needs a playbook with a copy-evidence step; local backend only. It may be the environment\'s own account only when that is a member account (settings.securityAccount): a finding about the forensic account itself, which Firebreak must leave to a person.',
    ),
  forensicCopyFailsLate: z
    .array(
      z.strictObject({
        instance: logicalName('instance'),
        device: z.string().min(1).describe('The volume, by device name (/dev/sdf).'),
        stateMessage: z.string().min(1).default('Given key ID is not accessible').describe("The copy's StateMessage once it fails."),
      }),
    )
    .default([])
    .describe(
      'A fault of EBS itself (needs settings.forensicAccount; local backend only): a forensic copy of a snapshot of this volume is accepted by CopySnapshot, stays pending, then ends in state error with the StateMessage, as EC2 does when the copying account cannot use the source key.',
    ),
  quarantineBucket: z
    .strictObject({
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').describe('The quarantine bucket a playbook names (`quarantineCopy: { bucket, bucketOwner }`).'),
      account: z.string().regex(/^\d{12}$/, 'an account id has 12 digits').describe("The account that owns it (the playbook's bucketOwner): another account, or the environment's own."),
      region: z
        .string()
        .regex(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, 'an AWS Region such as us-east-1')
        .optional()
        .describe("Its Region (the playbook's bucketRegion); default: the environment's. The simulated S3 answers a request sent to another Region's endpoint 301 PermanentRedirect, as S3 does."),
      encryption: z
        .enum(['SSE-S3', 'SSE-KMS'])
        .default('SSE-S3')
        .describe("Its default encryption: SSE-S3 (default), or SSE-KMS under a customer managed key the game day creates in the bucket's account (which Firebreak's roles, granted their own account's keys only, cannot use: the copies are refused)."),
      bucketPolicy: z
        .union([bucketPolicyFileSchema, bucketPolicyDocumentSchema])
        .optional()
        .describe(
          "Its policy, inline or from a file (examples/s3-bucket-policies/quarantine-copies-own-account-only.json; QUARANTINE-BUCKET and OWNER-ACCOUNT default to the bucket and its account, o-YOURORG to the game day's organization): the simulated S3 evaluates it with the callers' identity policies. None: only the owner account's own principals may write.",
        ),
    })
    .optional()
    .describe(
      'A versioned quarantine bucket the game day creates, in its account, with its policy (local backend only): the account joins the game day\'s organization (o-firebreakgameday) with the deployment\'s. expect.quarantineBucket counts the copies in it.',
    ),
});
export type SettingsDocument = z.output<typeof settingsSchema>;

export const injectionSchema = z
  .strictObject({
    template: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'a template name: an event file name without .json (see `firebreak gameday templates`)')
      .optional(),
    event: z.record(z.string(), z.unknown()).optional().describe('A whole event, as EventBridge delivers it.'),
    raw: z.string().optional().describe('Text that is not an event at all (the unparseable case).'),
    release: logicalName('instance')
      .optional()
      .describe('Not an event: start the release-instance playbook for this instance, as `firebreak release` does.'),
    releaseObject: logicalName('S3 object')
      .optional()
      .describe('Not an event: start the release-s3-object playbook for this S3 object of the environment, as `firebreak release --bucket --key --version-id` does (the incident key from its firebreak:incident tag).'),
    reason: z.string().min(1).optional().describe('The reason a release (or a DNS unblock, or a credential release) gives.'),
    releaseIncident: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'an incident key such as gd-1a2b…')
      .optional()
      .describe("With 'release': the incident to release, as `firebreak release --incident` names it (default: as the command finds it, from the pre-quarantine record, else the instance's firebreak:incident tag)."),
    unblockDns: z
      .strictObject({
        domain: z.string().min(1).describe('The blocked domain to take back.'),
        instance: logicalName('instance').describe("Whose claim: the incident from this instance's firebreak:incident tag, as `firebreak dns unblock --incident` names it."),
        force: z.boolean().default(false).describe("Also drop the other open incidents' claims (recorded)."),
      })
      .optional()
      .describe(
        'Not an event: start the unblock-dns-domain playbook as `firebreak dns unblock` does, without the command\'s own early checks, so the step\'s refusals are rehearsed.',
      ),
    releaseCredentials: z
      .union([
        z.strictObject({
          user: environmentIamName('user'),
          key: z.number().int().min(0).default(0).describe("Which of the user's access keys, in creation order."),
          incident: z
            .literal('of-record')
            .optional()
            .describe(
              "The incident the key's record names (as `firebreak credentials release` chooses without --incident), not the last playbook execution's: an attack sequence's per-credential execution holds its key as its own incident.",
            ),
        }),
        z.strictObject({ role: environmentIamName('role') }),
      ])
      .optional()
      .describe(
        "Not an event: start the release-credentials playbook as `firebreak credentials release` does, for the incident of the scenario's last playbook execution, without the command's early checks, so the step's refusals are rehearsed.",
      ),
    tamper: z
      .union([
        z.strictObject({
          deleteEvidenceOf: logicalName('instance').describe(
            "DeleteSnapshot on every Firebreak evidence snapshot (tag firebreak:instance) of this instance, as an attacker's role in the member account that may delete any snapshot.",
          ),
        }),
        z.strictObject({
          reconnect: logicalName('instance').describe(
            "ModifyNetworkInterfaceAttribute putting every ENI of this instance back in the security groups the environment gave it, as an attacker's role in the member account that may change any ENI: the quarantine's isolation undone behind Firebreak's back.",
          ),
        }),
        z.strictObject({
          deleteAccessKey: z
            .strictObject({
              user: environmentIamName('user'),
              key: z.number().int().min(0).default(0).describe("Which of the user's access keys, in creation order."),
            })
            .describe(
              "DeleteAccessKey of this access key, as an administrator of the account it belongs to (not Firebreak) who deletes a compromised key while its incident is still open.",
            ),
        }),
        z.strictObject({
          reactivateAccessKey: z
            .strictObject({
              user: environmentIamName('user'),
              key: z.number().int().min(0).default(0).describe("Which of the user's access keys, in creation order."),
            })
            .describe(
              "UpdateAccessKey setting this access key Active again, then DetachUserPolicy of AWSDenyAll from its user (a refusal kept in the call log), as whoever holds another credential that may change the user does after Firebreak contained the key: an injection afterwards (GuardDuty's update of the finding) must contain it again (docs/security.md row 1zh).",
            ),
        }),
        z.strictObject({
          renameUser: z
            .strictObject({
              from: environmentIamName('user'),
              to: z.string().regex(IAM_NAME, 'a new IAM user name'),
            })
            .describe(
              "UpdateUser giving this user of the environment a new name (NewUserName), as whoever holds its compromised access key and may call iam:UpdateUser on it does after GuardDuty saw the key: a finding injected afterwards still names the old user. Expectations keep naming the user by its environment name (`from`); its keys and policies are read under its current name.",
            ),
        }),
        z.strictObject({
          optOutUser: environmentIamName('user').describe(
              "TagUser setting this user's firebreak:gameday-target tag to false, as its owner does who takes the user out of drills (back in production) after a drill contained its key: a drill's release must then change nothing (docs/security.md row 1z).",
            ),
        }),
        z.strictObject({
          optOutRole: environmentIamName('role').describe(
              "TagRole setting this role's firebreak:gameday-target tag to false, as its owner does who takes the role out of drills (back in production) after a drill denied its sessions: a drill's release must then change nothing, the deny stays (docs/security.md row 1z).",
            ),
        }),
        z.strictObject({
          recreateRole: environmentIamName('role').describe(
              "DeleteRole then CreateRole of this role of the environment, with the same name, trust policy and tags, as whoever may create roles in the account does after GuardDuty saw the name: IAM gives the new role another unique id and a creation date after the finding's. Later injections' \"${iamRoles.<name>.roleId}\" still resolve to the first role's id (the one GuardDuty saw).",
            ),
        }),
        z.strictObject({
          swapProfileRole: z
            .strictObject({
              instance: logicalName('instance').describe('The instance of the environment whose instance profile is changed.'),
              role: environmentIamName('role').describe('The role of environment.iamRoles put into that profile.'),
            })
            .describe(
              "RemoveRoleFromInstanceProfile of every role of the instance's profile, then AddRoleToInstanceProfile of this role, as whoever may manage the account's instance profiles does while the instance waits for its release: the profile keeps its ARN, id and creation date, and holds another role.",
            ),
        }),
        z.strictObject({
          recreateAutoScalingGroup: logicalName('Auto Scaling group').describe(
            "DetachInstances (decrementing) of every member of this Auto Scaling group of the environment, DeleteAutoScalingGroup, then CreateAutoScalingGroup of an empty group under the same name (from one of those members, same maximum size, health checks and load balancers), then TerminateInstances of those members, as whoever may manage the account's groups does while an instance quarantine took out of the group waits for its release: Auto Scaling gives the new group another ARN and a creation time after the capture (docs/security.md row 3j).",
          ),
        }),
        z.strictObject({
          recreateClassicLoadBalancer: logicalName('classic load balancer').describe(
            "DeleteLoadBalancer of this Classic Load Balancer of the environment, then CreateLoadBalancer of one under the same name (same listeners, a subnet of the same VPC), as whoever may manage the account's load balancers does while an instance quarantine deregistered from it waits for its release: the new one has a creation time after the capture and none of the old one's instances (docs/security.md row 3l).",
          ),
        }),
        z.strictObject({
          registerTarget: z
            .strictObject({
              targetGroup: logicalName('target group').describe('The target group of environment.targetGroups.'),
              instance: logicalName('instance').describe('The instance of the environment registered there (an ip target group: by the address its registerBy names).'),
            })
            .describe(
              "RegisterTargets of this instance in this target group, as whoever may register targets in the account (or a deployment tool putting it back) does while it is quarantined: a later quarantine run finds a registration its kept record lacks (docs/security.md row 3v).",
            ),
        }),
        z.strictObject({
          listDomainByHand: z
            .string()
            .min(1)
            .max(253)
            .describe(
              "UpdateFirewallDomains ADD of this domain and `*.` it into Firebreak's DNS Firewall domain list (which must exist: inject a DNS finding first), as the member account's administrator blocking a known command-and-control domain by hand does: no incident claims it, and no release or unblock may take it out (docs/security.md row 6t).",
            ),
        }),
        z.strictObject({
          replayPauseRequest: z
            .enum(['pause', 'resume'])
            .describe(
              "The scenario's last pause (or resume) request to the emergency-pause function sent again whole (body, caller proof, request context) by someone allowed lambda:InvokeFunction on it who captured it. The run fails unless the function refuses it (401).",
            ),
        }),
        z.strictObject({
          untagAfterShare: logicalName('instance').describe(
            "Armed now, acts once later: right after a responder shares a snapshot of one of this instance's volumes with another account (ModifySnapshotAttribute createVolumePermission add: copy-evidence, between its share and its copy), the instance's owner takes its firebreak:gameday-target tag off, opting it out of drills mid-copy. Local backend only; inject it before the finding.",
          ),
        }),
        z.strictObject({
          retagEvidenceAfterSnapshot: logicalName('instance').describe(
            "Armed now, acts once later: right after the instance's volumes are snapshotted (CreateSnapshots: snapshot-volumes), someone allowed ec2:CreateTags on snapshots of the account sets the firebreak:incident tag of its data volumes' snapshots to another incident's key (a lock keeps a snapshot from deletion, not its tags from change), before copy-evidence looks for them (docs/security.md row 3x). Local backend only; inject it before the finding.",
          ),
        }),
        z.strictObject({
          forgeEvidenceAfterSnapshot: logicalName('instance').describe(
            "Armed now, acts once later: right after the instance's volumes are snapshotted (CreateSnapshots: snapshot-volumes), someone allowed ec2:CreateSnapshot and ec2:CreateTags in the account snapshots each of its data volumes again a second later (the disk as it is then: the malware may have wiped it), with the evidence's description and tags, before copy-evidence looks for them (docs/security.md row 3y). Local backend only; inject it before the finding.",
          ),
        }),
        z.strictObject({
          forgeEvidenceBeforeSnapshot: logicalName('instance').describe(
            "Acts now: someone allowed ec2:CreateSnapshot and ec2:CreateTags in the account snapshots each of the instance's EBS volumes with the description and tags snapshot-volumes gives the evidence of the next GuardDuty finding injected (incident keys are predictable: gd-<finding id>), before snapshot-volumes runs (docs/security.md row 3za). Local backend only; inject it right before that finding.",
          ),
        }),
        z.strictObject({
          untagAfterCopy: logicalName('instance').describe(
            "Armed now, acts once later: right after the forensic account copies a snapshot of one of this instance's volumes (CopySnapshot accepted: copy-evidence, the copy started), the instance's owner takes its firebreak:gameday-target tag off, opting it out of drills after the copy started. Local backend only; inject it before the finding.",
          ),
        }),
        z.strictObject({
          readObject: logicalName('S3 object').describe(
            "GetObject of this S3 object's scenario version (its VersionId), as an application role of the account (gameday-application-reader, outside Firebreak's policies): what the bucket's policy must refuse once the object is tagged infected. Its answer is in the call log (expect calls: s3:GetObject, with error AccessDenied for a refusal); nothing here fails on one.",
          ),
        }),
        z.strictObject({
          uploadObject: logicalName('S3 object').describe(
            "PutObject of new content to this S3 object's key, as its uploader (gameday-uploader, an application role of the account, outside Firebreak's policies). In a bucket without versioning the upload is the version null again: it replaces the object and its tags. The new upload's scan result is a later injection, naming its ETag (the MD5 of `body` in hex, as S3 gives a single-part upload's without SSE-KMS; with SSE-KMS S3's ETag is not the MD5, nor is the simulated S3's, so a scan result naming it finds the upload replaced, as in AWS).",
          ),
          body: z.string().min(1).max(4096).describe('The new content (text).'),
        }),
        z.strictObject({
          reopenReleases: z
            .literal(true)
            .describe(
              "Every released record of the state table, as an operator of the security account with DynamoDB write permissions: UpdateItem SET released = false, then PutItem of the record as it was before its release (its release marks dropped), a saved copy put back.",
            ),
        }),
      ])
      .optional()
      .describe(
        "Not an event: an attacker in the member account tries to destroy the evidence or undoes an instance's isolation, one in the security account to make a finished release run again or to replay a captured pause or resume, or the account's administrator deletes an access key (after the earlier injections ran), or a drill's owner opts its instance out mid-copy (untagAfterShare, untagAfterCopy, armed now) or its user or role out of drills (optOutUser, optOutRole), or an application of the account reads an S3 object (readObject), or its uploader uploads to its key again (uploadObject).",
      ),
    wait: z
      .strictObject({
        seconds: z
          .number()
          .int()
          .min(1)
          .max(172_800)
          .describe('How long, at most 48 hours.'),
      })
      .optional()
      .describe(
        "Not an event: simulated time passes (after the earlier injections' playbooks ended, before the next injection), in 30-second ticks as the account's own processes see it: a role's deny may be released only 12 hours after its cut-off. Local game days only: an endpoint's clock is the wall clock, which a scenario cannot move (needs delivery one-by-one).",
      ),
    pause: z
      .strictObject({
        reason: z.string().min(1).describe('Why containment is paused (one line of printable text, as `firebreak pause --reason` sends it).'),
        by: z.string().min(1).default('gameday-engineer').describe('Who pauses: the principal the Function URL authenticates (a name, or a whole ARN).'),
      })
      .optional()
      .describe(
        'Not an event: pause the deployment as `firebreak pause` does, through the emergency-pause function (its own code and role, its identity policy enforced): from then on the containment guard grants dry-run only and every containing responder acts in dry-run, even under a grant issued before. The run fails if the function does not answer paused.',
      ),
    resume: z
      .strictObject({
        reason: z.string().min(1).optional().describe('Why containment is enforced again (optional, as `firebreak resume --reason`).'),
        by: z.string().min(1).default('gameday-engineer').describe('Who resumes (a name, or a whole ARN).'),
      })
      .optional()
      .describe('Not an event: lift the pause as `firebreak resume` does, through the emergency-pause function. The run fails if the function does not answer resumed.'),
    target: logicalName('instance').optional().describe('Aim the finding or alarm at this instance of the environment.'),
    set: z
      .record(dottedPath('detail.severity'), z.unknown())
      .default({})
      .describe('Overrides by dotted path; "${instances.web.instanceId}" style references resolve against the environment.'),
    deliveries: z.number().int().min(1).max(100).default(1).describe('How many times EventBridge delivers it (at least once!).'),
    invoke: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .optional()
      .describe(
        'Not a delivery: invoke this responder Lambda directly (as anyone with lambda:InvokeFunction could), with the incident parsed from the template or event.',
      ),
    input: z
      .enum(['step', 'event'])
      .optional()
      .describe(
        "For 'invoke': what the function is sent. step (default): a playbook step's input (incident, mode, options, execution); event: the event itself, as a rule hands it to its function target (the oversized-event intake), which is what anyone with lambda:InvokeFunction on that function can forge.",
      ),
    start: z
      .string()
      .regex(NAME)
      .optional()
      .describe('Not a delivery: start this playbook directly (states:StartExecution, bypassing triage and the dispatcher), with the incident parsed from the template or event.'),
    mode: z.enum(RESPONDER_MODES).optional().describe("The mode an 'invoke' or 'start' input claims (default enforce)."),
    options: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("For 'invoke': the step options the input sends (default none). A grant clears only the options its playbook's step sends."),
    execution: z
      .enum(['none', 'forged', 'previous', 'first', 'predicted'])
      .optional()
      .describe(
        "For 'invoke': the execution the input names. none (default): no execution; forged: an execution ARN of the deployment's playbook that was never started; previous: the last playbook execution of this scenario; first: its first (a containment ended before a release started, say); predicted: the one the dispatcher will start for this injection's incident (execution names derive from the incident), not started yet.",
      ),
    payload: z
      .record(dottedPath('approval.taskToken'), z.unknown())
      .optional()
      .describe(
        "For 'invoke': what else the attacker writes into the input, by dotted path (kind, approval... for publish-alert), over the incident, mode, options and execution.",
      ),
    incident: z
      .strictObject({
        from: z.literal('previous-execution'),
        set: z
          .record(dottedPath('guardDuty.dnsDomain'), z.unknown())
          .default({})
          .describe('Overrides of that incident by dotted path (what the attacker changes).'),
      })
      .optional()
      .describe(
        "For 'invoke' with execution previous (or first): send that execution's own input incident, as someone who read it with states:DescribeExecution would, with the overrides in 'set', instead of the incident parsed from the template (whose received time is the injection's).",
      ),
    bus: z
      .string()
      .regex(/^[A-Za-z0-9._\-/]{1,256}$/, 'an event bus name such as default')
      .optional()
      .describe("The bus the event is put on (default: 'default' for aws.* sources, where AWS services deliver; the game-day rule's bus for other sources)."),
  })
  .refine(
    (entry) =>
      [entry.template, entry.event, entry.raw, entry.release, entry.releaseObject, entry.tamper, entry.unblockDns, entry.releaseCredentials, entry.pause, entry.resume, entry.wait].filter((value) => value !== undefined)
        .length === 1,
    {
      message: "an injection has exactly one of 'template', 'event', 'raw', 'release', 'releaseObject', 'tamper', 'unblockDns', 'releaseCredentials', 'pause', 'resume' or 'wait'",
    },
  )
  .refine((entry) => entry.invoke === undefined || entry.start === undefined, { message: "an injection has at most one of 'invoke' or 'start'" })
  .refine((entry) => entry.releaseIncident === undefined || entry.release !== undefined, { message: "'releaseIncident' belongs to a 'release' injection" })
  .refine((entry) => entry.incident === undefined || (entry.invoke !== undefined && (entry.execution === 'previous' || entry.execution === 'first')), {
    message: "'incident: { from: previous-execution }' needs 'invoke' and 'execution: previous' (or 'first')",
  })
  .refine((entry) => (entry.invoke === undefined && entry.start === undefined) || entry.template !== undefined || entry.event !== undefined, {
    message: "'invoke' and 'start' take their incident from a 'template' or an 'event'",
  })
  .refine((entry) => entry.invoke !== undefined || entry.start !== undefined || (entry.mode === undefined && entry.execution === undefined), {
    message: "'mode' and 'execution' belong to an 'invoke' (or, for mode, a 'start') injection",
  })
  .refine((entry) => entry.execution === undefined || entry.invoke !== undefined, { message: "'execution' belongs to an 'invoke' injection" })
  .refine((entry) => entry.payload === undefined || entry.invoke !== undefined, { message: "'payload' belongs to an 'invoke' injection" })
  .refine((entry) => entry.options === undefined || entry.invoke !== undefined, { message: "'options' belongs to an 'invoke' injection" })
  .refine((entry) => entry.input === undefined || entry.invoke !== undefined, { message: "'input' belongs to an 'invoke' injection" })
  .refine((entry) => entry.input !== 'event' || [entry.mode, entry.execution, entry.payload, entry.options, entry.incident].every((value) => value === undefined), {
    message: "'input: event' sends the event alone: no 'mode', 'execution', 'payload', 'options' or 'incident'",
  });

/** A responder function rehearsed to run out of time (lib/gameday/function-timeouts.ts). */
export const functionTimeoutSchema = z.strictObject({
  responder: z.string().regex(/^[a-z0-9-]+$/, 'a responder name such as release-instance').describe('The responder whose Lambda function runs out of time.'),
  hangsAt: z
    .string()
    .regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, 'an API name such as ec2:AssociateIamInstanceProfile')
    .describe(
      "The call that never answers (IAM style, wildcards allowed): the function's invocation stops there, the clock runs to the function's deployed timeout and the state machine sees Sandbox.Timedout. Its later calls never answer either; what it changed before stays.",
    ),
  times: z.number().int().positive().default(1).describe('How many invocations of the function stop so (the first ones that reach the call).'),
});
export type FunctionTimeoutDocument = z.output<typeof functionTimeoutSchema>;

export const APPROVAL_ANSWERS = ['approve', 'reject', 'timeout'] as const;
export type ApprovalAnswer = (typeof APPROVAL_ANSWERS)[number];

export const approvalSchema = z.strictObject({
  step: z.string().min(1).optional().describe('The approval state it answers (default: the next request).'),
  answer: z.enum(APPROVAL_ANSWERS),
  by: z.string().min(1).default('gameday-engineer').describe('Who answers (recorded in the output).'),
  answerAfterInjection: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'Hold the answer until this inject: entry (1-based) has been delivered and its executions have settled: the request stays open, its execution RUNNING, while those injections run (an update arriving while a containment waits for a person). Past the approval state\'s TimeoutSeconds on the simulated clock, the answer comes too late: States.Timeout. Needs delivery one-by-one.',
    ),
  afterRefusal: z
    .boolean()
    .optional()
    .describe(
      "true: this answer is for a request whose previous answer the approval function refused (a caller not among settings.approverArns, a principal the incident names): the request still waits, nothing was recorded or sent, and this person answers it next. Only such a refusal hands a request to an afterRefusal entry; other entries never answer it again.",
    ),
  forged: z
    .strictObject({
      as: z.string().min(1).describe('The approver the forged request context names as the caller (a listed one, say).'),
      proof: z
        .enum(['none', 'own', 'replayed'])
        .default('own')
        .describe("The caller proof sent: none; own (signed with the forger's own credentials, the best they can make); replayed (one `as` really made for another request, captured)."),
    })
    .optional()
    .describe(
      "Attack: `by` is not answering through the Function URL but invoking the approval function directly (lambda:InvokeFunction), with an event whose requestContext names `as`, for the request stored (as if read from the state table). The function must refuse it (401: the caller is not proven) and record or send nothing; an afterRefusal entry may answer next.",
    ),
  answerAfterSeconds: z
    .number()
    .int()
    .min(0)
    .max(172_800)
    .optional()
    .describe(
      "For approve or reject: the person answers this many simulated seconds after the request was sent. Past the approval state's TimeoutSeconds the answer comes too late: Step Functions has failed the task with States.Timeout and the playbook takes its onTimeout path, and the late answer still goes through the approval function, which must change nothing (review approval-late).",
    ),
});
export type ApprovalDocument = z.output<typeof approvalSchema>;

export const STEP_STATUSES = ['succeeded', 'failed', 'skipped'] as const;
export const TRIAGE_OUTCOMES = ['start-playbook', 'alert-only', 'ignore', 'invalid'] as const;

const expectedInstanceSchema = z.strictObject({
  state: z.enum(INSTANCE_STATES).optional(),
  enis: z
    .array(z.array(z.string().min(1)))
    .optional()
    .describe('Groups per ENI in device order: names, ids, or the symbols isolation / untrack.'),
  terminationProtection: z.boolean().optional(),
  stopProtection: z.boolean().optional(),
  shutdownBehavior: z.enum(SHUTDOWN_BEHAVIOURS).optional(),
  instanceProfile: z.string().min(1).nullable().optional().describe('Profile name, or null for none.'),
  tags: z.record(z.string(), z.string().nullable()).optional().describe('Tag values; null: the tag must be absent.'),
  snapshots: z.record(z.string().regex(/^\/dev\/[a-z0-9]+$/), z.number().int().min(0)).optional().describe('Snapshots per volume, by device.'),
  elasticIp: z.boolean().optional().describe('true: an Elastic IP is associated with the instance after the run (DescribeAddresses); false: none.'),
  metadata: metadataSettingsSchema.optional().describe("The instance metadata service's settings after the run (DescribeInstances MetadataOptions), the fields given."),
});

export const expectationsSchema = z.strictObject({
  outcome: z.enum(TRIAGE_OUTCOMES).optional().describe("Triage's outcome for every delivery."),
  playbook: z.string().nullable().optional().describe('The playbook triage chose (null: none).'),
  mode: z.enum(RESPONDER_MODES).optional(),
  executions: z.number().int().min(0).optional().describe('Playbook executions started.'),
  duplicates: z.number().int().min(0).optional().describe('Deliveries the dispatcher ended as duplicates.'),
  clippedDeliveries: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Dispatcher runs on the oversized-event intake's clipped copy of an event too large for the dispatcher target."),
  status: z.enum(['succeeded', 'failed']).optional().describe('Status of every playbook execution.'),
  steps: z
    .record(
      z.string().min(1).describe('A step id of the playbook, or a generated state name (Guard, WaitForApproval…).'),
      z.strictObject({
        status: z.enum(STEP_STATUSES).optional(),
        retries: z.number().int().min(0).optional().describe('State-machine retries of the step.'),
        result: z.string().min(1).optional().describe("The responder result's status (quarantined, already-quarantined...)."),
      }),
    )
    .optional(),
  instances: z.record(logicalName('instance'), expectedInstanceSchema).optional(),
  s3Objects: z
    .record(
      logicalName('S3 object'),
      z.strictObject({
        tags: z.record(z.string(), z.string().nullable()).optional().describe("The scenario version's tags; null: the tag must be absent."),
        quarantineCopies: z.number().int().min(0).optional().describe('Copies of it under firebreak-quarantine/ in its bucket.'),
        exists: z.boolean().optional().describe('true: the scenario version is still there (nothing deleted it).'),
      }),
    )
    .optional()
    .describe('The S3 objects of the environment after the run.'),
  alerts: z
    .strictObject({
      count: z.number().int().min(0).optional(),
      subjectContains: z.union([z.string(), z.array(z.string())]).optional(),
      attributes: z.record(z.string(), z.string()).optional(),
      lines: z.array(z.string().min(1)).optional().describe('Text each found in the alert body.'),
    })
    .optional()
    .describe('Alerts published; subject, attributes and lines must all hold for one same alert.'),
  chat: chatExpectationSchema.optional(),
  keptEvents: z
    .strictObject({
      count: z.number().int().min(0).optional(),
      reason: z.string().optional(),
      contains: z.array(z.string()).optional(),
    })
    .optional()
    .describe('Events kept in the unprocessable-events queue.'),
  undeliveredEvents: z
    .strictObject({
      count: z.number().int().min(0).optional(),
      errorCodes: z.array(z.string()).optional().describe('The ERROR_CODE attribute of each, in any order.'),
    })
    .optional()
    .describe("Events in the undelivered-events queue: what a rule target could not take (EventBridge's and the intake's dead-letter queue)."),
  iamUsers: z
    .record(
      z.string().min(1),
      z.strictObject({
        accessKeys: z
          .array(z.enum(['Active', 'Inactive', 'deleted']))
          .optional()
          .describe("Status of each of the keys the environment created, in creation order: 'deleted' when IAM no longer lists it."),
        attachedPolicies: z.array(z.string().min(1)).optional().describe('Names of the managed policies attached to it, exactly.'),
      }),
    )
    .optional()
    .describe("IAM users of the environment after the run."),
  iamRoles: z
    .record(
      z.string().min(1),
      z.strictObject({
        inlinePolicies: z.array(z.string().min(1)).optional().describe('Names of its inline policies, exactly.'),
        sessionCutOffs: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe(
            "How many times the run wrote the role's session deny (successful iam:PutRolePolicy of FirebreakRevokeOlderSessions, from the call log), each with a later aws:TokenIssueTime cut-off than the one before. Any role the run names (an instance profile's too).",
          ),
      }),
    )
    .optional()
    .describe('IAM roles of the environment after the run.'),
  securityHub: z
    .strictObject({
      workflowStatus: z.enum(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']).optional().describe('The workflow status of every injected finding in Security Hub.'),
      noteContains: z.union([z.string(), z.array(z.string())]).optional().describe('Text each found in the note of every injected finding.'),
      noNote: z.boolean().optional().describe('true: no note was written to any injected finding.'),
      updates: z.number().int().min(0).optional().describe('BatchUpdateFindings changes of each injected finding.'),
    })
    .optional()
    .describe('The GuardDuty findings the scenario injected, as Security Hub holds them after the run (needs environment.securityHub.enabled).'),
  unchanged: z.array(z.string().min(1)).optional().describe('Resources (by name or id) whose state must not have changed.'),
  noMutatingCalls: z.boolean().optional().describe('No EC2 or IAM call changed anything (DryRun and reads are fine).'),
  accountUnchanged: z.boolean().optional().describe("The account's whole state digest is the same before and after."),
  calls: z
    .array(
      z.strictObject({
        api: z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/),
        error: z.string().optional().describe('Only calls answered with this error code.'),
        count: z.number().int().min(0).optional(),
        atLeast: z.number().int().min(0).optional(),
        atMost: z.number().int().min(0).optional(),
      }),
    )
    .optional()
    .describe('AWS calls made, from the call log (every SDK attempt counts).'),
  containedWithinSeconds: z.number().positive().optional().describe('Simulated time from injection to the last call that contained something (an ENI isolated, an access key deactivated, the older sessions of a role revoked, an object tagged infected).'),
  fleet: fleetExpectationSchema.optional(),
  invocations: z
    .strictObject({
      count: z.number().int().min(0).optional(),
      result: z.string().min(1).optional().describe("Every direct invocation's result status (refused, dry-run, evidence-only...)."),
      error: z.string().min(1).optional().describe('Every direct invocation failed with this error name.'),
      contains: z.array(z.string().min(1)).optional().describe('Text found in every direct invocation result (its reasons, refusal, actions).'),
    })
    .optional()
    .describe("What the responders invoked directly ('invoke' injections) answered."),
  refusedAnswers: z
    .strictObject({
      count: z.number().int().min(0).optional().describe('Answers the approval function refused while their request still waited, over every execution.'),
      by: z.array(z.string().min(1)).optional().describe("Who gave them, in order (each as its approvals entry's `by`)."),
      statusCodes: z.array(z.number().int()).optional().describe('What the function answered each, in order (403: not an approver, or a principal the incident names).'),
      contains: z.array(z.string().min(1)).optional().describe("Text found in every refusal's message."),
    })
    .optional()
    .describe('Approval answers the approval function refused (nothing recorded or sent) while the request still waited: an afterRefusal entry may answer it next.'),
  notDelivered: z.number().int().min(0).optional().describe('Injected events no EventBridge rule delivered (no rule matched on their bus).'),
  dnsBlocked: z
    .strictObject({
      domains: z.array(z.string().min(1)).describe("Exactly the domains Firebreak's DNS Firewall domain list blocks after the run (each with its subdomains), in any order; [] for none."),
      vpcsOf: z.array(logicalName('instance')).optional().describe("Firebreak's rule group is associated with exactly the VPCs of these instances ([] for none)."),
    })
    .optional()
    .describe("Firebreak's DNS Firewall after the run (Route 53 Resolver, read back)."),
  quarantineBucket: z
    .strictObject({
      copies: z.number().int().min(0).optional().describe('Object versions under firebreak-quarantine/ in the quarantine bucket (settings.quarantineBucket), every account\'s.'),
      copiesOf: z
        .record(logicalName('S3 object'), z.number().int().min(0))
        .optional()
        .describe("Copies of each scenario object (the same ETag) at its own key there: firebreak-quarantine/<the object's account>/<its bucket>/<its key>."),
      taggedInfected: z.boolean().optional().describe('true: every copy there carries firebreak:malware-scan=threats-found and its firebreak:incident, and no other tag.'),
    })
    .optional()
    .describe('The quarantine bucket after the run (settings.quarantineBucket; read by its own account).'),
  forensicCopies: z
    .strictObject({
      count: z.number().int().min(0).optional().describe('Snapshots the forensic account owns that were copied from a snapshot (tagged with their source).'),
      encryptedWithForensicKey: z.boolean().optional().describe("true: every copy is encrypted with the forensic account's key (settings.forensicAccount)."),
      completed: z.boolean().optional().describe('true: every copy has completed by the end of the run.'),
      custodyRecords: z.number().int().min(0).optional().describe('Sealed custody# records in the state table that name a copy the forensic account owns.'),
      sourcesKept: z.boolean().optional().describe("true: every copy's source is still a snapshot of the scenario's instances (nothing was deleted)."),
      custodyStatus: z
        .strictObject({
          sharing: z.number().int().min(0).optional(),
          pending: z.number().int().min(0).optional(),
          completed: z.number().int().min(0).optional(),
          failed: z.number().int().min(0).optional(),
          withdrawn: z.number().int().min(0).optional(),
          'share-refused': z.number().int().min(0).optional(),
          'refused-copy-kept': z.number().int().min(0).optional(),
        })
        .optional()
        .describe(
          'custody# records per status: sharing (the intent, sealed before the share; no copy recorded yet), pending (copy not confirmed yet), completed (sealed with the final copy), failed (the copy ended in error), withdrawn (the share taken back before any copy: a drill refused mid-copy), share-refused (EC2 refused the share, proving none was made: the error and time recorded), refused-copy-kept (a drill refused after its copy started: the copy kept in the forensic account, named).',
        ),
      sharesWithdrawn: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe("custody# records saying the forensic account's share was taken back because a drill was refused mid-copy (unshare reason drill-refused, removed)."),
      sourcesShared: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe("Sources of the copies, or of the custody records, still shared with the forensic account (createVolumePermission) after the run: 0 once every completed copy's share was removed, and every withdrawn one."),
    })
    .optional()
    .describe('The forensic account after the run (needs settings.forensicAccount).'),
  deliveredBy: z
    .record(z.string().regex(/^[A-Za-z0-9]+$/), z.number().int().min(0))
    .optional()
    .describe('Deliveries per rule (GuardDutyFindingsRule, CloudWatchAlarmsRule, GameDayBusRule…).'),
  report: z
    .strictObject({
      count: z.number().int().min(0).optional().describe('Incident reports the run left (a sequence and its per-instance records are one).'),
      phases: z.array(z.enum(PHASES)).optional().describe('Phases every report has (triage, guard, approval, containment, evidence, first-alert, release).'),
      absentPhases: z.array(z.enum(PHASES)).optional().describe('Phases no report has.'),
      status: z.enum(INCIDENT_STATUSES).optional().describe("Every report's incident status."),
      statuses: z
        .partialRecord(z.enum(INCIDENT_STATUSES), z.number().int().min(0))
        .optional()
        .describe('How many reports have each incident status (open, contained, released, failed): for runs whose incidents end differently.'),
      listStatus: z
        .enum(INCIDENT_STATUSES)
        .optional()
        .describe("Every incident's status in `firebreak incidents` (the list, its credential records verified as the report verifies them): what an operator sees before opening the report."),
      lessonsContain: z.array(z.string().min(1)).optional().describe('Text found in the lessons-learned prompts of every report.'),
      followUpsContain: z.array(z.string().min(1)).optional().describe('Text found in the open follow-ups of every report.'),
      phaseEndedBy: z
        .partialRecord(z.enum(PHASES), z.string().min(1))
        .optional()
        .describe("Per phase, text found in what ended it in every report (its 'Ended by' column: the step, its status, and for containment the attempt that made the change)."),
      failedAttemptsDid: z
        .record(z.string().regex(NAME), z.array(z.string().min(1)).min(1))
        .optional()
        .describe("Per step, the calls (ec2:ModifyNetworkInterfaceAttribute…) that the record's failed entries of that step hold as done, in every report: what a failed attempt changed before it threw."),
    })
    .optional()
    .describe("The post-incident reports of the run's incident records (the same firebreak report writes)."),
});

/** A scenario's `expect` block; `EXPECTATION_EVALUATORS` (expectations.ts) has one evaluator per key. */
export type ExpectationsDocument = z.output<typeof expectationsSchema>;

export const scenarioFileSchema = z.strictObject({
  name: z.string().regex(NAME, 'a scenario name is kebab-case (lowercase words joined by -)').max(64),
  description: z.string().min(1),
  playbook: z.string().regex(NAME).nullable().describe('The playbook under test (null: none should run).'),
  tags: z.array(z.string().min(1)).default([]).describe('Free labels for listing (edge-case, approval...).'),
  pending: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Why this scenario cannot pass yet (a rail not built): it still runs and reports, its failures do not fail the game day, and it is flagged once it passes.',
    ),
  playbookFiles: z
    .array(z.string().regex(/^[A-Za-z0-9_./-]+\.ya?ml$/, 'a playbook file path relative to the scenario file (e.g. playbooks/forensic-copy.yaml)'))
    .default([])
    .describe(
      "Playbooks deployed for this scenario only, besides the shipped ones (paths relative to the scenario file); one with a shipped playbook's name replaces it. For steps that need deployment settings the shipped playbooks cannot assume (copy-evidence and its forensic account).",
    ),
  settings: settingsSchema.default(settingsSchema.parse({})),
  environment: environmentSchema.default(environmentSchema.parse({})),
  inject: z.array(injectionSchema).min(1),
  delivery: z
    .enum(['one-by-one', 'all-at-once'])
    .default('one-by-one')
    .describe('one-by-one: each delivery ends (with its playbook) before the next; all-at-once: concurrently.'),
  approvals: z.array(approvalSchema).default([]).describe('Answers to approval requests, in order.'),
  functionTimeouts: z
    .array(functionTimeoutSchema)
    .default([])
    .describe(
      "Responder functions that run out of time (local engine): at a call, the invocation stops as Lambda stops a function at its timeout, and nothing it would have done after that call happens.",
    ),
  waitAfterSeconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(0)
    .describe('Simulated time let pass after the last playbook ends, before the expectations are read (an Auto Scaling group replaces an unhealthy instance after a minute or more).'),
  expect: expectationsSchema,
});
export type ScenarioDocument = z.output<typeof scenarioFileSchema>;

/** A validated scenario and where it came from. */
export interface Scenario extends ScenarioDocument {
  /** Path of the file it was loaded from. */
  readonly file: string;
  /** The playbooks of `playbookFiles`, loaded and validated. */
  readonly ownPlaybooks?: readonly Playbook[];
}

/** The playbooks a scenario runs against: the shipped ones, with its own added (or replacing one of the same name). */
export function scenarioPlaybooks(shipped: readonly Playbook[], own: readonly Playbook[] = []): Playbook[] {
  const names = new Set(own.map((playbook) => playbook.name));
  return [...shipped.filter((playbook) => !names.has(playbook.name)), ...own];
}
