import {
  architectureDiagram,
  architectureGraph,
  currentDiagram,
  DIAGRAM_END,
  DIAGRAM_START,
  renderMermaid,
  replaceDiagram,
  TerraformJson,
} from '../../../src/diagram/architecture-diagram';
import { synthJson } from '../../support/stack';

const suffix = '-${var.environment_suffix}';
const policy = (...actions: string[]) => JSON.stringify({ Statement: [{ Action: actions.length === 1 ? actions[0] : actions }] });

/** A two-stage pipeline in Terraform JSON, with just the attributes the diagram reads. */
const json: TerraformJson = {
  resource: {
    aws_api_gateway_rest_api: { api: { name: `webhook-api${suffix}` } },
    aws_api_gateway_resource: {
      hooks: { path_part: 'hooks', parent_id: '${aws_api_gateway_rest_api.api.root_resource_id}' },
      source: { path_part: '{source}', parent_id: '${aws_api_gateway_resource.hooks.id}' },
    },
    aws_api_gateway_method: { post: { http_method: 'POST' } },
    aws_api_gateway_integration: {
      sqs: {
        rest_api_id: '${aws_api_gateway_rest_api.api.id}',
        resource_id: '${aws_api_gateway_resource.source.id}',
        http_method: '${aws_api_gateway_method.post.http_method}',
        uri: 'arn:aws:apigateway:us-east-1:sqs:path/1/${aws_sqs_queue.in_queue.name}',
      },
      other: { rest_api_id: '${aws_api_gateway_rest_api.api.id}', uri: 'arn:aws:apigateway:us-east-1:lambda:path/x' },
    },
    aws_api_gateway_stage: { stage: { rest_api_id: '${aws_api_gateway_rest_api.api.id}', stage_name: 'v2' } },
    aws_sqs_queue: {
      in_queue: {
        name: `webhook-in${suffix}`,
        redrive_policy: JSON.stringify({ deadLetterTargetArn: '${aws_sqs_queue.in_dlq.arn}', maxReceiveCount: 3 }),
      },
      in_dlq: { name: `webhook-in-dlq${suffix}` },
      out_queue: { name: `webhook-out${suffix}` },
    },
    aws_lambda_event_source_mapping: {
      first: { event_source_arn: '${aws_sqs_queue.in_queue.arn}', function_name: '${aws_lambda_function.first.arn}' },
      second: { event_source_arn: '${aws_sqs_queue.out_queue.arn}', function_name: '${aws_lambda_function.second.arn}' },
    },
    aws_lambda_function: {
      first: {
        function_name: `webhook-first${suffix}`,
        role: '${aws_iam_role.first.arn}',
        environment: { variables: { NEXT_QUEUE_URL: '${aws_sqs_queue.out_queue.url}', TABLE: '${aws_dynamodb_table.t.name}' } },
      },
      second: {
        function_name: `webhook-second${suffix}`,
        role: '${aws_iam_role.second.arn}',
        environment: { variables: { TARGET: '${var.target_url}', MODE: '${var.mode}' } },
      },
    },
    aws_iam_role_policy: {
      first: { role: '${aws_iam_role.first.name}', policy: policy('sqs:SendMessage') },
      second: { role: '${aws_iam_role.second.name}', policy: policy('ssm:GetParameter', 'kms:Decrypt') },
    },
    aws_dynamodb_table: { t: { name: `webhook-records${suffix}` } },
    aws_sns_topic: { topic: { name: `webhook-alarms${suffix}` } },
    aws_cloudwatch_metric_alarm: {
      a: { alarm_actions: ['${aws_sns_topic.topic.arn}'] },
      b: { alarm_actions: ['${aws_sns_topic.topic.arn}'] },
      c: { alarm_actions: [] },
    },
    aws_sns_topic_subscription: {
      email: { topic_arn: '${aws_sns_topic.topic.arn}', protocol: 'email', endpoint: '${var.alarm_email}' },
      sms: { topic_arn: '${aws_sns_topic.topic.arn}', protocol: 'sms', endpoint: '+15550100' },
      elsewhere: { topic_arn: '${aws_sns_topic.other.arn}', protocol: 'email', endpoint: 'x@example.com' },
    },
  },
};

