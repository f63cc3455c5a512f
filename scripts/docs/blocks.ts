/**
 * Which generated block lives in which document, and where its content comes from. Adding a table
 * to the docs is one entry here plus its markers in the document.
 */
import { alarmDescriptionsTable, alarmKindsTable, readCatalogue } from './alarm-catalogue';
import { policyRulesTable, wildcardResourceActionsTable } from './policy-rules';
import { schemeHeadersTable } from './ingest-headers';
import { handlesTable, propsTable } from './props';
import { synthesizedStack } from './synth-stack';
import { outputsTable, variablesTable } from './terraform-reference';

export interface BlockSpec {
  /** The document, relative to the repository root. */
  readonly file: string;
  readonly id: string;
  /** What to edit to change the block, named in its BEGIN marker. */
  readonly source: string;
  readonly render: (root: string, sources: Sources) => string;
}

/** Expensive sources, built once per run however many blocks read them. */
export interface Sources {
  readonly stackJson: () => any;
  readonly catalogue: () => ReturnType<typeof readCatalogue>;
}

export function lazySources(): Sources {
  const once = <T>(make: () => T): (() => T) => {
    let value: { v: T } | undefined;
    return () => (value ??= { v: make() }).v;
  };
  return { stackJson: once(synthesizedStack), catalogue: once(readCatalogue) };
}

const PIPELINE = 'src/webhook-pipeline.ts';
const props = (file: string, name: string): BlockSpec => ({
  file: 'docs/PROPS.md',
  id: `props/${name}`,
  source: `the TSDoc of ${name} in ${file}`,
  render: (root) => propsTable(root, file, name),
});

export const BLOCKS: readonly BlockSpec[] = [
  props(PIPELINE, 'WebhookPipelineProps'),
  props('src/constructs/pipeline-function.ts', 'FunctionSizing'),
  props('src/alarms/catalogue.ts', 'AlarmThresholds'),
  props('src/config/webhook-sources.ts', 'WebhookSource'),
  props('src/config/delivery.ts', 'DeliveryDestinationProps'),
  {
    file: 'docs/PROPS.md',
    id: 'handles/WebhookPipeline',
    source: `the TSDoc of the WebhookPipeline class's public properties in ${PIPELINE}`,
    render: (root) => handlesTable(root, PIPELINE, 'WebhookPipeline'),
  },
  props('stacks/webhook-pipeline-stack.ts', 'WebhookPipelineStackProps'),
  {
    file: 'docs/VARIABLES.md',
    id: 'terraform/variables',
    source: 'stacks/pipeline-variables.ts (the synthesized stack)',
    render: (_root, sources) => variablesTable(sources.stackJson()),
  },
  {
    file: 'docs/VARIABLES.md',
    id: 'terraform/outputs',
    source: 'stacks/webhook-pipeline-stack.ts (the synthesized stack)',
    render: (_root, sources) => outputsTable(sources.stackJson()),
  },
  {
    file: 'docs/INGEST.md',
    id: 'ingest/scheme-headers',
    source: 'SCHEME_HEADERS in src/contract.ts',
    render: () => schemeHeadersTable(),
  },
  {
    file: 'docs/ALARMS.md',
    id: 'alarms/kinds',
    source: 'src/alarms/catalogue.ts (buildAlarmDefinitions over the default pipeline)',
    render: (_root, sources) => alarmKindsTable(sources.catalogue()),
  },
  {
    file: 'docs/ALARMS.md',
    id: 'alarms/descriptions',
    source: 'src/alarms/catalogue.ts (buildAlarmDefinitions over the default pipeline)',
    render: (_root, sources) => alarmDescriptionsTable(sources.catalogue()),
  },
  {
    file: 'docs/POLICY.md',
    id: 'policy/rules',
    source: 'POLICY_RULES in src/policy/rules/',
    render: () => policyRulesTable(),
  },
  {
    file: 'docs/POLICY.md',
    id: 'policy/wildcard-resource-actions',
    source: 'WILDCARD_RESOURCE_ACTIONS in src/policy/rules/iam.ts',
    render: () => wildcardResourceActionsTable(),
  },
];
