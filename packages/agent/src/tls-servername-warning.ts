/**
 * grpc-js gives Node's TLS the dialed address as the server name, also when it is an IP
 * address (masters are usually dialed by IP), and Node then prints deprecation DEP0123 on
 * every connection. The certificate is still verified against its IP addresses; only the
 * warning is dropped, so it cannot bury real messages on stderr.
 */
export function silenceIpServernameWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
