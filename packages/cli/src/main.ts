import { grpcContext } from './context';
import { processIo } from './io';
import { run } from './program';

void run(process.argv.slice(2), grpcContext(processIo())).then((code) => {
  process.exitCode = code;
});
