export { configDefinitions, SOFTHSM_MODULE, type Config, type ConfigKey, type KeyDefinition } from './definitions';
export { loadConfig, describeConfig, ConfigError, CONFIG_FILE_ENV, type LoadedConfig, type LoadOptions } from './load';
export { configTableMarkdown, CONFIG_TABLE_BEGIN, CONFIG_TABLE_END } from './docs';
