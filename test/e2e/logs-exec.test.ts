import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { describeResult, orchardOk, waitFor } from '../bed/cli';
import { dockerOk } from '../bed/docker';
import { exec } from '../bed/exec';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { nodeEngine, type SimNode } from '../bed/netns-node';
import { distMain } from '../bed/processes';
import { useCluster } from '../bed/use-cluster';

// Issue 3, logs and exec: output and commands stream from the agent through the master
// to the CLI. `orchard logs -f` shows new lines as they are written; `orchard exec`
// returns the command's exit code, passes stdin, and runs an interactive shell on a
// real terminal (tmux) that follows a resize.

const bed = inject('bed');
/** CLI processes started here, stopped by pid in afterAll should a test fail midway. */
const children = new Set<ChildProcess>();
/** A tmux server of our own (its socket name), never the user's. */
const TMUX_SOCKET = `orchard-e2e-logs-exec-${process.pid}`;

const c = useCluster(bed, { name: 'logs-exec' }, {
  tearDown: async () => {
    for (const ch of children) if (ch.exitCode === null) ch.kill('SIGKILL');
    await exec('tmux', ['-L', TMUX_SOCKET, 'kill-server']).catch(() => undefined);
  },
});

// Every instance of the container prints its own id, so the previous instance's lines
// can be told from the current one's.
const TICKER_POD = `
apiVersion: v1
kind: Pod
metadata:
  name: ticker
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: tick
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c"]
      args:
        - id=$(cat /proc/sys/kernel/random/uuid); i=0; while true; do echo "$id line $i"; i=$((i+1)); sleep 1; done
`;

const TWO_CONTAINERS = `
apiVersion: v1
kind: Pod
metadata:
  name: pair
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: a
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "echo from-a; exec sleep 3600"]
    - name: b
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "echo from-b; exec sleep 3600"]
`;

