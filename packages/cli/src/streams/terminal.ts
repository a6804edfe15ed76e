/** The local terminal as `orchard exec` uses it; tests replace it. */
export interface ExecTerminal {
  readonly stdinIsTTY: boolean;
  /** Columns and rows of the terminal on stdout, when there is one. */
  size(): { width: number; height: number } | undefined;
  /** Raw mode: keys go to the remote shell as typed (Ctrl-C included). Returns the restore function. */
  makeRaw(): () => void;
  /** Reads stdin until its end; returns a function that stops reading. */
  readStdin(onData: (data: Buffer) => void, onEnd: () => void): () => void;
  /** Calls fn when the terminal is resized (SIGWINCH); returns the unsubscribe function. */
  onResize(fn: () => void): () => void;
  writeStdout(data: Buffer): void;
  writeStderr(data: Buffer): void;
}

/** The process's own terminal. */
export function processTerminal(): ExecTerminal {
  const stdin = process.stdin;
  return {
    stdinIsTTY: stdin.isTTY === true,
    size: () => (process.stdout.isTTY && process.stdout.columns ? { width: process.stdout.columns, height: process.stdout.rows } : undefined),
    makeRaw() {
      if (!stdin.isTTY) return () => undefined;
      stdin.setRawMode(true);
      let restored = false;
      const restore = () => {
        if (restored) return;
        restored = true;
        stdin.setRawMode(false);
      };
      // The terminal must not stay raw whatever way the process ends.
      process.once('exit', restore);
      return restore;
    },
    readStdin(onData, onEnd) {
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      stdin.resume();
      return () => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
        // A TTY stdin keeps the event loop alive until it is unreferenced or destroyed.
        if (stdin.isTTY) stdin.destroy();
      };
    },
    onResize(fn) {
      // stdout's 'resize' comes after Node has read the new size (on SIGWINCH).
      if (process.stdout.isTTY) {
        process.stdout.on('resize', fn);
        return () => void process.stdout.off('resize', fn);
      }
      process.on('SIGWINCH', fn);
      return () => void process.off('SIGWINCH', fn);
    },
    writeStdout: (d) => void process.stdout.write(d),
    writeStderr: (d) => void process.stderr.write(d),
  };
}
