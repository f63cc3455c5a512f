/**
 * Tags: the provider's default_tags put the ownership tags on every taggable resource, and no
 * resource replaces them (a resource's own tags win over default_tags).
 */
import { block } from '../terraform-model';
import { finding, isSet, type PolicyRule, show } from './rule';

/** Tags the provider's `default_tags` must put on every taggable resource. */
export const DEFAULT_TAG_KEYS = ['Project', 'Environment', 'ManagedBy'] as const;

/** Keys of the literal map that wins a provider's `default_tags`: the map itself, or merge()'s last argument. */
function fixedTagKeys(tags: unknown): string[] {
  if (tags !== null && typeof tags === 'object') return Object.keys(tags);
  if (typeof tags !== 'string') return [];
  const lastLiteral = /,\s*\{([^{}]*)\}\s*\)\s*\}$/.exec(tags) ?? /^\$\{\s*\{([^{}]*)\}\s*\}$/.exec(tags);
  if (!lastLiteral) return [];
  return [...lastLiteral[1].matchAll(/(?:^|,)\s*"?([A-Za-z_][\w-]*)"?\s*=/g)].map((m) => m[1]);
}

export const tagsProviderDefaults: PolicyRule = {
  id: 'tags-provider-defaults',
  requirement: `Every AWS provider block sets default_tags with ${DEFAULT_TAG_KEYS.join(', ')} in a literal map that wins over var.tags.`,
  scanners: ["checkov's provider default_tags check (its id differs between checkov releases)"],
  check: (model) =>
    model.providers
      .filter((provider) => provider.type === 'aws')
      .flatMap((provider) => {
        const keys = fixedTagKeys(block(provider.config.default_tags)?.tags);
        const missing = DEFAULT_TAG_KEYS.filter((key) => !keys.includes(key));
        return missing.length
          ? [finding(provider, `default_tags do not fix ${missing.join(', ')} (give them in a literal map, last in merge())`)]
          : [];
      }),
};

export const tagsNoOverride: PolicyRule = {
  id: 'tags-no-override',
  requirement: `No resource's own tags override the default tags ${DEFAULT_TAG_KEYS.join(', ')} (resource tags win over default_tags).`,
  scanners: [],
  check: (model) =>
    model.resources
      .filter((r) => isSet(r.config.tags))
      .flatMap((r) => {
        const tags = r.config.tags;
        if (typeof tags !== 'object')
          return [finding(r, `tags come from the expression ${show(tags)}, which could override the default tags`)];
        const overridden = DEFAULT_TAG_KEYS.filter((key) => key in tags);
        return overridden.length ? [finding(r, `tags override the default tag(s) ${overridden.join(', ')}`)] : [];
      }),
};
