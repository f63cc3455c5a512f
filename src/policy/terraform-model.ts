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
  /** Locals, for a `for_each` over `local.<name>` whose value is known at synth. */
  readonly locals?: Record<string, unknown>;
}

/**
 * `type.name.attribute` inside `${…}`, or `type.name[index].attribute` for an instance of a
 * `for_each` resource. Resource types have a provider prefix (`aws_…`), which `var`, `local` and
 * `data` lack; the look-behind keeps a match from starting mid-traversal, as in
 * `data.aws_partition.partition.partition`. A literal index (`["crm"]`) names one instance; any
 * other (`[each.key]`) stands for the resource's every instance.
 */
const REFERENCE = /(?<![\w.-])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(\[[^\]]*\])?\.([a-z_][a-z0-9_]*)/g;
/**
 * `["crm"]`, or `[\u0022crm\u0022]` as an instance's reference is written inside a string: its
 * quotes escaped, so a JSON document holding it (a queue or IAM policy) still parses.
 */
const LITERAL_INDEX = /^\[(?:"|\\u0022)([^"\\\]]*)(?:"|\\u0022)\]$/;
const instanceIndex = (index: string | undefined): string => {
  const literal = index === undefined ? null : LITERAL_INDEX.exec(index);
  return literal ? `[${JSON.stringify(literal[1])}]` : '';
};
const INTERPOLATION = /\$\{([^}]*)\}/g;

/** Every resource reference in a value (strings, arrays and objects, recursively). */
export function referencesIn(value: unknown): Reference[] {
  if (typeof value === 'string') {
    const found: Reference[] = [];
    for (const [, expression] of value.matchAll(INTERPOLATION)) {
      for (const [, type, name, index, attribute] of expression.matchAll(REFERENCE)) {
        found.push({ address: `${type}.${name}${instanceIndex(index)}`, attribute });
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
      Object.entries(byName).flatMap(([name, { '//': metadata, ...attributes }]) => {
        const path: string = metadata?.metadata?.path ?? `${type}.${name}`;
        const instances = forEachInstances(attributes.for_each, config.locals);
        if (instances === undefined) return [{ type, name, address: `${type}.${name}`, path, config: attributes }];
        // A for_each known at synth: each instance checked on its own, as Terraform will create it.
        const { for_each: _forEach, ...body } = attributes;
        return Object.entries(instances).map(([key, value]) => ({
          type,
          name: `${name}[${JSON.stringify(key)}]`,
          address: `${type}.${name}[${JSON.stringify(key)}]`,
          path: `${path}[${JSON.stringify(key)}]`,
          config: substituteEach(body, key, value) as Record<string, any>,
        }));
      }),
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

const WHOLE_EACH_VALUE = /^\$\{each\.value\.([A-Za-z_]\w*)\}$/;

/** A for_each's instances when synth knows them (a literal map, or a literal local); else undefined. */
function forEachInstances(forEach: unknown, locals: Record<string, unknown> | undefined): Record<string, any> | undefined {
  let value = forEach;
  const local = typeof value === 'string' ? /^\$\{local\.([A-Za-z_][\w-]*)\}$/.exec(value) : null;
  if (local) value = locals?.[local[1] as string];
  if (value === null || typeof value !== 'object' || Array.isArray(value) || JSON.stringify(value).includes('${')) return undefined;
  return value as Record<string, any>;
}

/** `value` with `each.key` and `each.value.<attribute>` replaced by one instance's literals. */
function substituteEach(value: unknown, key: string, eachValue: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_EACH_VALUE.exec(value);
    if (whole) return eachValue?.[whole[1] as string];
    return value
      .replace(/\$\{each\.key\}/g, () => key)
      .replace(/\$\{each\.value\.([A-Za-z_]\w*)\}/g, (_m, attribute: string) => String(eachValue?.[attribute]))
      .replace(
        /\$\{([^}]*)\}/g,
        (_m, expression: string) =>
          `\${${expression
            .replace(/\[each\.key\]/g, () => `[\\u0022${key}\\u0022]`)
            .replace(/\beach\.key\b/g, () => JSON.stringify(key))
            .replace(/\beach\.value\.([A-Za-z_]\w*)/g, (_n, attribute: string) => JSON.stringify(eachValue?.[attribute]))}}`,
      );
  }
  if (Array.isArray(value)) return value.map((item) => substituteEach(item, key, eachValue));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEach(v, key, eachValue)]));
  }
  return value;
}
