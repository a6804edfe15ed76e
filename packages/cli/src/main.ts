import { grpcContext } from './context';
import { processIo } from './io';
import { run } from './program';
import { silenceIpServernameWarning } from './tls-servername-warning';

silenceIpServernameWarning();

void run(process.argv.slice(2), grpcContext(processIo())).then((code) => {
  process.exitCode = code;
  // The command is done, but a connection to a frozen master (its kernel accepted TCP, the
  // TLS handshake never completes) is a socket grpc-js does not cancel when the client
  // closes: it would keep the CLI alive. Exit once what was written is flushed.
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
});