describe('architectureGraph', () => {
  const graph = architectureGraph(json);
  const edge = (from: string, to: string) => graph.edges.find((e) => e.from === from && e.to === to);

  test('follows the pipeline from the API: integration, redrive, event source mappings, next queues', () => {
    expect(edge('provider', 'api')).toEqual({ from: 'provider', to: 'api', label: 'POST /hooks/{source}' });
    expect(edge('api', 'in')?.label).toBe('sqs:SendMessage');
    expect(edge('in', 'inDlq')).toMatchObject({ label: 'after 3 receives', dotted: true });
    expect(edge('in', 'first')?.label).toBe('event source mapping');
    expect(edge('first', 'out')?.label).toBe('SendMessage');
    expect(edge('out', 'second')?.label).toBe('event source mapping');
    expect(graph.nodes.find((n) => n.id === 'api')?.label).toBe('API Gateway REST API<br/>stage v2');
    expect(graph.nodes.find((n) => n.id === 'inDlq')?.label).toBe('in DLQ');
  });

  test('tables, HTTPS targets and Parameter Store from environment variables and IAM policies', () => {
    expect(edge('first', 'records')).toMatchObject({ both: true });
    expect(edge('second', 'targetUrl')?.label).toBe('HTTPS POST');
    expect(edge('second', 'ssm')).toMatchObject({ dotted: true });
    expect(edge('first', 'ssm')).toBeUndefined();
    expect(graph.nodes.some((n) => n.id === 'mode')).toBe(false);
  });

  test('alarms that notify a topic, and the topic subscriptions', () => {
    expect(graph.nodes.find((n) => n.id === 'cloudwatchAlarms')?.label).toBe('2 CloudWatch alarms');
    expect(edge('cloudwatchAlarms', 'alarmsTopic')).toBeDefined();
    expect(edge('alarmsTopic', 'alarmEmail')?.label).toBe('email');
    expect(edge('alarmsTopic', 'sms')?.label).toBe('sms');
    expect(graph.edges.filter((e) => e.from === 'alarmsTopic')).toHaveLength(2);
  });

  test('an integration without its method or stage still draws', () => {
    const { aws_api_gateway_stage: _stage, aws_api_gateway_method: _method, ...rest } = json.resource!;
    const sparse = architectureGraph({
      resource: {
        ...rest,
        aws_api_gateway_integration: {
          sqs: { ...json.resource!.aws_api_gateway_integration.sqs, http_method: 'PUT', resource_id: 'root' },
        },
      },
    });
    expect(sparse.edges[0]).toMatchObject({ from: 'provider', to: 'api', label: 'PUT /' });
    expect(sparse.nodes.find((n) => n.id === 'api')?.label).toBe('API Gateway REST API');
  });

  test('a function without environment variables ends the path', () => {
    const lone = architectureGraph({
      resource: {
        ...json.resource,
        aws_lambda_function: {
          ...json.resource!.aws_lambda_function,
          first: { function_name: `webhook-first${suffix}`, role: '${aws_iam_role.first.arn}' },
        },
      },
    });
    expect(lone.edges.filter((e) => e.from === 'first')).toEqual([]);
  });

  test('an empty configuration draws nothing', () => {
    expect(architectureGraph({})).toEqual({ nodes: [], edges: [] });
  });
});

