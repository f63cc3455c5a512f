import { readSynthSettings, SettingError } from '../../../src/config/settings';

const errorOf = (env: NodeJS.ProcessEnv): SettingError => {
  try {
    readSynthSettings(env);
  } catch (error) {
    return error as SettingError;
  }
  throw new Error('expected a SettingError');
};

describe('readSynthSettings', () => {
  test('defaults to local state at the project root, beside the output folder, as a path relative to the stack folder', () => {
    expect(readSynthSettings({})).toEqual({ backend: { kind: 'local', path: '../../../terraform.webhook-pipeline.tfstate' } });
  });

  test('a local AWS API gets a state file of its own', () => {
    expect(readSynthSettings({ WEBHOOK_LOCAL_ENDPOINT: 'http://127.0.0.1:5055' })).toEqual({
      backend: { kind: 'local', path: '../../../terraform.webhook-pipeline.local.tfstate' },
      localEndpoint: 'http://127.0.0.1:5055',
    });
    expect(readSynthSettings({ WEBHOOK_LOCAL_ENDPOINT: 'http://localhost:4566/', WEBHOOK_STATE_PATH: 'local.tfstate' })).toEqual({
      backend: { kind: 'local', path: 'local.tfstate' },
      localEndpoint: 'http://localhost:4566/',
    });
  });

  test('takes a relative local state path', () => {
    expect(readSynthSettings({ WEBHOOK_STATE_PATH: '../../../state/dev.tfstate' }).backend).toEqual({
      kind: 'local',
      path: '../../../state/dev.tfstate',
    });
  });

  test('selects Terraform Cloud with organization and workspace', () => {
    expect(readSynthSettings({ TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'prod', TF_CLOUD_HOSTNAME: 'tfe.acme.io' }).backend).toEqual({
      kind: 'cloud',
      organization: 'acme',
      workspace: 'prod',
      hostname: 'tfe.acme.io',
    });
  });

  test('treats blank values as unset', () => {
    expect(readSynthSettings({ TF_CLOUD_ORGANIZATION: '  ', TF_WORKSPACE: '' }).backend.kind).toBe('local');
  });

  test.each<[string, NodeJS.ProcessEnv, RegExp]>([
    ['TF_WORKSPACE', { TF_CLOUD_ORGANIZATION: 'acme' }, /must be set together/],
    ['TF_CLOUD_ORGANIZATION', { TF_WORKSPACE: 'prod' }, /must be set together/],
    ['TF_CLOUD_ORGANIZATION', { TF_CLOUD_ORGANIZATION: 'ac me', TF_WORKSPACE: 'prod' }, /"ac me"/],
    ['TF_WORKSPACE', { TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'prod/eu' }, /"prod\/eu"/],
    ['TF_CLOUD_HOSTNAME', { TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'prod', TF_CLOUD_HOSTNAME: 'not a host' }, /"not a host"/],
    ['TF_CLOUD_HOSTNAME', { TF_CLOUD_HOSTNAME: 'tfe.acme.io' }, /only applies/],
    ['WEBHOOK_STATE_PATH', { TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'prod', WEBHOOK_STATE_PATH: 'x.tfstate' }, /Terraform Cloud/],
    ['WEBHOOK_STATE_PATH', { WEBHOOK_STATE_PATH: '/var/state/x.tfstate' }, /must be a relative path/],
    ['WEBHOOK_STATE_PATH', { WEBHOOK_STATE_PATH: 'C:\\state\\x.tfstate' }, /must be a relative path/],
    [
      'WEBHOOK_LOCAL_ENDPOINT',
      { WEBHOOK_LOCAL_ENDPOINT: 'http://10.0.0.5:5055' },
      /"http:\/\/10\.0\.0\.5:5055" must be an http\(s\) URL on loopback/,
    ],
    ['WEBHOOK_LOCAL_ENDPOINT', { WEBHOOK_LOCAL_ENDPOINT: 'http://127.0.0.1' }, /on loopback with a port/],
    [
      'WEBHOOK_LOCAL_ENDPOINT',
      { TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'prod', WEBHOOK_LOCAL_ENDPOINT: 'http://127.0.0.1:5055' },
      /Terraform Cloud/,
    ],
  ])('rejects a bad %s with an error naming it', (setting, env, detail) => {
    const error = errorOf(env);
    expect(error).toBeInstanceOf(SettingError);
    expect(error.setting).toBe(setting);
    expect(error.message).toContain(`Invalid synth setting ${setting}`);
    expect(error.message).toMatch(detail);
  });
});
