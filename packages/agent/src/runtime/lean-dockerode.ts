import Module from 'node:module';
import path from 'node:path';

/**
 * Keeps dockerode from loading, at require time, two parts the agent never runs: the agent
 * talks to the node's local socket and never builds images, yet
 *
 * - docker-modem requires ssh2 for `ssh://` Docker hosts, and ssh2 compiles WebAssembly
 *   crypto on load (about 4 MB resident);
 * - dockerode's BuildKit session (lib/session.js, used by buildImage with version 2)
 *   requires @grpc/proto-loader, the full protobufjs with its reflection descriptors, and
 *   uuid (about 4 MB resident and 100 ms of start-up on a Pi).
 *
 * Imported for its effect, before anything imports dockerode. ssh2 is replaced by an empty
 * module, so an `ssh://` host fails clearly (ssh2's Client is missing) rather than silently;
 * the session module is replaced by a function that loads the real one on first call, so a
 * BuildKit build would still work, only paying then.
 */
export function leanDockerode(): void {
  let dockerodeDir: string;
  try {
    dockerodeDir = path.dirname(require.resolve('dockerode/package.json'));
  } catch {
    return;
  }
  stubSsh2(dockerodeDir);
  deferSession(dockerodeDir);
}

/** Pre-fills the module cache with `exports` for the file `id`. */
function preload(id: string, exports: unknown): void {
  const stub = new Module(id);
  stub.filename = id;
  stub.loaded = true;
  stub.exports = exports;
  require.cache[id] = stub;
}

function stubSsh2(dockerodeDir: string): void {
  let id: string;
  try {
    const modemDir = path.dirname(require.resolve('docker-modem/package.json', { paths: [dockerodeDir] }));
    id = require.resolve('ssh2', { paths: [modemDir] });
  } catch {
    // Another layout of dependencies: nothing to skip, nothing to break.
    return;
  }
  if (!require.cache[id]) preload(id, {});
}

function deferSession(dockerodeDir: string): void {
  const id = path.join(dockerodeDir, 'lib', 'session.js');
  if (require.cache[id]) return;
  try {
    require.resolve(id);
  } catch {
    return;
  }
  let real: ((...args: unknown[]) => unknown) | undefined;
  const withSession = (...args: unknown[]): unknown => {
    if (!real) {
      // The real module, loaded from its file apart from the cache entry this stub holds.
      const m = new Module(id, module) as Module & { load(file: string): void };
      m.load(id);
      real = m.exports as (...a: unknown[]) => unknown;
    }
    return real(...args);
  };
  preload(id, withSession);
}

leanDockerode();
