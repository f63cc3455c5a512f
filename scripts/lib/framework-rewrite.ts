/**
 * The CDK Terrain build of the package is the CDKTF build with its module names rewritten: CDK
 * Terrain keeps CDKTF's APIs, logical ids and the provider bindings' paths (`lib/<resource>`) under
 * renamed packages. Only module specifiers are rewritten (a `require`, `require.resolve`, `import`
 * or `from` of `cdktf` or `@cdktf/provider-aws`), never prose that names them, and the build's
 * framework marker is switched, so each tree knows which framework it was built for.
 */

const SPECIFIER = /(\brequire(?:\.resolve)?\(\s*|\bimport\(\s*|\bfrom\s+|^import\s+)(["'])(cdktf|@cdktf\/provider-aws)((?:\/[^"']*)?)\2/gm;
const RENAMED: Readonly<Record<string, string>> = { cdktf: 'cdktn', '@cdktf/provider-aws': '@cdktn/provider-aws' };
/** How tsc compiles `export const FRAMEWORK: Framework = CDKTF;` (src/framework/framework.ts). */
const FRAMEWORK_MARKER = /\bexports\.FRAMEWORK = exports\.CDKTF;/;

export interface RewriteResult {
  readonly text: string;
  /** Specifiers rewritten. */
  readonly rewritten: number;
}

/** `text` (compiled JavaScript or a declaration file) with its CDKTF module specifiers renamed for CDK Terrain. */
export function rewriteForCdkTerrain(text: string): RewriteResult {
  let rewritten = 0;
  const renamed = text.replace(SPECIFIER, (_match, lead: string, quote: string, name: string, subpath: string) => {
    rewritten += 1;
    return `${lead}${quote}${RENAMED[name]}${subpath}${quote}`;
  });
  return { text: renamed.replace(FRAMEWORK_MARKER, 'exports.FRAMEWORK = exports.CDK_TERRAIN;'), rewritten };
}

/** Whether `text` still loads a CDKTF package (the build fails if a CDK Terrain file does). */
export function loadsCdktf(text: string): boolean {
  return new RegExp(SPECIFIER.source).test(text);
}

/** Whether compiled JavaScript sets the framework marker, which the rewrite must switch. */
export const setsFrameworkMarker = (text: string): boolean => FRAMEWORK_MARKER.test(text);

const ENTRY_POINT = /(\bfrom\s+|\brequire\(\s*|\bimport\(\s*)(["'])webhook-pipeline\2/g;

/**
 * A user's TypeScript or JavaScript moved from CDKTF to CDK Terrain: the frameworks' module names,
 * and this package's entry point (`webhook-pipeline` → `webhook-pipeline/cdktn`). That is the whole
 * migration: constructs, logical ids and state stay as they are (docs/COMPATIBILITY.md).
 */
export function migrateSourceToCdkTerrain(source: string): string {
  return rewriteForCdkTerrain(source).text.replace(ENTRY_POINT, (_match, lead: string, quote: string) => `${lead}${quote}webhook-pipeline/cdktn${quote}`);
}
