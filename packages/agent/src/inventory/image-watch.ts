import type { Clock, ContainerImage, Logger } from '@orchard/api/agent';

/** Image event actions that can change which locally made images exist (or their names). */
export const IMAGE_ACTIONS: ReadonlySet<string> = new Set(['load', 'import', 'tag', 'untag', 'delete', 'pull']);

/**
 * Streams the engine's image events (the action only: the list is read again anyway) until
 * close(). onEnd fires once when the stream breaks, with the error if there was one.
 */
export type ImageEventSource = (onEvent: (action: string) => void, onEnd: (err?: Error) => void) => { close(): void };

export interface ImageWatchOptions {
  events: ImageEventSource;
  /** The images to report, listed afresh (see reportedImages). */
  list: () => Promise<ContainerImage[]>;
  /** What the master was last told (the Hello lists them too). */
  reported: () => readonly ContainerImage[];
  /** A changed list to report. */
  onChange: (images: ContainerImage[]) => void;
  clock: Clock;
  logger: Logger;
  /** Quiet time after an event before listing (default 1 s): a burst costs one listing. */
  debounceMs?: number;
}

/**
 * Keeps the master's view of the node's locally made images current between connects: an
 * image event schedules one listing after a quiet second, and only a list that differs
 * from the one reported is sent. No polling; the stream is watched again (1 s doubling to
 * 30 s) after it breaks, and the list read again then, since events were missed meanwhile.
 */
export class ImageWatch {
  private sub?: { close(): void };
  private debounce?: { cancel(): void };
  private retry?: { cancel(): void };
  private failures = 0;
  private running = false;
  private again = false;
  private stopped = true;

  constructor(private readonly opts: ImageWatchOptions) {}

  start(): void {
    this.stopped = false;
    this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.sub?.close();
    this.sub = undefined;
    this.debounce?.cancel();
    this.retry?.cancel();
  }

  /** The engine answers again: watch now rather than at the backed-off retry, and look. */
  engineBack(): void {
    if (this.stopped || !this.retry) return;
    this.retry.cancel();
    this.retry = undefined;
    this.failures = 0;
    this.watch();
    this.schedule();
  }

  /** Lists once and reports a changed list; exposed for tests. */
  async refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      const next = await this.opts.list();
      if (this.stopped || sameImages(next, this.opts.reported())) return;
      this.opts.onChange(next);
    } catch (err) {
      // The engine may be restarting; the next event or reconnect lists again.
      this.opts.logger.debug({ err }, 'could not list local images');
    } finally {
      this.running = false;
      if (this.again && !this.stopped) {
        this.again = false;
        this.schedule();
      }
    }
  }

  private schedule(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = this.opts.clock.setTimeout(() => {
      this.debounce = undefined;
      void this.refresh();
    }, this.opts.debounceMs ?? 1_000);
  }

  private watch(): void {
    if (this.stopped) return;
    const since = this.opts.clock.now();
    this.sub = this.opts.events(
      (action) => {
        if (IMAGE_ACTIONS.has(action)) this.schedule();
      },
      (err) => {
        if (this.stopped) return;
        this.sub = undefined;
        if (this.opts.clock.now() - since > 60_000) this.failures = 0;
        const delay = Math.min(30_000, 1_000 * 2 ** this.failures++);
        this.opts.logger.debug({ err, retryInMs: delay }, 'docker image event stream ended; watching again');
        this.retry = this.opts.clock.setTimeout(() => {
          this.retry = undefined;
          this.watch();
          this.schedule();
        }, delay);
      },
    );
  }
}

/** Same names and platforms, in any order (sizes are not reported). */
export function sameImages(a: readonly ContainerImage[], b: readonly ContainerImage[]): boolean {
  const key = (l: readonly ContainerImage[]) =>
    l.map((i) => `${[...i.names].sort().join(',')}=${[...i.platforms].sort().join(',')}`).sort().join(';');
  return a.length === b.length && key(a) === key(b);
}

/** Minimal dockerode surface for the event stream (kept narrow so tests need no engine). */
interface DockerEventsLike {
  getEvents(opts: { filters: Record<string, string[]> }): Promise<NodeJS.ReadableStream>;
}

/** The engine's image events, filtered by the engine to the actions that matter. */
export function dockerImageEvents(docker: DockerEventsLike): ImageEventSource {
  return (onEvent, onEnd) => {
    let closed = false;
    let ended = false;
    let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    const end = (err?: Error) => {
      if (ended || closed) return;
      ended = true;
      onEnd(err);
    };
    docker
      .getEvents({ filters: { type: ['image'], event: [...IMAGE_ACTIONS] } })
      .then((s) => {
        stream = s as typeof stream;
        if (closed) {
          stream?.destroy?.();
          return;
        }
        let buffered = '';
        s.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const action = imageAction(buffered.slice(0, nl).trim());
            buffered = buffered.slice(nl + 1);
            if (action) onEvent(action);
          }
        });
        s.on('error', (err: Error) => end(new Error(`docker image event stream failed: ${err.message}`, { cause: err })));
        s.on('end', () => end());
        s.on('close', () => end());
      })
      .catch((err: Error) => end(new Error(`failed to subscribe to docker image events: ${err.message}`, { cause: err })));
    return {
      close() {
        closed = true;
        stream?.destroy?.();
      },
    };
  };
}

/** The action of one image event line of the engine's stream; undefined for anything else. */
export function imageAction(line: string): string | undefined {
  if (!line) return undefined;
  try {
    const raw = JSON.parse(line) as { Type?: string; Action?: string; status?: string };
    if (raw.Type && raw.Type !== 'image') return undefined;
    return (raw.Action ?? raw.status ?? '').split(':')[0] || undefined;
  } catch {
    return undefined;
  }
}
