import Module from 'node:module';
import path from 'node:path';

/**
 * Keeps docker-modem (under dockerode) from loading ssh2. docker-modem requires ssh2 at
 * load time for `ssh://` Docker hosts, and ssh2 compiles WebAssembly crypto on load: about
 * 4 MB of resident memory the agent never uses, since it only talks to the node's local
 * socket. Imported for its effect, before anything imports dockerode; an `ssh://` host
 * would fail clearly (ssh2's Client is missing) rather than silently.
 */
function withoutSsh2(): void {
  let modemDir: string;
  let id: string;
  try {
    modemDir = path.dirname(require.resolve('docker-modem/package.json', { paths: [path.dirname(require.resolve('dockerode'))] }));
    id = require.resolve('ssh2', { paths: [modemDir] });
  } catch {
    // Another layout of dependencies: nothing to skip, nothing to break.
    return;
  }
  if (require.cache[id]) return;
  const stub = new Module(id);
  stub.filename = id;
  stub.loaded = true;
  stub.exports = {};
  require.cache[id] = stub;
}

withoutSsh2();
