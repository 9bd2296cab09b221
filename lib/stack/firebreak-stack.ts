/**
 * The app's Firebreak stack, deployed into the security account, one per region: a stack holding
 * the Firebreak construct (lib/stack/firebreak.ts), whose resources keep the logical ids the stack
 * had before it was a composition of constructs (lib/stack/logical-ids.ts), so that updating an
 * existing deployment changes nothing that was deployed.
 */
import type { CfnElement, StackProps } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FirebreakProps } from './firebreak';
import { Firebreak } from './firebreak';
import { asIfUngrouped } from './logical-ids';

export interface FirebreakStackProps extends StackProps, FirebreakProps {}

/** Firebreak in one region of the security account, as the app deploys it. */
export class FirebreakStack extends Stack {
  public readonly firebreak: Firebreak;

  constructor(scope: Construct, id: string, props: FirebreakStackProps = {}) {
    super(scope, id, {
      ...props,
      description: props.description ?? 'Firebreak: automated incident response for GuardDuty findings and CloudWatch alarms',
      // CloudFormation takes a template of at most 1 MB, counted as uploaded. Written indented, the
      // shipped playbooks' template was about 822 KB, so a handful of a team's own playbooks would
      // have failed the deployment; written compact it is about 692 KB (`cdk diff` compares parsed
      // templates, so reviews lose nothing). test/stack/app.test.ts keeps a budget on it.
      suppressTemplateIndentation: props.suppressTemplateIndentation ?? true,
    });
    this.firebreak = new Firebreak(this, 'Firebreak', props);
  }

  /** The CDK's own logical ids, computed as if Firebreak's groupings were not there. */
  protected override allocateLogicalId(element: CfnElement): string {
    return super.allocateLogicalId(asIfUngrouped(this, element));
  }
}
