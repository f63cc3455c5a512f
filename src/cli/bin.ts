#!/usr/bin/env node
/** The `webhook-pipeline` executable: the CLI on this process's arguments, streams and environment. */
import { run } from './program';

// The SDK's notice that its 2027 releases need Node 22 would be a paragraph on stderr in every
// command on Node 20, which this package supports; the variable set to anything else shows it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A closed pipe (`… | head`) ends the output, not the command with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

void run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then((code) => {
  process.exitCode = code;
});
