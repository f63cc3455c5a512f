import { Fn, type IResolvable, TerraformIterator, Token } from 'cdktf';
import { SIGNATURE_SCHEMES, type SignatureScheme } from '../contract';
import { isToken } from '../core/values';

/** A webhook source: how the `{source}` path segment's requests are verified. */
export interface WebhookSource {
  /** How its requests are signed: one of the inbound schemes (docs/SIGNATURES.md). */
  readonly scheme: SignatureScheme;
  /**
   * Seconds a signed timestamp may differ from the time of receipt (schemes that sign one).
   * @default 300
   */
  readonly toleranceSeconds?: number | null;
  /**
   * The SSM SecureString parameter holding this source's secret(s), when it is not
   * `<secretsPath>/sources/<source>` (e.g. a secret shared by several environments).
   * @default '<secretsPath>/sources/<source>'
   */
  readonly secretParameter?: string | null;
}

/** Sources as a plain record, or a plan-time token holding a map of the same shape (camelCase keys). */
export type WebhookSources = Readonly<Record<string, WebhookSource>> | IResolvable;

export const DEFAULT_WEBHOOK_SOURCES: Readonly<Record<string, WebhookSource>> = {
  github: { scheme: 'github' },
  stripe: { scheme: 'stripe' },
  shopify: { scheme: 'shopify' },
  generic: { scheme: 'hmac-sha256' },
};

export const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_TOLERANCE_SECONDS = 86_400;
export const SSM_PARAMETER_NAME = /^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/;

/** The validator's WEBHOOK_SOURCES: every source with its scheme and options (nulls for defaults). */
export function webhookSourcesJson(sources: WebhookSources): string {
  if (isToken(sources)) return Token.asString(Fn.jsonencode(sources));
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(sources as Record<string, WebhookSource>).map(([name, s]) => [
        name,
        { scheme: s.scheme, toleranceSeconds: s.toleranceSeconds ?? null, secretParameter: s.secretParameter ?? null },
      ]),
    ),
  );
}

/** Source name → scheme, as JSON: the ingest mapping template's table of known sources. */
export function sourceSchemesJson(sources: WebhookSources): string {
  if (isToken(sources)) return Token.asString(Fn.jsonencode(TerraformIterator.fromMap(sources).forExpressionForMap('key', 'val.scheme')));
  return JSON.stringify(Object.fromEntries(Object.entries(sources as Record<string, WebhookSource>).map(([name, s]) => [name, s.scheme])));
}

/**
 * Source name → its overriding secret parameter, for sources that have one: a plain record, or a
 * plan-time map for `for_each`.
 */
export function secretParameterOverrides(sources: WebhookSources): Record<string, string> | IResolvable {
  if (isToken(sources)) {
    return TerraformIterator.fromMap(sources).forExpressionForMap('key', 'val.secretParameter if val.secretParameter != null');
  }
  return Object.fromEntries(
    Object.entries(sources as Record<string, WebhookSource>).flatMap(([name, s]) => (s.secretParameter ? [[name, s.secretParameter]] : [])),
  );
}

/** Checks plain sources; the error names the prop, the source and the bad value. */
export function validateWebhookSources(owner: string, sources: WebhookSources | undefined): void {
  if (sources === undefined || isToken(sources)) return;
  const entries = Object.entries(sources as Record<string, WebhookSource>);
  if (entries.length === 0) throw new Error(`${owner}: webhookSources must name at least one source`);
  for (const [name, source] of entries) {
    const fail = (problem: string): never => {
      throw new Error(`${owner}: ${problem}`);
    };
    if (!SOURCE_NAME.test(name)) {
      fail(`webhookSources key ${JSON.stringify(name)} must be 1-64 lowercase letters, digits, hyphens or underscores`);
    }
    if (!SIGNATURE_SCHEMES.includes(source?.scheme)) {
      fail(`webhookSources.${name}.scheme must be one of ${SIGNATURE_SCHEMES.join(', ')}, got ${JSON.stringify(source?.scheme)}`);
    }
    const tolerance = source.toleranceSeconds;
    if (tolerance !== undefined && tolerance !== null && !isToken(tolerance)) {
      if (!Number.isInteger(tolerance) || tolerance < 1 || tolerance > MAX_TOLERANCE_SECONDS) {
        fail(
          `webhookSources.${name}.toleranceSeconds must be a whole number from 1 to ${MAX_TOLERANCE_SECONDS}, got ${JSON.stringify(tolerance)}`,
        );
      }
    }
    const parameter = source.secretParameter;
    if (parameter !== undefined && parameter !== null && !isToken(parameter) && !SSM_PARAMETER_NAME.test(parameter)) {
      fail(`webhookSources.${name}.secretParameter must be an SSM parameter name starting with /, got ${JSON.stringify(parameter)}`);
    }
  }
}
