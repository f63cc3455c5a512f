import { loadsCdktf, migrateSourceToCdkTerrain, rewriteForCdkTerrain, setsFrameworkMarker } from '../../scripts/lib/framework-rewrite';

describe('rewriteForCdkTerrain', () => {
  test('renames the module specifiers of compiled JavaScript, and only those', () => {
    const compiled = [
      'const cdktf_1 = require("cdktf");',
      'const sqs_queue_1 = require("@cdktf/provider-aws/lib/sqs-queue");',
      "const manifest = require('@cdktf/provider-aws/package.json');",
      'const path = require.resolve("cdktf/lib/testing/adapters/jest");',
      '// Import provider classes by deep path (`@cdktf/provider-aws/lib/sqs-queue`): cdktf 0.21 mis-escapes',
      'const other = require("@cdktf/hcl2json");',
      'const message = "needs cdktf and @cdktf/provider-aws";',
    ].join('\n');
    const { text, rewritten } = rewriteForCdkTerrain(compiled);
    expect(rewritten).toBe(4);
    expect(text.split('\n')).toEqual([
      'const cdktf_1 = require("cdktn");',
      'const sqs_queue_1 = require("@cdktn/provider-aws/lib/sqs-queue");',
      "const manifest = require('@cdktn/provider-aws/package.json');",
      'const path = require.resolve("cdktn/lib/testing/adapters/jest");',
      '// Import provider classes by deep path (`@cdktf/provider-aws/lib/sqs-queue`): cdktf 0.21 mis-escapes',
      'const other = require("@cdktf/hcl2json");',
      'const message = "needs cdktf and @cdktf/provider-aws";',
    ]);
    expect(loadsCdktf(compiled)).toBe(true);
    expect(loadsCdktf(text)).toBe(false);
  });

  test('renames declaration files: from, import() and side-effect imports', () => {
    const declarations = [
      "import { Construct } from 'constructs';",
      'import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";',
      'readonly bundle: import("cdktf").IResolvable;',
      "import 'cdktf/lib/testing/adapters/jest';",
    ].join('\n');
    expect(rewriteForCdkTerrain(declarations).text.split('\n')).toEqual([
      "import { Construct } from 'constructs';",
      'import { SqsQueue } from "@cdktn/provider-aws/lib/sqs-queue";',
      'readonly bundle: import("cdktn").IResolvable;',
      "import 'cdktn/lib/testing/adapters/jest';",
    ]);
  });

  test('switches the framework marker tsc compiles, and nothing that only compares it', () => {
    const compiled =
      'exports.FRAMEWORK = exports.CDKTF;\nexports.OTHER_FRAMEWORK = exports.FRAMEWORK === exports.CDKTF ? exports.CDK_TERRAIN : exports.CDKTF;';
    expect(setsFrameworkMarker(compiled)).toBe(true);
    const { text } = rewriteForCdkTerrain(compiled);
    expect(text).toBe(
      'exports.FRAMEWORK = exports.CDK_TERRAIN;\nexports.OTHER_FRAMEWORK = exports.FRAMEWORK === exports.CDKTF ? exports.CDK_TERRAIN : exports.CDKTF;',
    );
    expect(setsFrameworkMarker(text)).toBe(false);
  });
});

describe('migrateSourceToCdkTerrain', () => {
  test("moves a user's TypeScript to CDK Terrain: the frameworks' packages and this package's entry point", () => {
    const source = [
      "import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';",
      "import { App, Testing } from 'cdktf';",
      "import { WebhookPipeline } from 'webhook-pipeline';",
      "import 'cdktf/lib/testing/adapters/jest';",
      '// cdktf synth writes cdktf.out',
    ].join('\n');
    expect(migrateSourceToCdkTerrain(source).split('\n')).toEqual([
      "import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue';",
      "import { App, Testing } from 'cdktn';",
      "import { WebhookPipeline } from 'webhook-pipeline/cdktn';",
      "import 'cdktn/lib/testing/adapters/jest';",
      '// cdktf synth writes cdktf.out',
    ]);
  });
});
