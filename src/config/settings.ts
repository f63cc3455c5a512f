import * as path from 'node:path';

/**
 * Synth-time settings: what cannot be a Terraform variable because Terraform needs it before it
 * reads variables (the backend). Read from the environment; bad values fail synth naming the setting.
 */
export type BackendSetting =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'cloud'; readonly organization: string; readonly workspace: string; readonly hostname: string };

export interface SynthSettings {
  readonly backend: BackendSetting;
}

export const SETTING = {
  cloudOrganization: 'TF_CLOUD_ORGANIZATION',
  cloudWorkspace: 'TF_WORKSPACE',
  cloudHostname: 'TF_CLOUD_HOSTNAME',
  localStatePath: 'WEBHOOK_STATE_PATH',
} as const;

/** Relative to the synthesized stack folder, where Terraform runs. */
export const DEFAULT_STATE_PATH = 'terraform.webhook-pipeline.tfstate';
export const DEFAULT_CLOUD_HOSTNAME = 'app.terraform.io';

export class SettingError extends Error {
  constructor(
    public readonly setting: string,
    message: string,
  ) {
    super(`Invalid synth setting ${setting}: ${message}`);
    this.name = 'SettingError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,89}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Reads and validates the synth settings; throws a `SettingError` naming the first bad one. */
export function readSynthSettings(env: NodeJS.ProcessEnv = process.env): SynthSettings {
  const organization = read(env, SETTING.cloudOrganization);
  const workspace = read(env, SETTING.cloudWorkspace);
  const hostname = read(env, SETTING.cloudHostname);
  const statePath = read(env, SETTING.localStatePath);

  if (organization || workspace) {
    if (!organization) {
      throw new SettingError(
        SETTING.cloudOrganization,
        `must be set together with ${SETTING.cloudWorkspace} for a Terraform Cloud backend`,
      );
    }
    if (!workspace) {
      throw new SettingError(
        SETTING.cloudWorkspace,
        `must be set together with ${SETTING.cloudOrganization} for a Terraform Cloud backend`,
      );
    }
    if (!NAME.test(organization)) {
      throw new SettingError(
        SETTING.cloudOrganization,
        `"${organization}" is not a Terraform Cloud organization name (letters, digits, _ . -)`,
      );
    }
    if (!NAME.test(workspace)) {
      throw new SettingError(SETTING.cloudWorkspace, `"${workspace}" is not a workspace name (letters, digits, _ . -, at most 90)`);
    }
    if (hostname !== undefined && !HOSTNAME.test(hostname)) {
      throw new SettingError(SETTING.cloudHostname, `"${hostname}" is not a hostname`);
    }
    if (statePath !== undefined) {
      throw new SettingError(SETTING.localStatePath, 'a local state path makes no sense with a Terraform Cloud backend; unset one of them');
    }
    return { backend: { kind: 'cloud', organization, workspace, hostname: hostname ?? DEFAULT_CLOUD_HOSTNAME } };
  }

  if (hostname !== undefined) {
    throw new SettingError(SETTING.cloudHostname, `only applies with ${SETTING.cloudOrganization} and ${SETTING.cloudWorkspace}`);
  }
  if (statePath !== undefined && (path.isAbsolute(statePath) || /^[A-Za-z]:[\\/]/.test(statePath))) {
    // An absolute path would tie the synthesized JSON to the machine that produced it.
    throw new SettingError(SETTING.localStatePath, `"${statePath}" must be a relative path`);
  }
  return { backend: { kind: 'local', path: statePath ?? DEFAULT_STATE_PATH } };
}
