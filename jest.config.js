/**
 * One config for every suite. `npm test` runs them all with coverage enforced;
 * `npm run test:unit` skips the suites that need terraform or a local AWS API (`*.int.test.ts`).
 */
const unitOnly = process.env.UNIT_ONLY === '1';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Two workers on this two-core machine: Jest's default (cores − 1) runs one file at a time, and
  // most suites wait on terraform, moto or module loading rather than on the CPU.
  maxWorkers: 2,
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: unitOnly ? ['/node_modules/', '\\.int\\.test\\.ts$'] : ['/node_modules/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFilesAfterEnv: ['<rootDir>/__tests__/support/setup.ts'],
  collectCoverageFrom: ['src/**/*.ts', 'stacks/**/*.ts'],
  coverageThreshold: unitOnly ? undefined : { global: { statements: 90, branches: 90 } },
  coverageReporters: ['text-summary', 'lcov'],
};
