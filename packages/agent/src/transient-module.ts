import path from 'node:path';

/**
 * Loads the package `name` for one use and drops its modules from the require cache
 * afterwards, so the collector can reclaim their code and data once nothing refers to
 * them. For libraries the agent needs only at start (its settings file, the host
 * inventory): kept loaded, each would stay resident for the daemon's lifetime, and the
 * agent's memory is a budget (docs/monitoring.md). A later use loads the package again.
 * Only the package's own files are dropped; a module it shares with the rest of the
 * agent stays.
 */
export function useTransiently<M, R>(name: string, use: (m: M) => R): R {
  const dir = path.dirname(require.resolve(`${name}/package.json`)) + path.sep;
  const loadedBefore = Object.keys(require.cache).some((id) => id.startsWith(dir));
  let result: R;
  try {
    result = use(require(name) as M);
  } catch (err) {
    if (!loadedBefore) drop(dir);
    throw err;
  }
  if (!loadedBefore) {
    // A promise keeps the modules until it settles.
    if (result instanceof Promise) return result.finally(() => drop(dir)) as R;
    drop(dir);
  }
  return result;
}

function drop(dir: string): void {
  for (const id of Object.keys(require.cache)) if (id.startsWith(dir)) delete require.cache[id];
  // A requiring module lists what it required (module.children): those references
  // would keep the dropped modules, and all they hold, alive.
  for (const m of Object.values(require.cache)) {
    if (m?.children.some((c) => c.id.startsWith(dir))) m.children = m.children.filter((c) => !c.id.startsWith(dir));
  }
}
