import path from 'node:path';
import { describe, expect, it } from 'vitest';
import './lean-dockerode';

const loaded = (part: RegExp) => Object.keys(require.cache).some((id) => part.test(id));

describe('lean dockerode', () => {
  it('loads dockerode without ssh2, proto-loader, the full protobufjs or uuid', () => {
    const Docker = require('dockerode');
    expect(typeof new Docker({ socketPath: '/nonexistent.sock' }).listContainers).toBe('function');
    // ssh2's entry is in the cache as an empty stand-in; none of its own files ran.
    expect(loaded(/\/node_modules\/ssh2\/lib\/(?!index\.js$)/)).toBe(false);
    expect(loaded(/\/node_modules\/@grpc\/proto-loader\//)).toBe(false);
    expect(loaded(/\/node_modules\/protobufjs\/src\/parse\.js$/)).toBe(false);
    expect(loaded(/\/node_modules\/uuid\//)).toBe(false);
  });

  it('loads the real BuildKit session module when a build first needs it', async () => {
    const session = path.join(path.dirname(require.resolve('dockerode/package.json')), 'lib', 'session.js');
    const withSession = require(session) as (docker: unknown, auth: unknown, handler: (err: Error | null) => void) => void;
    // A Docker whose session endpoint refuses: the real module reports the error to the handler.
    const docker = { modem: { dial: (_opts: unknown, cb: (err: Error) => void) => cb(new Error('refused')) } };
    const err = await new Promise<Error | null>((resolve) => withSession(docker, undefined, resolve));
    expect(err?.message).toBe('refused');
    expect(loaded(/\/node_modules\/@grpc\/proto-loader\//)).toBe(true);
  });
});
