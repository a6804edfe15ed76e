export {
  runPreflight,
  formatPreflightFailures,
  hostPreflightDeps,
  type PreflightConfig,
  type PreflightDeps,
  type PreflightReport,
} from './run-preflight';
export { failed, passed, type CheckResult, type CheckFailure } from './check';
export { checkMemoryCgroup, MEMORY_CGROUP_CHECK, MEMORY_CGROUP_DISABLED } from './memory-cgroup-check';
export { checkDockerSocket, socketPathOf, DOCKER_SOCKET_CHECK } from './docker-socket-check';
export { unixSocketDockerProbe, type DockerProbe, type DockerPing } from './docker-probe';