let tickerNode: SimNode;

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The CLI's own stderr, without Node's runtime warnings (a deprecation notice of the TLS stack). */
function own(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^\(node:\d+\) |^\(Use `node --trace/.test(l))
    .join('\n');
}

/** The index of a ticker line ("<id> line <n>"). */
function indexOf(line: string): number {
  return Number(/line (\d+)$/.exec(line)?.[1] ?? Number.NaN);
}

describe('orchard logs', () => {
  it('shows the lines a pod wrote', async () => {
    await orchardOk(c().cli, ['apply', '-f', c().manifestFile('ticker.yaml', TICKER_POD)]);
    const pod = await c().waitPodPhase('ticker', 'Running', 30_000);
    tickerNode = bed.nodes.find((n) => n.name === pod.spec?.nodeName)!;
    expect(tickerNode, `node of ticker: ${pod.spec?.nodeName}`).toBeDefined();
    const out = await waitFor('three lines in the logs of ticker', async () => {
      const text = await orchardOk(c().cli, ['logs', 'ticker']);
      return lines(text).length >= 3 ? text : undefined;
    }, { timeoutMs: 15_000, intervalMs: 500 });
    const ls = lines(out);
    expect(ls[0]).toMatch(/^[0-9a-f-]{36} line 0$/);
    expect(ls.map(indexOf)).toEqual(ls.map((_, i) => i));
  });

  it('--tail 2 gives the last two lines; --timestamps prefixes each', async () => {
    const tail = lines(await orchardOk(c().cli, ['logs', 'ticker', '--tail', '2']));
    expect(tail).toHaveLength(2);
    expect(indexOf(tail[1]!) - indexOf(tail[0]!)).toBe(1);
    const stamped = lines(await orchardOk(c().cli, ['logs', 'ticker', '--tail', '1', '--timestamps']));
    expect(stamped).toHaveLength(1);
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z [0-9a-f-]{36} line \d+$/);
  });

  it('-f streams new lines as they are written', async () => {
    const child = spawn(process.execPath, [distMain('cli'), 'logs', '-f', 'ticker', '--tail', '1'], {
      env: { ...process.env, ORCHARD_SERVER: c().server },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    try {
      const first = await waitFor('the first line of logs -f', () => (lines(out).length >= 1 ? indexOf(lines(out)[0]!) : undefined), { timeoutMs: 15_000 });
      // Three more lines, written after the command started, arrive while it runs.
      await waitFor(`logs -f to show line ${first + 3} (got:\n${out}${err})`, () => lines(out).some((l) => indexOf(l) >= first + 3), { timeoutMs: 10_000 });
      expect(child.exitCode, `logs -f must still run; stderr: ${err}`).toBeNull();
      const got = lines(out).map(indexOf);
      expect(got.slice(0, 4)).toEqual([first, first + 1, first + 2, first + 3]);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      children.delete(child);
    }
  });

  it('--previous shows the output of the instance before a restart', async () => {
    const before = lines(await orchardOk(c().cli, ['logs', 'ticker', '--tail', '1']))[0]!;
    const oldId = before.split(' ')[0];
    const r = await c().cli(['logs', 'ticker', '--previous']);
    expect(r.code, 'no previous instance yet').toBe(1);
    expect(r.stderr).toContain('previous terminated container "tick" in pod "ticker" not found');

    const running = (await c().podContainers(tickerNode, 'ticker')).filter((x) => x.running && x.labels['io.orchard.container.name'] === 'tick');
    expect(running).toHaveLength(1);
    await dockerOk(nodeEngine(tickerNode), ['kill', running[0]!.id]);
    const current = await waitFor('ticker to run again with a new instance', async () => {
      const rr = await c().cli(['logs', 'ticker', '--tail', '1']);
      const l = lines(rr.stdout)[0];
      return rr.code === 0 && l && l.split(' ')[0] !== oldId ? l : undefined;
    }, { timeoutMs: 20_000, intervalMs: 500 });
    expect(current).toMatch(/^[0-9a-f-]{36} line \d+$/);

    const previous = lines(await orchardOk(c().cli, ['logs', 'ticker', '--previous']));
    expect(previous.length).toBeGreaterThanOrEqual(indexOf(before) + 1);
    expect(new Set(previous.map((l) => l.split(' ')[0]))).toEqual(new Set([oldId]));
  });

  it('names the container to choose when a pod has several, and refuses a wrong one', async () => {
    await orchardOk(c().cli, ['apply', '-f', c().manifestFile('pair.yaml', TWO_CONTAINERS)]);
    await c().waitPodPhase('pair', 'Running', 30_000);
    const none = await c().cli(['logs', 'pair']);
    expect(none.code).toBe(1);
    expect(own(none.stderr)).toBe('error: a container name must be specified for pod pair, choose one of: [a b]\n');
    const wrong = await c().cli(['logs', 'pair', '-c', 'ghost']);
    expect(own(wrong.stderr)).toBe('error: container ghost is not valid for pod pair\n');
    const b = await waitFor('the output of container b', async () => {
      const rr = await c().cli(['logs', 'pair', '-c', 'b']);
      return rr.stdout.includes('from-b') ? rr : undefined;
    }, { timeoutMs: 10_000, intervalMs: 300 });
    expect(b.stdout).toBe('from-b\n');
    const missing = await c().cli(['logs', 'nosuchpod']);
    expect(own(missing.stderr)).toBe('error: pods "nosuchpod" not found\n');
  });
});

describe('orchard exec', () => {
  it('runs a command and exits with its exit code', async () => {
    const args = ['exec', 'ticker', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3'];
    const r = await c().cli(args);
    expect(r.code, describeResult(args, r)).toBe(3);
    expect(r.stdout).toBe('hi\n');
    expect(own(r.stderr)).toBe('oops\ncommand terminated with exit code 3\n');
    const ok = await c().cli(['exec', 'pair', '-c', 'a', '--', 'true']);
    expect(ok.code, describeResult(['exec', 'pair', '-c', 'a', '--', 'true'], ok)).toBe(0);
  });

  it('-i passes stdin through to the command', async () => {
    const args = ['exec', '-i', 'ticker', '--', 'cat'];
    const r = await c().cli(args, { input: 'data\nmore data\n' });
    expect(r.code, describeResult(args, r)).toBe(0);
    expect(r.stdout).toBe('data\nmore data\n');
    const counted = await c().cli(['exec', '-i', 'ticker', '--', 'wc', '-c'], { input: 'x'.repeat(200_000) });
    expect(counted.stdout.trim()).toBe('200000');
  });

  it('-it runs an interactive shell on a terminal that follows a resize', async () => {
    const script = path.join(c().runDir, 'exec-shell.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nexport ORCHARD_SERVER='${c().server}'\nexport ORCHARD_CONFIG='${process.env.ORCHARD_CONFIG ?? ''}'\n` +
        `'${process.execPath}' '${distMain('cli')}' exec -it ticker -- sh\necho "exec exited $?"\nsleep 30\n`,
    );
    chmodSync(script, 0o755);
    const tmux = (args: string[]) => exec('tmux', ['-L', TMUX_SOCKET, ...args], { timeoutMs: 10_000 });
    const screen = async () => (await tmux(['capture-pane', '-p', '-t', 'sh'])).stdout;
    const started = await tmux(['new-session', '-d', '-s', 'sh', '-x', '80', '-y', '24', script]);
    expect(started.code, started.stderr).toBe(0);

    const prompt = async () => /[#$] *$/m.test(await screen());
    try {
      await waitFor('the remote shell prompt', prompt, { timeoutMs: 10_000, intervalMs: 200 }).catch(async () => {
        // Seen rarely on a loaded machine: a blank terminal while the shell waits for input
        // (its first prompt lost on the way). Press Enter as a user would; a CLI that never
        // connected still shows nothing and fails below.
        process.stderr.write(`[logs-exec] no prompt after 10 s; pressing Enter (terminal: ${JSON.stringify((await screen()).trim())})\n`);
        await tmux(['send-keys', '-t', 'sh', 'Enter']);
        await waitFor('the remote shell prompt after Enter', prompt, { timeoutMs: 20_000, intervalMs: 200 });
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}; the terminal showed:\n${await screen()}`, { cause: err });
    }
    await tmux(['send-keys', '-t', 'sh', 'stty size; tty', 'Enter']);
    await waitFor(`stty size to show 24 80 (screen:\n${await screen()})`, async () => /^24 80\s*$/m.test(await screen()), { timeoutMs: 10_000, intervalMs: 200 });
    expect(await screen()).toMatch(/^\/dev\/pts\/\d+\s*$/m);

    const resized = await tmux(['resize-window', '-t', 'sh', '-x', '100', '-y', '30']);
    expect(resized.code, resized.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    await tmux(['send-keys', '-t', 'sh', 'clear; stty size', 'Enter']);
    await waitFor(`stty size to show 30 100 after the resize (screen:\n${await screen()})`, async () => /^30 100\s*$/m.test(await screen()), { timeoutMs: 10_000, intervalMs: 200 });

    await tmux(['send-keys', '-t', 'sh', 'exit 7', 'Enter']);
    await waitFor(`the CLI to exit with the shell's code (screen:\n${await screen()})`, async () => /exec exited 7/.test(await screen()), { timeoutMs: 10_000, intervalMs: 200 });
    await tmux(['kill-session', '-t', 'sh']);
  });
});
