/**
 * The README's architecture picture, derived from the synthesized Terraform JSON rather than drawn
 * by hand: every node is a resource (or a variable the stack talks to) and every edge a reference
 * between them. `npm run diagram` writes it into the README between the markers below, and a test
 * fails when the README's copy is stale.
 */

import { HANDLER_ENV, LANE_DLQ_STEM, LANE_QUEUE_STEM } from '../contract';
import { parseRedrivePolicy } from '../policy/rules/relations';

export const DIAGRAM_START = '<!-- diagram:start -->';
export const DIAGRAM_END = '<!-- diagram:end -->';

/** The parts of a synthesized `cdk.tf.json` the diagram reads. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, any>>>;
}

type Shape = 'external' | 'api' | 'queue' | 'function' | 'store' | 'alarms' | 'topic';

export interface DiagramNode {
  readonly id: string;
  readonly label: string;
  readonly shape: Shape;
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  /** Dotted: a path taken only on failure or for reading configuration. */
  readonly dotted?: boolean;
  /** Both ways: reads and writes. */
  readonly both?: boolean;
}

export interface DiagramGraph {
  readonly nodes: DiagramNode[];
  readonly edges: DiagramEdge[];
}

interface Reference {
  readonly type: string;
  readonly name: string;
  readonly attribute: string;
}

/** `${type.name.attribute}`, or `${type.name[each.key].attribute}` from one for_each resource to another. */
const REFERENCE = /\$\{([a-z0-9_]+)\.([^.}\s[]+)(?:\[each\.key\])?\.([a-z0-9_]+)\}/g;
const VARIABLE = /\$\{var\.([a-z0-9_]+)\}/;
const NAME_AFFIXES = /^webhook-|-\$\{var\.environment_suffix\}$/g;

/** Every `${type.name.attribute}` reference in a value, however deeply nested. */
function referencesIn(value: unknown): Reference[] {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return [...text.matchAll(REFERENCE)].map(([, type, name, attribute]) => ({ type, name, attribute }));
}

const firstReference = (value: unknown, type: string): Reference | undefined => referencesIn(value).find((r) => r.type === type);

/** `webhook-ingest-dlq-${var.environment_suffix}` → `ingest-dlq`. */
const shortName = (name: string): string => name.replace(NAME_AFFIXES, '');

/** `ingest-dlq` → `ingestDlq`: a Mermaid node id. */
const nodeId = (name: string): string => name.replace(/[-_ ]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());

class GraphBuilder {
  readonly nodes = new Map<string, DiagramNode>();
  readonly edges: DiagramEdge[] = [];

  node(id: string, label: string, shape: Shape): string {
    if (!this.nodes.has(id)) this.nodes.set(id, { id, label, shape });
    return id;
  }

  edge(edge: DiagramEdge): void {
    if (!this.edges.some((e) => e.from === edge.from && e.to === edge.to)) this.edges.push(edge);
  }
}

