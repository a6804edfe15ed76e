import { describe, expect, it } from 'vitest';
import { Pod } from '@orchard/api';
import pino from 'pino';
import { FakeRuntime } from '../runtime/fake-runtime';
import { LABEL_CONTAINER_NAME } from './container-labels';
import { FakeClock } from './fake-clock';
import { stopGracefully } from './pod-termination';

function setup(hookSeconds: number, hookExit = 0) {
  const clock = new FakeClock(0);
  const runtime = new FakeRuntime(clock);
  // The hook "takes" hookSeconds of the grace period.
  runtime.execHandler = () => {
    clock.advance(hookSeconds * 1000);
    return { exitCode: hookExit, output: hookExit ? 'hook broke' : '' };
  };
  const pod = Pod.fromPartial({
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { containers: [{ name: 'app', image: 'img', lifecycle: { preStop: { exec: { command: ['drain'] } } } }] },
  });
  const hooks = { pod, podIP: '10.0.0.2', clock, logger: pino({ level: 'silent' }) };
  return { clock, runtime, hooks };
}

async function runningContainer(runtime: FakeRuntime, name = 'app') {
  const id = await runtime.createContainer({ name: 'c', image: 'img', labels: { [LABEL_CONTAINER_NAME]: name }, env: [], networkMode: 'bridge', exposedPorts: [], portBindings: [] });
  await runtime.startContainer(id);
  return runtime.inspectContainer(id);
}

describe('stopGracefully', () => {
  const cases = [
    { name: 'a quick hook leaves the rest of the grace period to SIGTERM', grace: 30, hook: 4, exit: 0, calls: ['exec c drain', 'stop c t=26'] },
    { name: 'a failed hook does not keep the container alive', grace: 30, hook: 1, exit: 1, calls: ['exec c drain', 'stop c t=29'] },
    { name: 'a hook that used the whole grace period still leaves 2 s', grace: 5, hook: 5, exit: 0, calls: ['exec c drain', 'stop c t=2'] },
    { name: 'grace 0 skips the hook', grace: 0, hook: 0, exit: 0, calls: ['stop c t=0'] },
  ];
  it.each(cases)('$name', async ({ grace, hook, exit, calls }) => {
    const { runtime, hooks } = setup(hook, exit);
    const c = await runningContainer(runtime);
    await stopGracefully(runtime, c, grace, hooks);
    expect(runtime.calls.filter((x) => x.startsWith('exec') || x.startsWith('stop'))).toEqual(calls);
    expect(runtime.containers.get(c.id)!.state).toBe('exited');
  });

  it('runs no hook for a container whose spec has none, or without the pod', async () => {
    const { runtime, hooks } = setup(0);
    const other = await runningContainer(runtime, 'sidecar');
    await stopGracefully(runtime, other, 10, hooks);
    const c = await runtime.inspectContainer((await runtime.createContainer({ name: 'd', image: 'img', labels: { [LABEL_CONTAINER_NAME]: 'app' }, env: [], networkMode: 'bridge', exposedPorts: [], portBindings: [] })));
    await runtime.startContainer(c.id);
    await stopGracefully(runtime, await runtime.inspectContainer(c.id), 10);
    expect(runtime.calls.filter((x) => x.startsWith('exec') || x.startsWith('stop'))).toEqual(['stop c t=10', 'stop d t=10']);
  });
});
