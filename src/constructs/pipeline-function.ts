import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AssetType, type IResolvable, TerraformAsset, TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';
import { HandlerBundle } from '../bundling/handler-bundle';
import {
  type AwsProviderFeatures,
  awsProviderFeaturesOf,
  DEFAULT_LAMBDA_RUNTIME,
  describeProvider,
  FEATURE_VERSIONS,
  LAMBDA_RUNTIMES,
  type LambdaRuntime,
} from '../config/aws-provider';
import { ResourceNames } from '../config/naming';
import { countWhen, isToken, isWholeNumberIn, requirePlain, Switch, whenOn } from '../core/values';
import { assumeRolePolicy, IGrantable, policyDocument, PolicyStatement } from '../iam/policy-document';
import { errorRatePercent, lambdaMetric, MetricMathSpec, MetricSpec } from '../metrics/metric';
import { QueueWithDlq } from './queue-with-dlq';

export const LAMBDA_ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type LambdaArchitecture = (typeof LAMBDA_ARCHITECTURES)[number];
export const DEFAULT_MEMORY_MB = 256;
export const DEFAULT_RESERVED_CONCURRENCY = 100;
export const DEFAULT_BATCH_SIZE = 10;
export const DEFAULT_BATCH_WINDOW_SECONDS = 1;
export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_LOG_RETENTION_DAYS = 30;
/** SQS event source mappings scale to at most 1000 concurrent invocations. */
export const MAX_EVENT_SOURCE_CONCURRENCY = 1000;

/** Sizing and scaling of one function and its event source mapping; every field optional. */
export interface FunctionSizing {
  /**
   * Memory in MB (128-10240).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout in seconds (1-900); its queue's visibility timeout and duration alarm follow it.
   * @default 30 (the pipeline's own defaults: validator 10, processor 15, dispatcher 60)
   */
  readonly timeoutSeconds?: number;
  /**
   * Records per invocation (1-10000; above 10 the batch window must be ≥ 1 s).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Seconds the event source mapping waits to fill a batch (0-300).
   * @default 1
   */
  readonly batchWindowSeconds?: number;
  /**
   * Concurrency reserved for the function: it cannot starve the account, nor be starved.
   * @default 100
   */
  readonly reservedConcurrency?: number;
  /**
   * Concurrent invocations the event source mapping may start (2-1000), at most the reserved concurrency.
   * @default the reserved concurrency
   */
  readonly maximumConcurrency?: number;
  /**
   * Instruction set.
   * @default 'arm64'
   */
  readonly architecture?: LambdaArchitecture;
}

export interface PipelineFunctionProps extends FunctionSizing {
  /** Short name, e.g. `validator`; the function is `<prefix>-<name>-<suffix>`. */
  readonly name: string;
  /** The zipped handler (`index.handler`). */
  readonly bundle: HandlerBundle;
  /** The queue whose messages invoke this function. */
  readonly source: QueueWithDlq;
  /**
   * Physical names' prefix and suffix.
   * @default webhook-…-dev
   */
  readonly names?: ResourceNames;
  /**
   * Log retention in days (a value CloudWatch Logs allows, or a plan-time token).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Active X-Ray tracing (PassThrough when off), with the X-Ray write grant only while on.
   * @default true
   */
  readonly tracing?: Switch;
  /**
   * Environment variables.
   * @default none
   */
  readonly environment?: Record<string, string>;
  /**
   * Node.js runtime: `nodejs24.x` needs hashicorp/aws 6.19 or later (@cdktf/provider-aws 21.x, @cdktn/provider-aws 25.x).
   * @default 'nodejs22.x'
   */
  readonly runtime?: LambdaRuntime;
}

/**
 * One pipeline stage: a Lambda function fed by an SQS queue through an event source mapping that
 * reports partial batch failures, with its own log group and least-privilege role. More
 * permissions come through grants (`queue.grantSend(fn)`), which land in the role's one policy.
 */