/** Nodes and edges of the pipeline, in the order a webhook travels through it. */
export function architectureGraph(json: TerraformJson): DiagramGraph {
  const resources = json.resource ?? {};
  const ofType = (type: string): [string, Record<string, any>][] => Object.entries(resources[type] ?? {});
  const get = (ref: Reference | undefined) => (ref ? resources[ref.type]?.[ref.name] : undefined);
  const graph = new GraphBuilder();

  const queueNode = (name: string) => {
    // A destination's lane is one for_each: one node stands for every lane, and one for their DLQs.
    if (resources.aws_sqs_queue[name].for_each !== undefined) {
      const dlq = String(resources.aws_sqs_queue[name].name).includes(`-${LANE_DLQ_STEM}-`);
      return graph.node(dlq ? 'laneDlqs' : 'lanes', dlq ? 'lane DLQs' : 'a delivery lane per destination', 'queue');
    }
    const queue = shortName(resources.aws_sqs_queue[name].name);
    return graph.node(nodeId(queue), queue.endsWith('-dlq') ? `${queue.slice(0, -4)} DLQ` : `${queue} queue`, 'queue');
  };
  const functionNode = (name: string) => {
    const fn = shortName(resources.aws_lambda_function[name].function_name);
    return graph.node(nodeId(fn), `${fn} λ`, 'function');
  };

  // Each queue: its DLQ and its consumer; each function: where it sends, reads and writes. A
  // node's own edges come first, then the nodes downstream, so the text reads in pipeline order.
  const visited = new Set<string>();
  const visitQueue = (name: string) => {
    if (visited.has(`queue:${name}`)) return;
    visited.add(`queue:${name}`);
    const from = queueNode(name);
    const redrive = parseRedrivePolicy(resources.aws_sqs_queue[name].redrive_policy ?? '{}');
    const dlq = firstReference(redrive.deadLetterTargetArn, 'aws_sqs_queue');
    // A count decided at plan time follows the deliver queue's retry schedule.
    const receives = typeof redrive.maxReceiveCount === 'number' ? `after ${redrive.maxReceiveCount} receives` : 'after the retry schedule';
    if (dlq) graph.edge({ from, to: queueNode(dlq.name), label: receives, dotted: true });
    const consumers = ofType('aws_lambda_event_source_mapping')
      .filter(([, mapping]) => firstReference(mapping.event_source_arn, 'aws_sqs_queue')?.name === name)
      .flatMap(([, mapping]) => referencesIn(mapping.function_name).filter((r) => r.type === 'aws_lambda_function'));
    for (const fn of consumers) graph.edge({ from, to: functionNode(fn.name), label: 'event source mapping' });
    for (const fn of consumers) visitFunction(fn.name);
  };
  const visitFunction = (name: string) => {
    if (visited.has(`function:${name}`)) return;
    visited.add(`function:${name}`);
    const from = functionNode(name);
    const fn = resources.aws_lambda_function[name];
    const nextQueues: string[] = [];
    const variables: Record<string, string> = fn.environment?.variables ?? {};
    // The dispatcher (the function with a retry schedule) POSTs to the destinations.
    if (variables[HANDLER_ENV.deliveryRetrySchedule] !== undefined) {
      graph.edge({ from, to: graph.node('destinations', 'delivery destinations', 'external'), label: 'HTTPS POST, signed' });
    }
    for (const [key, value] of Object.entries(variables)) {
      // Its own queue (where it sets a failed record's next visibility) is no next stage.
      if (key === HANDLER_ENV.sourceQueueUrl) continue;
      // The lanes' URLs are templates: the queues are the lanes' for_each.
      if (key === HANDLER_ENV.laneQueueUrl || key === HANDLER_ENV.laneDeadLetterQueueUrl) {
        const stem = key === HANDLER_ENV.laneQueueUrl ? LANE_QUEUE_STEM : LANE_DLQ_STEM;
        const lane = ofType('aws_sqs_queue').find(([, q]) => q.for_each !== undefined && String(q.name).includes(`-${stem}-`));
        // The dispatcher sets its own lanes' visibility: only the DLQs are its next stage.
        if (lane && !(stem === LANE_QUEUE_STEM && variables[HANDLER_ENV.deliveryRetrySchedule] !== undefined)) {
          graph.edge({ from, to: queueNode(lane[0]), label: 'SendMessage' });
          nextQueues.push(lane[0]);
        }
        continue;
      }
      // The archive streams are named, not referenced (the name is known before the stream exists).
      if ((key === HANDLER_ENV.archiveWebhookStream || key === HANDLER_ENV.archiveAttemptStream) && value !== '') {
        const kind = key === HANDLER_ENV.archiveWebhookStream ? 'webhooks' : 'attempts';
        graph.edge({ from, to: graph.node('archive', 'event archive<br/>Firehose → S3, Athena', 'store'), label: kind, dotted: true });
        continue;
      }
      for (const ref of referencesIn(value)) {
        if (ref.type === 'aws_sqs_queue') {
          graph.edge({ from, to: queueNode(ref.name), label: 'SendMessage' });
          nextQueues.push(ref.name);
        } else if (ref.type === 'aws_dynamodb_table') {
          const table = shortName(resources.aws_dynamodb_table[ref.name].name);
          graph.edge({ from, to: graph.node(nodeId(table), `DynamoDB ${table} table`, 'store'), both: true });
        }
      }
      const variable = VARIABLE.exec(value)?.[1];
      if (variable?.endsWith('_url')) graph.edge({ from, to: graph.node(nodeId(variable), variable, 'external'), label: 'HTTPS POST' });
    }
    // Secrets: what the function's role may read from Parameter Store.
    const role = firstReference(fn.role, 'aws_iam_role');
    const readsParameters = ofType('aws_iam_role_policy').some(
      ([, policy]) =>
        firstReference(policy.role, 'aws_iam_role')?.name === role?.name &&
        JSON.parse(policy.policy).Statement.some((s: { Action: string | string[] }) => [s.Action].flat().includes('ssm:GetParameter')),
    );
    if (readsParameters) {
      graph.edge({ from, to: graph.node('ssm', 'SSM Parameter Store', 'store'), label: 'secrets', dotted: true });
    }
    for (const queue of nextQueues) visitQueue(queue);
  };

  for (const [, integration] of ofType('aws_api_gateway_integration')) {
    const queue = firstReference(integration.uri, 'aws_sqs_queue');
    const restApi = firstReference(integration.rest_api_id, 'aws_api_gateway_rest_api');
    if (!queue || !restApi) continue;
    const stage = ofType('aws_api_gateway_stage').find(
      ([, s]) => firstReference(s.rest_api_id, 'aws_api_gateway_rest_api')?.name === restApi.name,
    );
    const provider = graph.node('provider', 'Webhook provider', 'external');
    const api = graph.node('api', `API Gateway REST API${stage ? `<br/>stage ${stage[1].stage_name}` : ''}`, 'api');
    const method = get(firstReference(integration.http_method, 'aws_api_gateway_method'))?.http_method ?? integration.http_method;
    graph.edge({ from: provider, to: api, label: `${method} ${resourcePath(resources, integration.resource_id)}` });
    graph.edge({ from: api, to: queueNode(queue.name), label: 'sqs:SendMessage' });
    visitQueue(queue.name);
  }

  // A queue no stage sends to any more (the shared deliver queue, which drains what was queued
  // before the lanes) still has its consumer.
  for (const [name] of ofType('aws_sqs_queue')) {
    const consumed = ofType('aws_lambda_event_source_mapping').some(
      ([, m]) => firstReference(m.event_source_arn, 'aws_sqs_queue')?.name === name,
    );
    if (consumed) visitQueue(name);
  }

  // Alarms → topic → subscriptions.
  // A for_each alarm is one per instance: per delivery lane.
  const alarmsByTopic = new Map<string, { count: number; perLane: number }>();
  for (const [, alarm] of ofType('aws_cloudwatch_metric_alarm')) {
    const topic = firstReference(alarm.alarm_actions, 'aws_sns_topic');
    if (!topic) continue;
    const counted = alarmsByTopic.get(topic.name) ?? { count: 0, perLane: 0 };
    if (alarm.for_each === undefined) counted.count += 1;
    else counted.perLane += 1;
    alarmsByTopic.set(topic.name, counted);
  }
  for (const [topicName, { count, perLane }] of alarmsByTopic) {
    const label = perLane > 0 ? `${count} CloudWatch alarms, ${perLane} per lane` : `${count} CloudWatch alarms`;
    const alarms = graph.node('cloudwatchAlarms', label, 'alarms');
    const topicShortName = shortName(resources.aws_sns_topic[topicName].name);
    const topic = graph.node(`${nodeId(topicShortName)}Topic`, `SNS topic ${topicShortName}`, 'topic');
    graph.edge({ from: alarms, to: topic });
    for (const [, subscription] of ofType('aws_sns_topic_subscription')) {
      if (firstReference(subscription.topic_arn, 'aws_sns_topic')?.name !== topicName) continue;
      const endpoint = VARIABLE.exec(subscription.endpoint)?.[1] ?? subscription.protocol;
      graph.edge({ from: topic, to: graph.node(nodeId(endpoint), endpoint, 'external'), label: subscription.protocol });
    }
  }

  return { nodes: [...graph.nodes.values()], edges: graph.edges };
}

