import { readFileSync } from 'node:fs';
import { configDefinitions, type Config, type ConfigKey, type KeyDefinition } from './definitions';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LoadedConfig {
  readonly config: Config;
  /** Unsafe defaults in force (demo PINs, plain HTTP); log each as a warning at start-up. */
  readonly warnings: readonly string[];
  /** Where each key's value came from, for `mssp config show`. */
  readonly sources: Readonly<Record<ConfigKey, 'env' | 'file' | 'default'>>;
}

export interface LoadOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A JSON file whose keys are the config names (camelCase); MSSP_CONFIG_FILE when not given. */
  readonly file?: string;
}

export const CONFIG_FILE_ENV = 'MSSP_CONFIG_FILE';

function readConfigFile(path: string): Record<string, unknown> {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(CONFIG_FILE_ENV, `config file ${path} cannot be read: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(CONFIG_FILE_ENV, `config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(CONFIG_FILE_ENV, `config file ${path} must hold a JSON object`);
  }
  const known = new Set(Object.keys(configDefinitions));
  for (const name of Object.keys(parsed)) {
    if (!known.has(name)) {
      throw new ConfigError(name, `config file ${path}: unknown key "${name}" (known: ${[...known].join(', ')})`);
    }
  }
  return parsed as Record<string, unknown>;
}

/** Reads the environment and the optional config file, checks every key and fails on the first bad one. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const filePath = options.file ?? env[CONFIG_FILE_ENV];
  const fileValues = filePath ? readConfigFile(filePath) : {};

  const values: Record<string, unknown> = {};
  const sources: Record<string, 'env' | 'file' | 'default'> = {};
  const warnings: string[] = [];

  for (const [name, definition] of Object.entries(configDefinitions) as [ConfigKey, KeyDefinition<unknown>][]) {
    const fromEnv = env[definition.env];
    const fromFile = fileValues[name];
    let value: unknown;
    if (fromEnv !== undefined && fromEnv !== '') {
      value = parseOrThrow(name, definition, fromEnv, `environment variable ${definition.env}`);
      sources[name] = 'env';
    } else if (fromFile !== undefined && fromFile !== null) {
      if (typeof fromFile !== 'string' && typeof fromFile !== 'number' && typeof fromFile !== 'boolean') {
        throw new ConfigError(name, `config key ${name} in ${filePath ?? 'config file'} must be a string or a number`);
      }
      value = parseOrThrow(name, definition, String(fromFile), `config key ${name} in ${filePath ?? 'config file'}`);
      sources[name] = 'file';
    } else {
      value = definition.default(values);
      sources[name] = 'default';
    }
    if (value !== undefined) values[name] = value;
  }

  for (const [name, definition] of Object.entries(configDefinitions) as [ConfigKey, KeyDefinition<unknown>][]) {
    const warning = definition.unsafe?.(values[name], values);
    if (warning) warnings.push(warning);
  }

  if ((values.tlsCertFile === undefined) !== (values.tlsKeyFile === undefined)) {
    throw new ConfigError('tlsKeyFile', 'MSSP_TLS_CERT and MSSP_TLS_KEY must be set together');
  }

  return { config: values as unknown as Config, warnings, sources: sources as Record<ConfigKey, 'env' | 'file' | 'default'> };
}

function parseOrThrow(name: string, definition: KeyDefinition<unknown>, raw: string, where: string): unknown {
  try {
    return definition.parse(raw);
  } catch (err) {
    const shown = definition.secret ? '(hidden)' : JSON.stringify(raw);
    throw new ConfigError(name, `${where} = ${shown} ${(err as Error).message}`);
  }
}

/** The configuration with secrets masked, for display and logs. */
export function describeConfig(loaded: LoadedConfig): { key: ConfigKey; env: string; value: string; source: string }[] {
  return (Object.entries(configDefinitions) as [ConfigKey, KeyDefinition<unknown>][]).map(([name, definition]) => {
    const value = loaded.config[name];
    let shown: string;
    if (value === undefined) shown = '(unset)';
    else if (definition.secret) shown = name === 'databaseUrl' ? maskUrlPassword(String(value)) : '********';
    else shown = String(value);
    return { key: name, env: definition.env, value: shown, source: loaded.sources[name] };
  });
}

function maskUrlPassword(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '********';
    return url.toString();
  } catch {
    return '********';
  }
}
