import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ContainerImage } from '@orchard/api/agent';
import { FakeClock } from '../pods/fake-clock';
import { dockerImageEvents, imageAction, ImageWatch, sameImages, type ImageEventSource } from './image-watch';

const img = (name: string, platform: string): ContainerImage => ({ names: [name], sizeBytes: 0, platforms: [platform] });
const flush = () => new Promise((r) => setImmediate(r));

/** An event source the test drives: emit() delivers an action, end() breaks the stream. */
function fakeEvents() {
  const subs: Array<{ onEvent: (a: string) => void; onEnd: (err?: Error) => void; closed: boolean }> = [];
  const source: ImageEventSource = (onEvent, onEnd) => {
    const s = { onEvent, onEnd, closed: false };
    subs.push(s);
    return { close: () => void (s.closed = true) };
  };
  const live = () => subs.filter((s) => !s.closed).at(-1);
  return {
    source,
    subs,
    emit: (action: string) => live()?.onEvent(action),
    end: (err?: Error) => live()?.onEnd(err),
  };
}

function setup(listed: ContainerImage[][], reported: ContainerImage[] = []) {
  const clock = new FakeClock(0);
  const events = fakeEvents();
  let listings = 0;
  let current = reported;
  const sent: ContainerImage[][] = [];
  const w = new ImageWatch({
    events: events.source,
    list: async () => {
      listings++;
      return listed.shift() ?? current;
    },
    reported: () => current,
    onChange: (images) => {
      current = images;
      sent.push(images);
    },
    clock,
    logger: pino({ level: 'silent' }),
    debounceMs: 1000,
  });
  return { clock, events, w, sent, listings: () => listings };
}

describe('ImageWatch', () => {
  it('lists once a second after a burst of image events and sends a changed list', async () => {
    const loaded = [img('tool:1', 'linux/amd64')];
    const t = setup([loaded]);
    t.w.start();
    t.events.emit('load');
    t.events.emit('tag');
    t.clock.advance(500);
    t.events.emit('tag');
    await flush();
    expect(t.listings()).toBe(0);
    t.clock.advance(500);
    await flush();
    expect(t.listings()).toBe(1);
    expect(t.sent).toEqual([loaded]);
    t.w.stop();
  });

  it('sends nothing when the list is unchanged', async () => {
    const same = [img('tool:1', 'linux/arm64')];
    const t = setup([[img('tool:1', 'linux/arm64')]], same);
    t.w.start();
    t.events.emit('pull');
    t.clock.advance(1000);
    await flush();
    expect(t.listings()).toBe(1);
    expect(t.sent).toEqual([]);
    t.w.stop();
  });

  it('ignores image events that change nothing here (push, save, inspect)', async () => {
    const t = setup([]);
    t.w.start();
    for (const a of ['push', 'save', 'inspect']) t.events.emit(a);
    t.clock.advance(5000);
    await flush();
    expect(t.listings()).toBe(0);
    t.w.stop();
  });

  it('reports a removed image', async () => {
    const t = setup([[]], [img('tool:1', 'linux/amd64')]);
    t.w.start();
    t.events.emit('delete');
    t.clock.advance(1000);
    await flush();
    expect(t.sent).toEqual([[]]);
    t.w.stop();
  });

  it('watches again after the stream breaks and lists what it missed', async () => {
    const loaded = [img('tool:2', 'linux/arm/v7')];
    const t = setup([loaded]);
    t.w.start();
    t.events.end(new Error('dockerd restarted'));
    expect(t.events.subs).toHaveLength(1);
    t.clock.advance(1000); // the retry
    expect(t.events.subs).toHaveLength(2);
    t.clock.advance(1000); // the debounced listing
    await flush();
    expect(t.sent).toEqual([loaded]);
    t.w.stop();
  });

  it('watches at once when the engine is back, not at the backed-off retry', () => {
    const t = setup([]);
    t.w.start();
    t.events.end();
    t.w.engineBack();
    expect(t.events.subs).toHaveLength(2);
    t.w.stop();
  });

  it('leaves no timer and no subscription after stop', () => {
    const t = setup([]);
    t.w.start();
    t.events.emit('load');
    t.w.stop();
    expect(t.clock.pending()).toBe(0);
    expect(t.events.subs.every((s) => s.closed)).toBe(true);
  });

  it('a listing that fails sends nothing, and the next event lists again', async () => {
    const clock = new FakeClock(0);
    const events = fakeEvents();
    const sent: ContainerImage[][] = [];
    let fail = true;
    const w = new ImageWatch({
      events: events.source,
      list: async () => {
        if (fail) throw new Error('engine restarting');
        return [img('a:1', 'linux/amd64')];
      },
      reported: () => [],
      onChange: (i) => sent.push(i),
      clock,
      logger: pino({ level: 'silent' }),
    });
    w.start();
    events.emit('load');
    clock.advance(1000);
    await flush();
    expect(sent).toEqual([]);
    fail = false;
    events.emit('load');
    clock.advance(1000);
    await flush();
    expect(sent).toEqual([[img('a:1', 'linux/amd64')]]);
    w.stop();
  });
});

describe('sameImages', () => {
  it.each([
    { name: 'both empty', a: [], b: [], want: true },
    { name: 'other order', a: [img('a:1', 'linux/amd64'), img('b:1', 'linux/arm64')], b: [img('b:1', 'linux/arm64'), img('a:1', 'linux/amd64')], want: true },
    { name: 'one more', a: [img('a:1', 'linux/amd64')], b: [], want: false },
    { name: 'other platform', a: [img('a:1', 'linux/amd64')], b: [img('a:1', 'linux/arm64')], want: false },
    { name: 'retagged', a: [img('a:1', 'linux/amd64')], b: [img('a:2', 'linux/amd64')], want: false },
  ])('$name → $want', ({ a, b, want }) => {
    expect(sameImages(a, b)).toBe(want);
  });
});

describe('imageAction', () => {
  it.each([
    { name: 'load', line: '{"Type":"image","Action":"load","Actor":{"ID":"sha256:1"}}', want: 'load' },
    { name: 'old status field', line: '{"status":"untag","id":"sha256:1"}', want: 'untag' },
    { name: 'container event', line: '{"Type":"container","Action":"start"}', want: undefined },
    { name: 'not JSON', line: 'garbage', want: undefined },
    { name: 'empty', line: '', want: undefined },
  ])('$name', ({ line, want }) => {
    expect(imageAction(line)).toBe(want);
  });
});

describe('dockerImageEvents', () => {
  it('asks the engine for image events only and splits the stream into actions', async () => {
    const stream = Object.assign(new EventEmitter(), { destroy: () => undefined });
    let filters: Record<string, string[]> | undefined;
    const docker = {
      getEvents: async (opts: { filters: Record<string, string[]> }) => {
        filters = opts.filters;
        return stream as unknown as NodeJS.ReadableStream;
      },
    };
    const actions: string[] = [];
    let ended = 0;
    dockerImageEvents(docker)((a) => actions.push(a), () => ended++);
    await flush();
    expect(filters?.type).toEqual(['image']);
    expect(filters?.event).toEqual(expect.arrayContaining(['load', 'import', 'tag', 'untag', 'delete', 'pull']));
    stream.emit('data', Buffer.from('{"Type":"image","Action":"load"}\n{"Type":"image","Ac'));
    stream.emit('data', Buffer.from('tion":"tag"}\n'));
    expect(actions).toEqual(['load', 'tag']);
    stream.emit('end');
    stream.emit('close');
    expect(ended).toBe(1);
  });
});
