import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FunctionName } from '../../src/contract';

export type LoadedHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Settings every handler test wants: no X-Ray daemon, a known service name. */
export const HANDLER_TEST_ENV = {
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_LOGGER_LOG_EVENT: 'false',
} as const;

/**
 * Loads a fresh copy of a handler module after setting `env`, as a new Lambda container would:
 * the handlers read their configuration and create their SDK clients at module load. Variables
 * given as `undefined` are removed. Each call yields an independent "container", with its own
 * caches, so tests can run several configurations side by side.
 */
export function loadHandler(name: FunctionName, env: Readonly<Record<string, string | undefined>>): LoadedHandler {
  const merged: Record<string, string | undefined> = { ...HANDLER_TEST_ENV, POWERTOOLS_SERVICE_NAME: name, ...env };
  for (const [variable, value] of Object.entries(merged)) {
    if (value === undefined) delete process.env[variable];
    else process.env[variable] = value;
  }
  let handler: LoadedHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module registry per load (jest.isolateModules)
    handler = (require(join(__dirname, '..', '..', 'src', 'handlers', name)) as { handler: LoadedHandler }).handler;
  });
  if (!handler) throw new Error(`src/handlers/${name} exports no handler`);
  return handler;
}
