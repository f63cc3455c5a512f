/**
 * One Lambda "execution environment" for the local ESM runner (scripts/lib/esm-runner.ts): a
 * child process whose environment the runner built from the deployed function's configuration.
 * It loads `$_HANDLER` from `$LAMBDA_TASK_ROOT` (the unzipped deployment package) once, as the
 * init phase, then serves invocations sent over IPC one at a time, as the Node.js runtime does.
 *
 * Plain CommonJS on purpose: no transpiler hook may touch the code it loads.
 *
 * Messages in:  { type: 'invoke', id, event, deadlineMs, awsRequestId, traceId, functionArn }
 * Messages out: { type: 'ready', initMs } | { type: 'init-error', error }
 *               { type: 'result', id, ok: true, response } | { type: 'result', id, ok: false, error }
 */
'use strict';
const path = require('node:path');

const serializeError = (error) =>
  error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) };

let current;

function send(message) {
  if (process.connected) process.send(message);
}

process.on('uncaughtException', (error) => {
  // The Node.js runtime fails the invocation in flight and discards the environment.
  if (current !== undefined) send({ type: 'result', id: current, ok: false, error: serializeError(error) });
  else send({ type: 'init-error', error: serializeError(error) });
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  throw reason instanceof Error ? reason : new Error(`Unhandled promise rejection: ${String(reason)}`);
});
process.on('disconnect', () => process.exit(0));

const initStarted = Date.now();
let handler;
try {
  const spec = process.env._HANDLER || 'index.handler';
  const dot = spec.lastIndexOf('.');
  const moduleFile = path.join(process.env.LAMBDA_TASK_ROOT, spec.slice(0, dot));
  handler = require(moduleFile)[spec.slice(dot + 1)];
  if (typeof handler !== 'function') throw new Error(`${spec} is not a function exported by ${moduleFile}`);
} catch (error) {
  send({ type: 'init-error', error: serializeError(error) });
  process.exit(1);
}
send({ type: 'ready', initMs: Date.now() - initStarted });

function contextFor(message) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.awsRequestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

process.on('message', (message) => {
  if (!message || message.type !== 'invoke') return;
  current = message.id;
  process.env._X_AMZN_TRACE_ID = message.traceId;
  const finish = (ok, value) => {
    if (current !== message.id) return;
    current = undefined;
    send(ok ? { type: 'result', id: message.id, ok: true, response: value ?? null } : { type: 'result', id: message.id, ok: false, error: serializeError(value) });
  };
  try {
    const returned = handler(message.event, contextFor(message), (error, response) => finish(!error, error || response));
    if (returned && typeof returned.then === 'function') returned.then((response) => finish(true, response), (error) => finish(false, error));
  } catch (error) {
    finish(false, error);
  }
});