export class PipelineFunction extends Construct implements IGrantable {
  public readonly name: string;
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly eventSourceMapping: LambdaEventSourceMapping;
  /** Seconds, as given (a number or a plan-time token). */
  public readonly timeoutSeconds: number;
  public readonly reservedConcurrency: number;
  /** The role's one inline policy: its own log group, its source queue, then every grant. */
  public readonly policy: IamRolePolicy;
  private readonly statements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.name = props.name;
    const owner = `PipelineFunction ${id}`;
    const names = props.names ?? new ResourceNames();
    const tracing = props.tracing ?? true;
    this.timeoutSeconds = props.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    this.reservedConcurrency = props.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY;
    // The event source mapping's cap follows the reserve, within what SQS event sources allow (2-1000).
    const maximumConcurrency =
      props.maximumConcurrency ??
      (isToken(this.reservedConcurrency) ? this.reservedConcurrency : Math.min(this.reservedConcurrency, MAX_EVENT_SOURCE_CONCURRENCY));
    validateSizing(owner, {
      ...props,
      timeoutSeconds: this.timeoutSeconds,
      reservedConcurrency: this.reservedConcurrency,
      maximumConcurrency,
    });
    const functionName = names.of(props.name);
    const runtime = props.runtime ?? DEFAULT_LAMBDA_RUNTIME;
    validateRuntime(owner, runtime, awsProviderFeaturesOf(this));

    // Setup logging: the group exists before the function so Lambda never creates an unmanaged one.
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS,
    });

    // Setup the role: one policy, which every grant rewrites (a plain string, so HCL output can escape it).
    this.role = new IamRole(this, 'role', {
      name: names.of(props.name, 'role'),
      assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'),
    });
    const ownLogGroup: PolicyStatement = {
      Sid: 'OwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${this.logGroup.arn}:*`,
    };
    const policy = (this.policy = new IamRolePolicy(this, 'policy', {
      role: this.role.name,
      name: 'least-privilege',
      policy: policyDocument(ownLogGroup),
    }));
    this.statements.push(ownLogGroup);
    props.source.grantConsume(this);
    // X-Ray segments have no resource ARN, hence "*"; the grant exists only while tracing is on.
    if (tracing !== false) {
      new IamRolePolicy(this, 'xray-policy', {
        count: countWhen(tracing),
        role: this.role.name,
        name: 'xray-write',
        policy: policyDocument({
          Sid: 'XRayWrite',
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        }),
      });
    }

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
      runtime,
      architectures: [props.architecture ?? 'arm64'],
      handler: 'index.handler',
      filename: asset.path,
      sourceCodeHash: props.bundle.sha256Base64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: this.timeoutSeconds,
      reservedConcurrentExecutions: this.reservedConcurrency,
      environment: props.environment ? { variables: props.environment } : undefined,
      tracingConfig: { mode: whenOn(tracing, 'Active', 'PassThrough') },
      loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
      dependsOn: [this.logGroup, policy],
    });

    // Setup the event source mapping
    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'event-source', {
      eventSourceArn: props.source.queue.arn,
      functionName: this.function.arn,
      batchSize: props.batchSize ?? DEFAULT_BATCH_SIZE,
      maximumBatchingWindowInSeconds: props.batchWindowSeconds ?? DEFAULT_BATCH_WINDOW_SECONDS,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency },
      // Lambda checks the role can read the queue when the mapping is created.
      dependsOn: [policy],
    });
  }

  /**
   * Lets the function read each SSM parameter of `parameters` (key → parameter name; a plain
   * record or a plan-time map): one inline policy per entry, created with `for_each`, so that a
   * plan-time set of parameters keeps every policy a literal document with one resource.
   */
  grantReadParameterEach(
    id: string,
    parameters: Readonly<Record<string, string>> | IResolvable,
    arnOf: (parameterName: string) => string,
  ): void {
    if (!isToken(parameters) && Object.keys(parameters).length === 0) return;
    const each = TerraformIterator.fromMap(parameters as Record<string, string>);
    new IamRolePolicy(this, `${id}-policy`, {
      forEach: each,
      role: this.role.name,
      name: `read-${id}-${each.key}`,
      policy: policyDocument({
        Sid: 'ReadParameter',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: arnOf(Token.asString(each.value)),
      }),
    });
  }

  /** Adds a statement to the function role's policy. */
  addToPrincipalPolicy(statement: PolicyStatement): void {
    this.statements.push(statement);
    this.policy.policy = policyDocument(...this.statements);
  }

  metricInvocations(): MetricSpec {
    return lambdaMetric(this.function.functionName, 'Invocations', 'Sum');
  }

  metricErrors(): MetricSpec {
    return lambdaMetric(this.function.functionName, 'Errors', 'Sum');
  }

  metricErrorRate(): MetricMathSpec {
    return errorRatePercent(`${this.name} error rate (%)`, this.metricErrors(), this.metricInvocations());
  }

  metricThrottles(): MetricSpec {
    return lambdaMetric(this.function.functionName, 'Throttles', 'Sum');
  }

  metricDuration(stat = 'p99'): MetricSpec {
    return lambdaMetric(this.function.functionName, 'Duration', stat);
  }

  metricConcurrentExecutions(): MetricSpec {
    return lambdaMetric(this.function.functionName, 'ConcurrentExecutions', 'Maximum');
  }
}

