import { grpcContext } from './context';
import { processIo } from './io';
import { run } from './program';
import { silenceIpServernameWarning } from './tls-servername-warning';

silenceIpServernameWarning();

void run(process.argv.slice(2), grpcContext(processIo())).then((code) => {
  process.exitCode = code;
});
