/**
 * The managed policy that lets people call a function through its AWS_IAM Function URL, and in no
 * other way: the approval function (ApproverPolicy) and the emergency-pause function (PauserPolicy).
 * People get these policies, never `lambda:InvokeFunction` on the function itself: a direct Invoke
 * would let the caller write the request context (who is asking) that AWS fills in from the SigV4
 * signature of a URL request (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { APPROVER_IAM_ACTIONS } from '../contracts/iam-actions';

export interface FunctionUrlCallerPolicyProps {
  readonly description: string;
  /** The function whose URL the policy lets its holders call. */
  readonly functionArn: string;
  /** The two statements' Sids: calling the URL, and invoking the function through the URL only. */
  readonly sids: { readonly callUrl: string; readonly invokeThroughUrl: string };
}

/** `lambda:InvokeFunctionUrl` (AWS_IAM URLs only) and `lambda:InvokeFunction` through the URL only, on one function. */
export function functionUrlCallerPolicy(scope: Construct, id: string, props: FunctionUrlCallerPolicyProps): iam.ManagedPolicy {
  return new iam.ManagedPolicy(scope, id, {
    description: props.description,
    statements: [
      new iam.PolicyStatement({
        sid: props.sids.callUrl,
        actions: [APPROVER_IAM_ACTIONS[0]],
        resources: [props.functionArn],
        conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      }),
      new iam.PolicyStatement({
        // Since October 2025 a new Function URL also needs lambda:InvokeFunction; the condition
        // keeps it to calls through the URL.
        sid: props.sids.invokeThroughUrl,
        actions: [APPROVER_IAM_ACTIONS[1]],
        resources: [props.functionArn],
        conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      }),
    ],
  });
}
