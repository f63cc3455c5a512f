import { ApiGatewayAccount } from '@cdktf/provider-aws/lib/api-gateway-account';
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayIntegrationResponse } from '@cdktf/provider-aws/lib/api-gateway-integration-response';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodResponse } from '@cdktf/provider-aws/lib/api-gateway-method-response';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayRequestValidator } from '@cdktf/provider-aws/lib/api-gateway-request-validator';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Fn, ref, TerraformResource, Token } from 'cdktf';
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { isToken } from '../core/values';
import {
  ACCEPTED_RESPONSE_TEMPLATE,
  ACCESS_LOG_FORMAT,
  escapeTerraformTemplate,
  ingestRequestTemplate,
  rejectedResponseTemplate,
  UNAVAILABLE_RESPONSE_TEMPLATE,
} from '../api/ingest-template';
import { CLASSIC_MAX_MESSAGE_BYTES } from '../config/aws-provider';
import { ResourceNames } from '../config/naming';
import { countWhen, requirePlain, Switch, switchValue } from '../core/values';
import { assumeRolePolicy, policyDocument } from '../iam/policy-document';
import { apiGatewayMetric, MetricSpec } from '../metrics/metric';

export const STAGE_NAME = 'v1';

/**
 * How SQS's answer maps to the caller's: SQS's status class is kept (a 4xx such as an oversized
 * message stays 4xx, a 5xx stays 5xx), and anything unexpected is a 500, never a 2xx.
 */
const responses = (maxMessageBytes: number) =>
  [
    { statusCode: '202', selectionPattern: '2\\d{2}', template: ACCEPTED_RESPONSE_TEMPLATE },
    { statusCode: '400', selectionPattern: '4\\d{2}', template: rejectedResponseTemplate(maxMessageBytes) },
    { statusCode: '502', selectionPattern: '5\\d{2}', template: UNAVAILABLE_RESPONSE_TEMPLATE },
    { statusCode: '500', selectionPattern: undefined, template: UNAVAILABLE_RESPONSE_TEMPLATE },
  ] as const;

export const DEFAULT_THROTTLE_RATE_LIMIT = 100;
export const DEFAULT_THROTTLE_BURST_LIMIT = 200;

const SOURCE_SCHEMES_MARK = '@@SOURCE_SCHEMES@@';

export interface WebhookApiProps {
  /** Where every webhook is stored. */
  readonly ingestQueue: SqsQueue;
  /**
   * JSON object of source name → signature scheme (plain text or a plan-time token): the sources
   * API Gateway stores, each with its scheme's headers. Any other source is answered 400 unstored.
   */
  readonly sourceSchemes: string;
  /** The account of the queue: part of the integration's SQS path. */
  readonly accountId: string;
  readonly region: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: usually `DataAwsPartition.partition`. */
  readonly partition: string;
  /**
   * Physical names' prefix and suffix: the API is `<prefix>-api-<suffix>`.
   * @default webhook-api-dev
   */
  readonly names?: ResourceNames;
  /**
   * X-Ray tracing on the stage.
   * @default true
   */
  readonly tracing?: Switch;
  /**
   * Retention of the access log, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Steady-state requests per second the stage accepts.
   * @default 100
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of requests the stage accepts.
   * @default 200
   */
  readonly throttleBurstLimit?: number;
  /**
   * Whether this API manages the account-wide API Gateway setting that names the CloudWatch Logs
   * role every stage in the account and region logs through (`aws_api_gateway_account`). Exactly
   * one environment per account and region should: the others set `false` and use its role.
   * @default true
   */
  readonly manageAccountLogging?: Switch;
  /**
   * The ingest queue's `max_message_size`, which the 4xx answer states as the limit.
   * @default the ingest queue's `maxMessageSize` when set as a number, else 262144
   */
  readonly maxMessageBytes?: number;
}

/**
 * `POST /webhooks/{source}` stored straight into the ingest queue (storage-first: no Lambda in the
 * request path), with a validated path parameter, JSON-only bodies, an access log, throttling,
 * detailed metrics and optional X-Ray.
 */
export class WebhookApi extends Construct {
  public readonly api: ApiGatewayRestApi;
  public readonly stage: ApiGatewayStage;
  public readonly integrationRole: IamRole;
  public readonly accessLogGroup: CloudwatchLogGroup;
  /** Base URL to which `<source>` is appended. */
  public readonly webhookBaseUrl: string;
  /** The account-wide logging role and setting; absent when `manageAccountLogging` is `false`. */
  public readonly accountLogging?: ApiGatewayCloudWatchRole;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const names = props.names ?? new ResourceNames();
    const throttleRateLimit = props.throttleRateLimit ?? DEFAULT_THROTTLE_RATE_LIMIT;
    const throttleBurstLimit = props.throttleBurstLimit ?? DEFAULT_THROTTLE_BURST_LIMIT;
    requirePlain(`WebhookApi ${id}`, 'throttleRateLimit', throttleRateLimit, (n) => n > 0, 'a positive number');
    requirePlain(
      `WebhookApi ${id}`,
      'throttleBurstLimit',
      throttleBurstLimit,
      (n) => Number.isInteger(n) && n >= 1,
      'a whole number of at least 1',
    );
    const apiName = names.of('api');

