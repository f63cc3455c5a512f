import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { TerraformAsset, AssetType, Token } from 'cdktf';
import { Construct } from 'constructs';
import { HandlerBundle } from '../bundling/bundle-handler';
import { resourceName } from '../config/naming';
import { assumeRolePolicy, policyDocument, PolicyStatement } from '../iam/policy-document';
import { QueueWithDlq } from './queue-with-dlq';

export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_ARCHITECTURE = 'arm64';
export const RESERVED_CONCURRENCY = 100;

export interface PipelineFunctionProps {
  /** Short name, e.g. `validator`; the function is `webhook-<name>-<suffix>`. */
  readonly name: string;
  readonly bundle: HandlerBundle;
  /** The queue whose messages invoke this function. */
  readonly source: QueueWithDlq;
  /** Timeout in seconds (a number or a plan-time token). */
  readonly timeoutSeconds: number;
  /** Log retention in days (a number or a plan-time token). */
  readonly logRetentionDays: number;
  /** Terraform expression (without `${}`) that is true when X-Ray tracing is active. */
  readonly tracingEnabledExpression: string;
  readonly environment: Record<string, string>;
  /** What the function may do beyond reading its source queue and writing its own logs. */
  readonly statements: readonly PolicyStatement[];
  /**
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Records per invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Seconds the event source mapping waits to fill a batch.
   * @default 1
   */
  readonly batchWindowSeconds?: number;
  /**
   * Concurrent invocations the event source mapping may start; at most the reserved concurrency.
   * @default 100
   */
  readonly maximumConcurrency?: number;
}

/**
 * One pipeline stage: a Lambda function fed by an SQS queue through an event source mapping that
 * reports partial batch failures, with its own log group and least-privilege role.
 */
export class PipelineFunction extends Construct {
  public readonly name: string;
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly eventSourceMapping: LambdaEventSourceMapping;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.name = props.name;
    const maximumConcurrency = props.maximumConcurrency ?? RESERVED_CONCURRENCY;
    if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < 2 || maximumConcurrency > RESERVED_CONCURRENCY) {
      throw new Error(
        `PipelineFunction ${id}: maximumConcurrency must be a whole number from 2 to the reserved concurrency (${RESERVED_CONCURRENCY}), got ${maximumConcurrency}`,
      );
    }
    const functionName = resourceName(props.name);

    // Setup logging: the group exists before the function so Lambda never creates an unmanaged one.
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    // Setup the role
    this.role = new IamRole(this, 'role', {
      name: resourceName(props.name, 'role'),
      assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'),
    });
    const policy = new IamRolePolicy(this, 'policy', {
      role: this.role.name,
      name: 'least-privilege',
      policy: policyDocument(
        {
          Sid: 'OwnLogGroup',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `${this.logGroup.arn}:*`,
        },
        {
          Sid: 'ConsumeSourceQueue',
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
          Resource: props.source.queue.arn,
        },
        ...props.statements,
      ),
    });
    // X-Ray segments have no resource ARN, hence "*"; the grant exists only while tracing is on.
    new IamRolePolicy(this, 'xray-policy', {
      count: Token.asNumber(`\${${props.tracingEnabledExpression} ? 1 : 0}`),
      role: this.role.name,
      name: 'xray-write',
      policy: policyDocument({
        Sid: 'XRayWrite',
        Effect: 'Allow',
        Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        Resource: '*',
      }),
    });

    // Setup the function
    const asset = new TerraformAsset(this, 'code', {
      path: props.bundle.zipPath,
      type: AssetType.FILE,
      assetHash: props.bundle.sha256Hex,
    });
    this.function = new LambdaFunction(this, 'function', {
      functionName,
      description: `Webhook pipeline ${props.name}`,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: [LAMBDA_ARCHITECTURE],
      handler: 'index.handler',
      filename: asset.path,
      sourceCodeHash: props.bundle.sha256Base64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: RESERVED_CONCURRENCY,
      environment: { variables: props.environment },
      tracingConfig: { mode: `\${${props.tracingEnabledExpression} ? "Active" : "PassThrough"}` },
      loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
      dependsOn: [this.logGroup, policy],
    });

    // Setup the event source mapping
    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'event-source', {
      eventSourceArn: props.source.queue.arn,
      functionName: this.function.arn,
      batchSize: props.batchSize ?? 10,
      maximumBatchingWindowInSeconds: props.batchWindowSeconds ?? 1,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency },
      // Lambda checks the role can read the queue when the mapping is created.
      dependsOn: [policy],
    });
  }
}
