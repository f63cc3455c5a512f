/**
 * The facts the policy rules read: every resource and provider of one synthesized stack, as
 * Terraform will see them (snake_case attributes, tokens resolved to `${…}` references), each
 * with the construct path it came from, so a violation can name the construct to fix.
 */

/** One resource block of the synthesized configuration. */
export interface ResourceFacts {
  /** Terraform type, e.g. `aws_sqs_queue`. */
  readonly type: string;
  /** Logical id, e.g. `ingest_queue_EF5313B4`. */
  readonly name: string;
  /** `<type>.<name>`, as other resources refer to it. */
  readonly address: string;
  /** Construct path, e.g. `webhook-pipeline/ingest/queue`. */
  readonly path: string;
  /** Attributes as synthesized (snake_case), metadata removed. */
  readonly config: Readonly<Record<string, any>>;
}

/** One provider block (a provider may appear several times, with aliases). */
export interface ProviderFacts {
  /** Provider name, e.g. `aws`. */
  readonly type: string;
  /** `provider.aws` or `provider.aws.<alias>`. */
  readonly address: string;
  readonly path: string;
  readonly config: Readonly<Record<string, any>>;
}

/** A reference to a resource attribute found inside a Terraform expression. */
export interface Reference {
  readonly address: string;
  readonly attribute: string;
}

/** The Terraform JSON a stack synthesizes (only the parts the rules read). */
export interface SynthesizedConfig {
  readonly resource?: Record<string, Record<string, Record<string, any>>>;
  readonly provider?: Record<string, Array<Record<string, any>>>;
}

/**
 * `type.name.attribute` inside `${…}`. Resource types have a provider prefix (`aws_…`), which
 * `var`, `local` and `data` lack; the look-behind keeps a match from starting mid-traversal, as
 * in `data.aws_partition.partition.partition`.
 */
const REFERENCE = /(?<![\w.-])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)\.([a-z_][a-z0-9_]*)/g;
const INTERPOLATION = /\$\{([^}]*)\}/g;

/** Every resource reference in a value (strings, arrays and objects, recursively). */
export function referencesIn(value: unknown): Reference[] {
  if (typeof value === 'string') {
    const found: Reference[] = [];
    for (const [, expression] of value.matchAll(INTERPOLATION)) {
      for (const [, type, name, attribute] of expression.matchAll(REFERENCE)) {
        found.push({ address: `${type}.${name}`, attribute });
      }
    }
    return found;
  }
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(referencesIn);
  return [];
}

/** Whether `value` refers to `resource`, through `attribute` when one is given. */
export function refersTo(value: unknown, resource: ResourceFacts, attribute?: string): boolean {
  return referencesIn(value).some((ref) => ref.address === resource.address && (attribute === undefined || ref.attribute === attribute));
}

/**
 * A nested block as the rules want it: cdktf writes single blocks as objects, raw overrides and
 * other tools may write them as one-element lists.
 */
export function block(value: unknown): Record<string, any> | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first !== null && typeof first === 'object' ? (first as Record<string, any>) : undefined;
}

export class TerraformModel {
  public readonly resources: readonly ResourceFacts[];
  public readonly providers: readonly ProviderFacts[];
  private readonly byAddress: ReadonlyMap<string, ResourceFacts>;

  /**
   * @param config the stack's synthesized configuration (`TerraformStack.toTerraform()`)
   * @param providerPaths construct path of each provider block, keyed by its address
   *   (`provider.aws`, `provider.aws.<alias>`): provider blocks carry no construct metadata
   */
  constructor(config: SynthesizedConfig, providerPaths: ReadonlyMap<string, string> = new Map()) {
    this.resources = Object.entries(config.resource ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName).map(([name, { '//': metadata, ...attributes }]) => ({
        type,
        name,
        address: `${type}.${name}`,
        path: metadata?.metadata?.path ?? `${type}.${name}`,
        config: attributes,
      })),
    );
    this.providers = Object.entries(config.provider ?? {}).flatMap(([type, blocks]) =>
      blocks.map((providerConfig) => {
        const address = providerConfig.alias ? `provider.${type}.${providerConfig.alias}` : `provider.${type}`;
        return { type, address, path: providerPaths.get(address) ?? address, config: providerConfig };
      }),
    );
    this.byAddress = new Map(this.resources.map((r) => [r.address, r]));
  }

  ofType(type: string): ResourceFacts[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** Resources of `type` that `value` refers to (through `attribute` when given), in order. */
  referenced(value: unknown, type: string, attribute?: string): ResourceFacts[] {
    const found = referencesIn(value)
      .filter((ref) => attribute === undefined || ref.attribute === attribute)
      .map((ref) => this.byAddress.get(ref.address))
      .filter((r): r is ResourceFacts => r !== undefined && r.type === type);
    return [...new Set(found)];
  }
}