    // Setup the API and route
    this.api = new ApiGatewayRestApi(this, 'api', {
      name: apiName,
      description: 'Receives webhooks and stores them in SQS',
      endpointConfiguration: { types: ['REGIONAL'] },
    });
    const webhooks = new ApiGatewayResource(this, 'webhooks', {
      restApiId: this.api.id,
      parentId: this.api.rootResourceId,
      pathPart: 'webhooks',
    });
    const source = new ApiGatewayResource(this, 'source', {
      restApiId: this.api.id,
      parentId: webhooks.id,
      pathPart: '{source}',
    });
    const validator = new ApiGatewayRequestValidator(this, 'validator', {
      restApiId: this.api.id,
      name: 'path-parameters',
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    // Webhook providers authenticate by signature, verified downstream; the API itself is open.
    const method = new ApiGatewayMethod(this, 'post', {
      restApiId: this.api.id,
      resourceId: source.id,
      httpMethod: 'POST',
      authorization: 'NONE',
      requestValidatorId: validator.id,
      requestParameters: { 'method.request.path.source': true },
    });

    // Setup the SQS integration and its role
    this.integrationRole = new IamRole(this, 'sqs-role', {
      name: names.of('apigw-sqs'),
      assumeRolePolicy: assumeRolePolicy('apigateway.amazonaws.com'),
    });
    const sendPolicy = new IamRolePolicy(this, 'sqs-send', {
      role: this.integrationRole.name,
      name: 'send-to-ingest-queue',
      policy: policyDocument({
        Sid: 'SendToIngestQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: props.ingestQueue.arn,
      }),
    });
    // The template is escaped for Terraform before the source table goes in: the table may be a
    // plan-time expression, which must stay one.
    const requestTemplate = escapeTerraformTemplate(
      (ingestRequestTemplate as (options: { sourceSchemes: string }) => string)({ sourceSchemes: SOURCE_SCHEMES_MARK }),
    ).replace(SOURCE_SCHEMES_MARK, () => props.sourceSchemes);
    const integration = new ApiGatewayIntegration(this, 'sqs-integration', {
      restApiId: this.api.id,
      resourceId: source.id,
      httpMethod: method.httpMethod,
      type: 'AWS',
      integrationHttpMethod: 'POST',
      uri: `arn:${props.partition}:apigateway:${props.region}:sqs:path/${props.accountId}/${props.ingestQueue.name}`,
      credentials: this.integrationRole.arn,
      requestParameters: { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" },
      // Only JSON is mapped; any other content type is answered 415 and never stored.
      passthroughBehavior: 'NEVER',
      requestTemplates: { 'application/json': requestTemplate },
      dependsOn: [sendPolicy],
    });
    const queueLimit = props.ingestQueue.maxMessageSizeInput;
    const answers = responses(
      props.maxMessageBytes ?? (typeof queueLimit === 'number' && !isToken(queueLimit) ? queueLimit : CLASSIC_MAX_MESSAGE_BYTES),
    );
    const integrationResponses = answers.map(({ statusCode, selectionPattern, template }) => {
      const methodResponse = new ApiGatewayMethodResponse(this, `response-${statusCode}`, {
        restApiId: this.api.id,
        resourceId: source.id,
        httpMethod: method.httpMethod,
        statusCode,
        responseModels: { 'application/json': 'Empty' },
      });
      return new ApiGatewayIntegrationResponse(this, `integration-response-${statusCode}`, {
        restApiId: this.api.id,
        resourceId: source.id,
        httpMethod: method.httpMethod,
        statusCode,
        selectionPattern,
        responseTemplates: { 'application/json': escapeTerraformTemplate(template) },
        dependsOn: [integration, methodResponse],
      });
    });

    // Setup deployment: redeploy whenever the route, integration or templates change.
    // The template's text is hashed before the source table goes in (a token's text is not
    // stable); the table itself is a trigger, so a change of sources at plan time redeploys too.
    const templateText = escapeTerraformTemplate(ingestRequestTemplate({ sourceSchemes: SOURCE_SCHEMES_MARK }));
    const definitionHash = createHash('sha256')
      .update(JSON.stringify({ templateText, RESPONSES: answers }))
      .digest('hex');
    // A plain table goes in hashed: cdktf does not escape the quotes of a string inside Fn.jsonencode.
    const sourcesTrigger = isToken(props.sourceSchemes)
      ? props.sourceSchemes
      : createHash('sha256').update(props.sourceSchemes).digest('hex');
    const deployment = new ApiGatewayDeployment(this, 'deployment', {
      restApiId: this.api.id,
      triggers: {
        redeployment: Fn.sha1(
          Fn.jsonencode([webhooks.id, source.id, method.id, integration.id, validator.id, definitionHash, sourcesTrigger]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [integration, ...integrationResponses],
    });

    // Setup the stage: access log, tracing, throttling and detailed metrics
    const manageAccountLogging = props.manageAccountLogging ?? true;
    this.accountLogging =
      manageAccountLogging === false
        ? undefined
        : new ApiGatewayCloudWatchRole(this, 'account-logging', { ...props, names, manageAccountLogging });
    this.accessLogGroup = new CloudwatchLogGroup(this, 'access-log', {
      name: `/aws/apigateway/${apiName}`,
      retentionInDays: props.logRetentionDays ?? 30,
    });
    this.stage = new ApiGatewayStage(this, 'stage', {
      restApiId: this.api.id,
      deploymentId: deployment.id,
      stageName: STAGE_NAME,
      xrayTracingEnabled: switchValue(props.tracing ?? true),
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: this.accountLogging ? [this.accountLogging.account] : undefined,
    });
    new ApiGatewayMethodSettings(this, 'method-settings', {
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: '*/*',
      settings: {
        metricsEnabled: true,
        loggingLevel: 'ERROR',
        dataTraceEnabled: false,
        throttlingRateLimit: throttleRateLimit,
        throttlingBurstLimit: throttleBurstLimit,
      },
    });
    this.webhookBaseUrl = `${this.stage.invokeUrl}/webhooks/`;
  }

  /** Requests the stage answered. */
  metricCount(): MetricSpec {
    return this.metric('Count', 'Sum');
  }

  /** Share of requests answered 4xx (Average is already a 0-1 rate) or, with `Sum`, their number. */
  metricClientErrors(stat = 'Average'): MetricSpec {
    return this.metric('4XXError', stat);
  }

  /** Share of requests answered 5xx (Average is already a 0-1 rate) or, with `Sum`, their number. */
  metricServerErrors(stat = 'Average'): MetricSpec {
    return this.metric('5XXError', stat);
  }

  metricLatency(stat = 'p99'): MetricSpec {
    return this.metric('Latency', stat);
  }

  /** Time spent in the SQS integration. */
  metricIntegrationLatency(stat = 'p99'): MetricSpec {
    return this.metric('IntegrationLatency', stat);
  }

  private metric(metricName: string, stat: string): MetricSpec {
    return apiGatewayMetric(this.api.name, this.stage.stageName, metricName, stat);
  }
}

/**
 * API Gateway writes stage logs through one account-wide role; without it, creating a stage with
 * access logging fails. Managing it here makes a fresh account deployable. With a plan-time switch
 * all three resources get a `count`, and references go to instance 0.
 */
export class ApiGatewayCloudWatchRole extends Construct {
  public readonly role: IamRole;
  public readonly account: ApiGatewayAccount;

  constructor(
    scope: Construct,
    id: string,
    props: WebhookApiProps & { readonly names: ResourceNames; readonly manageAccountLogging: Switch },
  ) {
    super(scope, id);
    const count = countWhen(props.manageAccountLogging);
    const attribute = (resource: TerraformResource, name: string) =>
      count === undefined ? Token.asString(resource.getStringAttribute(name)) : Token.asString(ref(`${resource.fqn}[0].${name}`));
    this.role = new IamRole(this, 'role', {
      count,
      name: props.names.of('apigw-cloudwatch'),
      assumeRolePolicy: assumeRolePolicy('apigateway.amazonaws.com'),
    });
    // Execution and access logs of any API in the account go through this role, so it is scoped
    // to this account and region's log groups rather than to one group.
    const policy = new IamRolePolicy(this, 'policy', {
      count,
      role: attribute(this.role, 'name'),
      name: 'push-to-cloudwatch-logs',
      policy: policyDocument({
        Sid: 'WriteApiGatewayLogs',
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:DescribeLogGroups',
          'logs:DescribeLogStreams',
          'logs:PutLogEvents',
          'logs:GetLogEvents',
          'logs:FilterLogEvents',
        ],
        Resource: `arn:${props.partition}:logs:${props.region}:${props.accountId}:*`,
      }),
    });
    this.account = new ApiGatewayAccount(this, 'account', {
      count,
      cloudwatchRoleArn: attribute(this.role, 'arn'),
      dependsOn: [policy],
    });
  }
}
