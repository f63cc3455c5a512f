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
  test('defaults to local state at a relative path', () => {
    expect(readSynthSettings({})).toEqual({ backend: { kind: 'local', path: 'terraform.webhook-pipeline.tfstate' } });
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
  ])('rejects a bad %s with an error naming it', (setting, env, detail) => {
    const error = errorOf(env);
    expect(error).toBeInstanceOf(SettingError);
    expect(error.setting).toBe(setting);
    expect(error.message).toContain(`Invalid synth setting ${setting}`);
    expect(error.message).toMatch(detail);
  });
});
