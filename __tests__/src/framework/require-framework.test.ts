import { CDK_TERRAIN, CDKTF, FRAMEWORK, OTHER_FRAMEWORK } from '../../../src/framework/framework';
import { requireFramework } from '../../../src/framework/require-framework';

const resolverWithout =
  (...missing: string[]) =>
  (id: string) => {
    if (missing.some((name) => id === `${name}/package.json`)) throw new Error(`Cannot find module '${id}'`);
    return `/app/node_modules/${id}`;
  };

describe('requireFramework', () => {
  test('the sources are the CDKTF build; the other framework is CDK Terrain', () => {
    expect(FRAMEWORK).toBe(CDKTF);
    expect(OTHER_FRAMEWORK).toBe(CDK_TERRAIN);
  });

  test("passes when this repository's cdktf and @cdktf/provider-aws resolve", () => {
    expect(() => requireFramework()).not.toThrow();
  });

  test('names both missing packages and the entry point a CDK Terrain app should import', () => {
    expect(() => requireFramework(CDKTF, resolverWithout('cdktf', '@cdktf/provider-aws'))).toThrow(
      "webhook-pipeline is the entry point for CDKTF apps and needs 'cdktf' and '@cdktf/provider-aws', which are not installed: install cdktf and @cdktf/provider-aws beside it, or, in a CDK Terrain app (cdktn, @cdktn/provider-aws), import from 'webhook-pipeline/cdktn'",
    );
  });

  test('names the one missing package of the CDK Terrain entry point, and the CDKTF one', () => {
    expect(() => requireFramework(CDK_TERRAIN, resolverWithout('@cdktn/provider-aws'))).toThrow(
      "webhook-pipeline/cdktn is the entry point for CDK Terrain apps and needs '@cdktn/provider-aws', which is not installed: install @cdktn/provider-aws beside it, or, in a CDKTF app (cdktf, @cdktf/provider-aws), import from 'webhook-pipeline'",
    );
  });
});
