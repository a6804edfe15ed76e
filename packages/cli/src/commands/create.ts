import { Command, Option } from 'commander';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ApplyRequest, GetRequest, encodeObject, kindOf, metaOf, toYaml, validateObject, withDefaults, type ApiObject } from '@orchard/api';
import { globalsOf, namespaceOf, withCluster, type Context } from '../context';
import { collect } from './apply';
import {
  DOCKER_HUB_SERVER,
  configMapObject,
  dockerRegistrySecretObject,
  genericSecretObject,
  parseLiteral,
  readFileSources,
} from './config-objects';

interface SourceOptions {
  fromLiteral: string[];
  fromFile: string[];
  dryRun?: string;
  output?: string;
}

interface GenericSecretOptions extends SourceOptions {
  type?: string;
}

interface DockerRegistryOptions {
  dockerServer: string;
  dockerUsername?: string;
  dockerPassword?: string;
  dockerEmail?: string;
  dryRun?: string;
  output?: string;
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--dry-run [strategy]', 'client: print the object instead of creating it').choices(['client', 'none']).preset('client'))
    .addOption(new Option('-o, --output <format>', 'with --dry-run: print the object as yaml or json').choices(['yaml', 'json']));
}

function withSources(cmd: Command): Command {
  return cmd
    .option('--from-literal <key=value>', 'a key and literal value (repeatable)', collect, [])
    .option('--from-file <[key=]path>', 'a file (key: its name, or the one given) or a directory (one key per file) (repeatable)', collect, []);
}

/**
 * `orchard create configmap|secret generic|secret docker-registry NAME`, with kubectl's
 * flags. Like kubectl create, an object that exists already is an error (apply updates).
 */
export function createCommand(ctx: Context): Command {
  const create = new Command('create').description('Create a ConfigMap or Secret from literals, files or registry credentials');

  create.addCommand(
    withCommonOptions(withSources(new Command('configmap').alias('cm').description('Create a ConfigMap from literals and files').argument('<name>'))).action(
      async (name: string, opts: SourceOptions, cmd: Command) => {
        const entries = [...opts.fromLiteral.map(parseLiteral), ...(await readFileSources(ctx.io, opts.fromFile))];
        await createObject(ctx, cmd, configMapObject(name, namespaceOf(globalsOf(cmd)), entries), opts);
      },
    ),
  );

  const secret = new Command('secret').description('Create a Secret (generic or docker-registry)');
  secret.addCommand(
    withCommonOptions(withSources(new Command('generic').description('Create a Secret from literals and files').argument('<name>')))
      .option('--type <type>', 'the Secret type', 'Opaque')
      .action(async (name: string, opts: GenericSecretOptions, cmd: Command) => {
        const entries = [...opts.fromLiteral.map(parseLiteral), ...(await readFileSources(ctx.io, opts.fromFile))];
        await createObject(ctx, cmd, genericSecretObject(name, namespaceOf(globalsOf(cmd)), opts.type ?? 'Opaque', entries), opts);
      }),
  );
  secret.addCommand(
    withCommonOptions(new Command('docker-registry').description('Create a Secret of registry credentials for imagePullSecrets').argument('<name>'))
      .option('--docker-server <server>', 'the registry, e.g. registry.example.com:5000', DOCKER_HUB_SERVER)
      .option('--docker-username <username>', 'the user name for the registry')
      .option('--docker-password <password>', 'the password for the registry')
      .option('--docker-email <email>', 'an email address (kept, not used)')
      .action(async (name: string, opts: DockerRegistryOptions, cmd: Command) => {
        if (!opts.dockerUsername) throw new Error('--docker-username is required');
        if (opts.dockerPassword === undefined) throw new Error('--docker-password is required');
        const obj = dockerRegistrySecretObject(name, namespaceOf(globalsOf(cmd)), {
          server: opts.dockerServer,
          username: opts.dockerUsername,
          password: opts.dockerPassword,
          email: opts.dockerEmail,
        });
        await createObject(ctx, cmd, obj, opts);
      }),
  );
  create.addCommand(secret);
  return create;
}

/** Validates locally, then creates (unless a dry run), refusing an existing object. */
async function createObject(ctx: Context, cmd: Command, obj: ApiObject, opts: { dryRun?: string; output?: string }): Promise<void> {
  const ready = withDefaults(obj);
  validateObject(ready);
  const kind = kindOf(ready);
  const meta = metaOf(ready);
  if (opts.dryRun === 'client') {
    if (opts.output === 'json') ctx.io.stdout(`${JSON.stringify(encodeObject(ready), null, 2)}\n`);
    else if (opts.output === 'yaml') ctx.io.stdout(toYaml(encodeObject(ready)));
    else ctx.io.stdout(`${kind.singular}/${meta.name} created (dry run)\n`);
    return;
  }
  if (opts.output) throw new Error('--output is only supported with --dry-run=client');
  await withCluster(ctx, globalsOf(cmd), async (c) => {
    try {
      await c.get(GetRequest.fromPartial({ kind: kind.plural, namespace: meta.namespace, name: meta.name }));
      throw new Error(`${kind.plural} "${meta.name}" already exists`);
    } catch (err) {
      // By code: errors from the wire are OrchardErrors carrying the gRPC status.
      if ((err as { code?: number }).code !== GrpcStatus.NOT_FOUND) throw err;
    }
    await c.apply(ApplyRequest.fromPartial({ objects: [ready] }));
  });
  ctx.io.stdout(`${kind.singular}/${meta.name} created\n`);
}
