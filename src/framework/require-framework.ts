import { type Framework, FRAMEWORK, OTHER_FRAMEWORK } from './framework';

/**
 * Fails with one sentence naming what is missing when `framework`'s packages cannot be resolved
 * from this package, before any of its modules asks for them (Node's own "Cannot find module
 * 'cdktf'" says nothing of the other entry point). `resolve` is Node's, from this module.
 */
export function requireFramework(framework: Framework = FRAMEWORK, resolve: (id: string) => string = require.resolve): void {
  const missing = [framework.core, framework.awsProvider].filter((name) => {
    try {
      resolve(`${name}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const other = framework === FRAMEWORK ? OTHER_FRAMEWORK : FRAMEWORK;
  throw new Error(
    `${framework.entryPoint} is the entry point for ${framework.name} apps and needs ${missing.map((name) => `'${name}'`).join(' and ')}, ` +
      `which ${missing.length === 1 ? 'is' : 'are'} not installed: install ${missing.join(' and ')} beside it, ` +
      `or, in a ${other.name} app (${other.core}, ${other.awsProvider}), import from '${other.entryPoint}'`,
  );
}
