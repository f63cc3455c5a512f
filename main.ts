import { App } from 'cdktf';
import { readSynthSettings } from './src/config/settings';
import { STACK_NAME, WebhookPipelineStack } from './stacks/webhook-pipeline-stack';

// Settings are read before the App exists, so a bad one fails synth before anything is written.
const settings = readSynthSettings();
const app = new App();
new WebhookPipelineStack(app, STACK_NAME, { settings });
app.synth();
