import type { Context, GlobalOptions } from '../context';
import type { StreamApi } from './stream-client';
import { processTerminal, type ExecTerminal } from './terminal';

/** What logs and exec need beyond the Context: the streaming calls and the terminal. */
export interface StreamsContext {
  /** Opens the streaming calls for these flags (the caller closes them). */
  connectStreams?(opts: GlobalOptions): StreamApi;
  /** The local terminal; the process's own when absent. */
  terminal?: ExecTerminal;
}

/** The streaming calls of a context, or a clear error where it has none. */
export function streamsOf(ctx: Context, opts: GlobalOptions): StreamApi {
  const c = ctx as Context & StreamsContext;
  if (!c.connectStreams) throw new Error('logs and exec are not available with this client');
  return c.connectStreams(opts);
}

export function terminalOf(ctx: Context): ExecTerminal {
  return (ctx as Context & StreamsContext).terminal ?? processTerminal();
}
