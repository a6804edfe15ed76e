import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The agent's own source files (tests left out), relative to src/. */
function sources(dir = __dirname, rel = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) return sources(path.join(dir, e.name), r);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [r] : [];
  });
}

// The full '@orchard/api' entry point loads the manifest codec (the whole proto
// descriptor through protobufjs' reflection) and YAML: megabytes the agent would hold for
// its lifetime. Agent code imports '@orchard/api/agent'; libraries needed only at start or
// rarely are loaded where they are used (see transient-module.ts, join/csr.ts).
describe('what the agent loads', () => {
  const files = sources();
  const cases: Array<{ name: string; pattern: RegExp }> = [
    { name: "the full '@orchard/api' entry point", pattern: /from '@orchard\/api'/ },
    { name: 'yaml at module load', pattern: /^import [^;]*from 'yaml'/m },
    { name: 'systeminformation at module load', pattern: /^import (?!type )[^;]*from 'systeminformation'/m },
    { name: '@peculiar/x509 at module load', pattern: /^import (?!type )[^;]*from '@peculiar\/x509'/m },
  ];
  it('finds the sources', () => expect(files.length).toBeGreaterThan(50));
  for (const c of cases) {
    it(`no source imports ${c.name}`, () => {
      expect(files.filter((f) => c.pattern.test(readFileSync(path.join(__dirname, f), 'utf8')))).toEqual([]);
    });
  }
});
