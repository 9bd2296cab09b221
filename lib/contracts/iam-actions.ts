/**
 * IAM action sets that the stack grants and the code calls, written once: a policy and the call it
 * allows cannot drift apart.
 */

/**
 * IAM actions a person needs to answer approvals: invoking the approval function's URL. Since
 * October 2025 a new Function URL needs both actions (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
 */
export const APPROVER_IAM_ACTIONS = ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'] as const;
