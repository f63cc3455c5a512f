/**
 * The framework a build of this package is for. The sources are written for CDKTF; the package's
 * build (scripts/build-package.ts) writes a CDK Terrain copy of the compiled tree under
 * `lib/cdktn/`, with the module names rewritten and {@link FRAMEWORK} set to {@link CDK_TERRAIN}.
 */
export interface Framework {
  readonly name: string;
  /** The core package: `App`, `TerraformStack`, `Testing`, tokens. */
  readonly core: string;
  /** The prebuilt AWS provider bindings. */
  readonly awsProvider: string;
  /** The import path of this package's entry point for the framework. */
  readonly entryPoint: string;
}

export const CDKTF: Framework = { name: 'CDKTF', core: 'cdktf', awsProvider: '@cdktf/provider-aws', entryPoint: 'webhook-pipeline' };
export const CDK_TERRAIN: Framework = {
  name: 'CDK Terrain',
  core: 'cdktn',
  awsProvider: '@cdktn/provider-aws',
  entryPoint: 'webhook-pipeline/cdktn',
};

export const FRAMEWORK: Framework = CDKTF;

/** The framework an app of the other one should import this package for. */
export const OTHER_FRAMEWORK: Framework = FRAMEWORK === CDKTF ? CDK_TERRAIN : CDKTF;