/** Checks the plain sizing values against Lambda's limits; tokens are checked at plan time. */
export function validateSizing(owner: string, sizing: FunctionSizing): void {
  requirePlain(owner, 'memorySize', sizing.memorySize, isWholeNumberIn(128, 10240), 'a whole number of MB from 128 to 10240');
  requirePlain(owner, 'timeoutSeconds', sizing.timeoutSeconds, isWholeNumberIn(1, 900), 'a whole number of seconds from 1 to 900');
  requirePlain(owner, 'batchSize', sizing.batchSize, isWholeNumberIn(1, 10000), 'a whole number from 1 to 10000');
  requirePlain(owner, 'batchWindowSeconds', sizing.batchWindowSeconds, isWholeNumberIn(0, 300), 'a whole number of seconds from 0 to 300');
  requirePlain(
    owner,
    'reservedConcurrency',
    sizing.reservedConcurrency,
    isWholeNumberIn(2, 10000),
    'a whole number of at least 2 (an SQS event source mapping runs at least 2 invocations at once)',
  );
  requirePlain(owner, 'maximumConcurrency', sizing.maximumConcurrency, isWholeNumberIn(2, 1000), 'a whole number from 2 to 1000');
  requirePlain(
    owner,
    'architecture',
    sizing.architecture,
    (a) => (LAMBDA_ARCHITECTURES as readonly string[]).includes(a),
    `one of ${LAMBDA_ARCHITECTURES.join(', ')}`,
  );
  const { maximumConcurrency, reservedConcurrency, batchSize, batchWindowSeconds } = sizing;
  if (
    maximumConcurrency !== undefined &&
    reservedConcurrency !== undefined &&
    !isToken(maximumConcurrency) &&
    !isToken(reservedConcurrency) &&
    maximumConcurrency > reservedConcurrency
  ) {
    throw new Error(
      `${owner}: maximumConcurrency (${maximumConcurrency}) must not exceed reservedConcurrency (${reservedConcurrency}), or messages are throttled into the DLQ`,
    );
  }
  if (
    batchSize !== undefined &&
    !isToken(batchSize) &&
    batchSize > 10 &&
    batchWindowSeconds !== undefined &&
    !isToken(batchWindowSeconds) &&
    batchWindowSeconds < 1
  ) {
    throw new Error(`${owner}: batchSize ${batchSize} above 10 needs batchWindowSeconds of at least 1, got ${batchWindowSeconds}`);
  }
}

/** A runtime the handlers are built for and the stack's provider accepts; the error names both. */
export function validateRuntime(owner: string, runtime: string, provider: AwsProviderFeatures): void {
  if (!(LAMBDA_RUNTIMES as readonly string[]).includes(runtime)) {
    throw new Error(`${owner}: runtime must be one of ${LAMBDA_RUNTIMES.join(', ')}, got ${JSON.stringify(runtime)}`);
  }
  if (!(provider.lambdaRuntimes as readonly string[]).includes(runtime)) {
    throw new Error(
      `${owner}: runtime ${JSON.stringify(runtime)} needs hashicorp/aws ${FEATURE_VERSIONS.nodejs24} or later, and the stack has ${describeProvider(provider)}: use ${provider.lambdaRuntimes.join(' or ')}, or @cdktf/provider-aws 21.x / @cdktn/provider-aws 25.x`,
    );
  }
}
