/** An IAM policy statement; resources may hold unresolved CDKTF tokens. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  /** Omitted only in trust policies, which name no resource. */
  readonly Resource?: string | string[];
  readonly Principal?: Record<string, string | string[]> | '*';
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * Serializes a policy. Tokens inside the strings survive JSON.stringify and resolve to
 * Terraform references at synth, so the policy reads as plain JSON in the synthesized output.
 */
export function policyDocument(...statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** Trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
  return policyDocument({
    Effect: 'Allow',
    Principal: { Service: service },
    Action: 'sts:AssumeRole',
  });
}

/** Statement denying any request not made over TLS (SQS, SNS). */
export function denyInsecureTransport(action: string, resource: string): PolicyStatement {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: action,
    Resource: resource,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/** Something that can be granted permissions: a principal whose policy takes more statements. */
export interface IGrantable {
  addToPrincipalPolicy(statement: PolicyStatement): void;
}
