import { connectivityState } from '@grpc/grpc-js';

/** What is needed of a grpc-js channel (Client.getChannel()). */
export interface WatchableChannel {
  getConnectivityState(tryToConnect: boolean): connectivityState;
  watchConnectivityState(current: connectivityState, deadline: Date | number, callback: (error?: Error) => void): void;
}

/**
 * How a channel stands after waiting for it:
 * - `ready`: connected (TCP and TLS handshakes done); a call goes out on it;
 * - `failing`: the last connection attempt failed (refused, unreachable); a call fails at
 *   once with the reason, and nothing reaches the master;
 * - `timeout`: still connecting when the time was up. A master whose process is frozen
 *   (SIGSTOP, swapping to death) looks like this: its kernel accepts the TCP connection,
 *   but nothing ever answers the TLS handshake.
 */
export type ChannelStanding = 'ready' | 'failing' | 'timeout';

/**
 * Waits until the channel is connected or has failed, at most until `untilMs` (epoch ms).
 * grpc-js itself would keep a call waiting on a connection that never completes until
 * the call's deadline (30 s by default), which is what this wait is for.
 */
export function waitChannel(channel: WatchableChannel, untilMs: number): Promise<ChannelStanding> {
  return new Promise((resolve) => {
    const check = (): void => {
      // true: start connecting if the channel is idle.
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) return resolve('ready');
      if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) return resolve('failing');
      if (Date.now() >= untilMs) return resolve('timeout');
      channel.watchConnectivityState(state, new Date(untilMs), (err) => (err ? resolve('timeout') : check()));
    };
    check();
  });
}