/** `/webhooks/{source}`: the path parts from an API resource up to the API's root. */
function resourcePath(resources: NonNullable<TerraformJson['resource']>, resourceId: string): string {
  const parts: string[] = [];
  let ref = firstReference(resourceId, 'aws_api_gateway_resource');
  while (ref) {
    const resource = resources.aws_api_gateway_resource[ref.name];
    parts.unshift(resource.path_part);
    ref = firstReference(resource.parent_id, 'aws_api_gateway_resource');
  }
  return `/${parts.join('/')}`;
}

const SHAPES: Record<Shape, [string, string]> = {
  external: ['([', '])'],
  api: ['[', ']'],
  queue: ['[(', ')]'],
  function: ['[[', ']]'],
  store: ['[(', ')]'],
  alarms: ['{{', '}}'],
  topic: ['[', ']'],
};

/** Mermaid's `#quot;` stands for a double quote inside a quoted label. */
const quoted = (text: string) => `"${text.replace(/"/g, '#quot;')}"`;

/** The graph as a Mermaid flowchart: nodes first, then edges. */
export function renderMermaid(graph: DiagramGraph): string {
  const lines = ['flowchart LR'];
  for (const node of graph.nodes) {
    const [open, close] = SHAPES[node.shape];
    lines.push(`  ${node.id}${open}${quoted(node.label)}${close}`);
  }
  for (const edge of graph.edges) {
    const label = edge.label ? quoted(edge.label) : undefined;
    let arrow: string;
    if (edge.both) arrow = label ? `<-- ${label} -->` : '<-->';
    else if (edge.dotted) arrow = label ? `-. ${label} .->` : '-.->';
    else arrow = label ? `-- ${label} -->` : '-->';
    lines.push(`  ${edge.from} ${arrow} ${edge.to}`);
  }
  return lines.join('\n');
}

/** The fenced Mermaid block for the README. */
export function architectureDiagram(json: TerraformJson): string {
  return ['```mermaid', renderMermaid(architectureGraph(json)), '```'].join('\n');
}

/** `readme` with the text between the diagram markers replaced by `diagram`. */
export function replaceDiagram(readme: string, diagram: string): string {
  const start = readme.indexOf(DIAGRAM_START);
  const end = readme.indexOf(DIAGRAM_END);
  if (start < 0 || end < start) throw new Error(`README has no ${DIAGRAM_START} … ${DIAGRAM_END} block`);
  return `${readme.slice(0, start + DIAGRAM_START.length)}\n${diagram}\n${readme.slice(end)}`;
}

/** The diagram currently between the markers, or undefined without markers. */
export function currentDiagram(readme: string): string | undefined {
  const start = readme.indexOf(DIAGRAM_START);
  const end = readme.indexOf(DIAGRAM_END);
  return start < 0 || end < start ? undefined : readme.slice(start + DIAGRAM_START.length, end).trim();
}