describe('renderMermaid', () => {
  test('nodes with their shapes, then edges with their styles; quotes in labels are escaped', () => {
    const text = renderMermaid({
      nodes: [
        { id: 'a', label: 'say "hi"', shape: 'external' },
        { id: 'b', label: 'b', shape: 'queue' },
        { id: 'c', label: 'c', shape: 'function' },
        { id: 'd', label: 'd', shape: 'alarms' },
      ],
      edges: [
        { from: 'a', to: 'b', label: 'x' },
        { from: 'a', to: 'c' },
        { from: 'b', to: 'c', label: 'retry', dotted: true },
        { from: 'b', to: 'd', dotted: true },
        { from: 'c', to: 'd', both: true },
        { from: 'c', to: 'b', label: 'rw', both: true },
      ],
    });
    expect(text.split('\n')).toEqual([
      'flowchart LR',
      '  a(["say #quot;hi#quot;"])',
      '  b[("b")]',
      '  c[["c"]]',
      '  d{{"d"}}',
      '  a -- "x" --> b',
      '  a --> c',
      '  b -. "retry" .-> c',
      '  b -.-> d',
      '  c <--> d',
      '  c <-- "rw" --> b',
    ]);
  });
});

describe('README block', () => {
  const readme = `# x\n\n${DIAGRAM_START}\nold\n${DIAGRAM_END}\n\nafter\n`;

  test('replaceDiagram swaps what is between the markers, currentDiagram reads it back', () => {
    const updated = replaceDiagram(readme, '```mermaid\nnew\n```');
    expect(updated).toBe(`# x\n\n${DIAGRAM_START}\n\`\`\`mermaid\nnew\n\`\`\`\n${DIAGRAM_END}\n\nafter\n`);
    expect(currentDiagram(updated)).toBe('```mermaid\nnew\n```');
  });

  test('without markers: replaceDiagram fails, currentDiagram has nothing', () => {
    expect(() => replaceDiagram('# x\n', 'y')).toThrow(/diagram:start/);
    expect(currentDiagram('# x\n')).toBeUndefined();
    expect(currentDiagram(`${DIAGRAM_END}\n${DIAGRAM_START}`)).toBeUndefined();
  });
});

describe('architectureDiagram of the real stack', () => {
  const diagram = architectureDiagram(synthJson().json);

  test('is a fenced Mermaid flowchart', () => {
    expect(diagram.startsWith('```mermaid\nflowchart LR\n')).toBe(true);
    expect(diagram.endsWith('\n```')).toBe(true);
  });

  test.each([
    ['provider -- "POST /webhooks/{source}" --> api'],
    ['api -- "sqs:SendMessage" --> ingest'],
    ['ingest -. "after 5 receives" .-> ingestDlq'],
    ['ingest -- "event source mapping" --> validator'],
    ['validator -- "SendMessage" --> process'],
    ['process -- "event source mapping" --> processor'],
    ['processor <--> idempotency'],
    ['processor -- "SendMessage" --> lanes'],
    ['lanes -. "after the retry schedule" .-> laneDlqs'],
    ['lanes -- "event source mapping" --> dispatcher'],
    ['dispatcher -- "SendMessage" --> laneDlqs'],
    // The shared deliver queue drains what 0.2.0 queued, into the same dispatcher.
    ['deliver -. "after the retry schedule" .-> deliverDlq'],
    ['deliver -- "event source mapping" --> dispatcher'],
    ['dispatcher -- "HTTPS POST, signed" --> destinations'],
    // The archive: each first-seen webhook from the processor, each attempt from the dispatcher.
    ['processor -. "webhooks" .-> archive'],
    ['dispatcher -. "attempts" .-> archive'],
    ['cloudwatchAlarms --> alarmsTopic'],
    ['alarmsTopic -- "email" --> alarmEmail'],
  ])('draws %s', (line) => {
    expect(diagram.split('\n')).toContain(`  ${line}`);
  });

  test('counts the 26 alarms and the 3 of each lane', () => {
    expect(diagram).toContain('cloudwatchAlarms{{"26 CloudWatch alarms, 3 per lane"}}');
  });
});
