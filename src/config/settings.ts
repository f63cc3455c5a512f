import * as path from 'node:path';

/**
 * Synth-time settings: what cannot be a Terraform variable because Terraform needs it before it
 * reads variables (the backend, a local AWS API). Read from the environment; bad values fail synth
 * naming the setting. `WEBHOOK_STATE_PATH` is relative to the stack folder, like every path in the JSON.
 */
export type BackendSetting =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'cloud'; readonly organization: string; readonly workspace: string; readonly hostname: string };

export interface SynthSettings {
  readonly backend: BackendSetting;
  /**
   * A local AWS API (moto, LocalStack) on loopback that `cdktf deploy` / `cdktf diff` should talk
   * to instead of AWS: synth then writes `local_override.tf.json` beside the JSON (endpoints, fake
   * credentials, a state file of its own). Absent: nothing local is written, and a stale override
   * is removed.
   */
  readonly localEndpoint?: string;
}

export const SETTING = {
  cloudOrganization: 'TF_CLOUD_ORGANIZATION',
  cloudWorkspace: 'TF_WORKSPACE',
  cloudHostname: 'TF_CLOUD_HOSTNAME',
  localStatePath: 'WEBHOOK_STATE_PATH',
  localEndpoint: 'WEBHOOK_LOCAL_ENDPOINT',
} as const;

/** The state file's name: at the project root, beside the output folder, as stock CDKTF keeps it. */
export const STATE_FILE = 'terraform.webhook-pipeline.tfstate';
/** The state of deploys to a local AWS API: never mixed with a real deployment's. */
export const LOCAL_ENDPOINT_STATE_FILE = 'terraform.webhook-pipeline.local.tfstate';
/**
 * Paths in the JSON are relative to the stack folder Terraform runs in, `<outdir>/stacks/<stack>`:
 * three levels up is the folder holding the output folder, the project root for `cdktf.out`.
 * The state lives there, so `rm -rf cdktf.out` never deletes it.
 */
export const FROM_STACK_FOLDER_TO_PROJECT = '../../..';
export const DEFAULT_STATE_PATH = `${FROM_STACK_FOLDER_TO_PROJECT}/${STATE_FILE}`;
/** Where 0.1.0 kept the state by default: inside the stack folder, which synth owns. */
export const LEGACY_STATE_PATH = STATE_FILE;
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
const LOOPBACK_URL = /^https?:\/\/(127(\.\d{1,3}){3}|localhost|\[::1\]):\d{1,5}\/?$/;
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
  const localEndpoint = read(env, SETTING.localEndpoint);

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
    if (localEndpoint !== undefined) {
      throw new SettingError(SETTING.localEndpoint, 'a local AWS API cannot be used with a Terraform Cloud backend; unset one of them');
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
  if (localEndpoint !== undefined && !LOOPBACK_URL.test(localEndpoint)) {
    // Fake credentials and skipped checks are only safe against a server on this machine.
    throw new SettingError(
      SETTING.localEndpoint,
      `"${localEndpoint}" must be an http(s) URL on loopback with a port, such as http://127.0.0.1:5055`,
    );
  }
  const defaultPath = localEndpoint ? `${FROM_STACK_FOLDER_TO_PROJECT}/${LOCAL_ENDPOINT_STATE_FILE}` : DEFAULT_STATE_PATH;
  return { backend: { kind: 'local', path: statePath ?? defaultPath }, ...(localEndpoint ? { localEndpoint } : {}) };
}
