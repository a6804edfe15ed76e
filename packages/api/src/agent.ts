/**
 * The lean entry point for orchard-agent: `import ... from '@orchard/api/agent'`.
 *
 * The agent is a small daemon on every node (a Pi with 1–8 GB) and its resident memory is
 * a budget (docs/monitoring.md). The full entry point ('@orchard/api') also loads the
 * manifest codec (protobufjs reflection over the whole descriptor, yaml), validation and
 * defaults, which only the master and the CLI use. This one re-exports the same objects —
 * the generated messages and the few helpers the agent calls — without those, so the one
 * definition of each object is shared and the agent loads only what it runs.
 */
export * from './gen/orchard/v1/meta';
export * from './gen/orchard/v1/pod';
export * from './gen/orchard/v1/node';
export * from './gen/orchard/v1/object';
export * from './gen/orchard/v1/cluster';
export * from './gen/orchard/v1/agent';
export * from './gen/orchard/v1/config';
export * from './gen/orchard/v1/bootstrap';
export * from './clock';
export * from './log';
export * from './quantity';
export * from './pod-references';
export { DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE } from './config-validation';
