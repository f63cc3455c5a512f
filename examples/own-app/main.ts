/**
 * An app that existed before the webhook pipeline: a payments stack with its own provider, backend
 * and resources. It composes the pipeline as one construct, with two sources and its own sizing.
 */
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { suppressPolicyRule, WebhookPipeline } from 'webhook-pipeline';

class PaymentsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: 'terraform.payments.tfstate' });
    new AwsProvider(this, 'aws', { region: 'eu-west-1', defaultTags: [{ tags: { Team: 'payments' } }] });

    // The app's own resources, which were here first.
    new S3Bucket(this, 'receipts', { bucketPrefix: 'payments-receipts-' });
    const sessions = new DynamodbTable(this, 'sessions', {
      name: 'payments-sessions',
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'id',
      attribute: [{ name: 'id', type: 'S' }],
      ttl: { attributeName: 'expires', enabled: true },
    });
    // The pipeline's policy check covers the whole stack; this table is deliberately without PITR.
    suppressPolicyRule(sessions, 'dynamodb-pitr', 'sessions expire within an hour; restoring them would only log users back in');

    // The pipeline, decided at plan time where the team wants to: alarms on/off per workspace.
    const alarms = new TerraformVariable(this, 'webhook_alarms', {
      type: 'bool',
      default: true,
      description: 'Create the webhook pipeline alarms (off in sandboxes).',
    });
    const webhooks = new WebhookPipeline(this, 'webhooks', {
      namePrefix: 'payments',
      environmentSuffix: 'prod',
      webhookSources: {
        stripe: { scheme: 'stripe', toleranceSeconds: 600 },
        // A secret shared with another environment, outside this pipeline's own SSM path.
        github: { scheme: 'github', secretParameter: '/shared/github-webhook-secret' },
      },
      processor: { memorySize: 512, reservedConcurrency: 20, maximumConcurrency: 10 },
      dispatcher: { timeoutSeconds: 30, batchSize: 5 },
      // Every event to the ledger; only Stripe's invoices to billing, retried for 2 days.
      deliveryUrl: 'https://payments.example.com/internal/webhooks',
      destinations: { billing: { url: 'https://billing.example.com/hooks', sources: ['stripe'], eventTypes: ['invoice.*'] } },
      deliveryRetrySchedule: [10, 300, 1800, 7200, 21600, 43200, 43200, 43200],
      alarmsEnabled: alarms.booleanValue,
      alarmEmail: 'payments-oncall@example.com',
      logRetentionDays: 90,
    });

    new TerraformOutput(this, 'stripe_webhook_url', {
      value: `${webhooks.api.webhookBaseUrl}stripe`,
      description: 'Give this URL to Stripe as the webhook endpoint.',
    });
  }
}

const app = new App();
new PaymentsStack(app, 'payments');
app.synth();
