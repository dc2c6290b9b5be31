import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../../src/agent/client.js';
import { AgentConnection } from '../../src/agent/rpc.js';
import { XnetError } from '../../src/errors.js';
import type { Result } from '../../src/api/index.js';
import { labAgentDockerdArgs } from '../../src/lab/dockerd.js';
import { labHost } from '../../src/lab/layout.js';
import { labSh, xnet } from '../helpers/cli.js';
import { dockerProxy, type DockerProxy } from '../helpers/docker-proxy.js';
import { agentCall, labUp } from '../helpers/lab.js';
import { eventually, until } from '../helpers/wait.js';
import { agentStatus } from './faults-helpers.js';

// The `containers` method (each TUI's Containers pane, once a second) costs no docker call: the agent keeps
// its containers from docker's events. h1's agent runs here against its real dockerd through a counting
// pass-through socket. XNET_TEST_AGENT_MAIN runs another build's agent the same way (main's, to compare).
const h1 = labHost(1);
const AGENT_MAIN = process.env.XNET_TEST_AGENT_MAIN ?? CLI_MAIN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let proxy: DockerProxy;
let agent: ChildProcess;

const containersCalls = (from: number): string[] =>
  proxy.requests.slice(from).filter((r) => /\/containers\/(json|[^/]+\/json)/.test(r));

/** `n` callers asking for `containers` once a second each for `ms`; what each got last. */
async function callers(n: number, ms: number): Promise<Result<'containers'>[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const c = await AgentConnection.open(h1.agentSocket, 5_000);
      let last: Result<'containers'> | undefined;
      try {
        for (const end = Date.now() + ms; Date.now() < end; await sleep(1_000))
          last = await c.call('containers', {});
      } finally {
        c.close();
      }
      return last!;
    }),
  );
}

const row = async (name: string) =>
  (await agentCall(h1, 'containers', {}, 5_000)).containers.find((x) => x.name === name);

/** h1's agent, run here against its dockerd through the proxy. */
const agentBehindProxy = (): ChildProcess =>
  spawn(
    'nsenter',
    [`--net=${h1.netnsPath}`, '--', process.execPath, AGENT_MAIN, 'agent', '--socket', h1.agentSocket,
      '--state-dir', h1.agentStateDir, '--docker-host', proxy.host, ...labAgentDockerdArgs(h1)],
    { stdio: 'ignore' },
  ); // prettier-ignore

/** How long after `act` returns the `containers` answer satisfies `ok` (polled every 50 ms). */
async function shows(act: () => void, ok: () => Promise<boolean>, ms: number): Promise<number> {
  act();
  const start = Date.now();
  await until('the containers answer follows', ok, ms);
  return Date.now() - start;
}

describe('containers from a cache fed by docker events', () => {
  beforeAll(async () => {
    await labUp({ hosts: 1 });
    for (const name of ['c1', 'c2'])
      labSh('h1', ['docker', 'run', '-d', '--name', name, 'xnet/busybox', 'sleep', '3600']);
    expect((await xnet(['--lab', 'h1', 'attach', '10.32.0.5/12', 'c1'])).code).toBe(0);
    // h1's own agent gives way (its supervisor first, or it would start another) to one behind the proxy.
    process.kill(Number(readFileSync(h1.supervisorPidfile, 'utf8')), 'SIGKILL');
    process.kill(Number(readFileSync(h1.agentPidfile, 'utf8')), 'SIGTERM');
    await until('h1 has no agent', async () => (await agentStatus(h1)) === undefined, 15_000);
    proxy = await dockerProxy(`/run/xnet-test-${process.env.XNET_LAB_ID ?? 0}-docker.sock`, h1.dockerHost);
    agent = agentBehindProxy();
    await until(
      'the agent behind the proxy answers',
      async () => (await agentStatus(h1)) !== undefined,
      30_000,
    );
    // Its start-up (reconcile, the first list) done before counting.
    await until('c1 listed', async () => (await row('c1'))?.attachment?.state === 'attached', 15_000);
    await sleep(2_000);
  }, 300_000);

  afterAll(async () => {
    agent?.kill('SIGTERM');
    await until('the test agent is gone', async () => (await agentStatus(h1)) === undefined, 15_000).catch(
      () => undefined,
    );
    await proxy?.close();
    await xnet(['lab', 'down']);
  }, 120_000);

  it('2 callers once a second for 5 s cost no more docker calls than none', async () => {
    const a = proxy.requests.length;
    await sleep(5_000);
    const idle = containersCalls(a);
    const b = proxy.requests.length;
    const answers = await callers(2, 5_000);
    const busy = containersCalls(b);
    console.log(
      `docker /containers calls in 5 s: ${idle.length} with no caller, ${busy.length} with 2 callers (all requests: ${b - a}, ${proxy.requests.length - b})`,
    );
    for (const r of answers) {
      expect(r.containers.find((c) => c.name === 'c1')).toMatchObject({
        running: true,
        status: expect.stringMatching(/^Up /),
        attachment: { state: 'attached', cidrs: ['10.32.0.5/12'], live: ['10.32.0.5/12'] },
      });
      expect(r.containers.find((c) => c.name === 'c2')).toMatchObject({ running: true, attachment: null });
    }
    // The health watch reads attachments every 5 s on its own, so a window may hold one of its looks more.
    expect(busy.length).toBeLessThanOrEqual(idle.length + 1);
  }, 60_000);

  it('a container started, stopped, renamed or removed shows within 1 s', async () => {
    const started = await shows(
      () => labSh('h1', ['docker', 'run', '-d', '--name', 'c3', 'xnet/busybox', 'sleep', '3600']),
      async () => (await row('c3'))?.running === true,
      5_000,
    );
    const stopped = await shows(
      () => labSh('h1', ['docker', 'kill', 'c3']),
      async () => (await row('c3'))?.running === false,
      5_000,
    );
    const renamed = await shows(
      () => labSh('h1', ['docker', 'rename', 'c3', 'c3b']),
      async () => (await row('c3b')) !== undefined && (await row('c3')) === undefined,
      5_000,
    );
    const removed = await shows(
      () => labSh('h1', ['docker', 'rm', 'c3b']),
      async () => (await row('c3b')) === undefined,
      5_000,
    );
    console.log(
      `shown after: start ${started} ms, kill ${stopped} ms, rename ${renamed} ms, rm ${removed} ms`,
    );
    expect(await row('c3b')).toBeUndefined();
    for (const ms of [started, stopped, renamed, removed]) expect(ms).toBeLessThanOrEqual(1_000);
  }, 60_000);

  it('dockerd gone and back: one list again, and what changed meanwhile shows', async () => {
    const lists = () => proxy.requests.filter((r) => /\/containers\/json/.test(r)).length;
    const before = lists();
    proxy.cut();
    labSh('h1', ['docker', 'run', '-d', '--name', 'c4', 'xnet/busybox', 'sleep', '3600']);
    await until('c4 shows after the reconnect', async () => (await row('c4'))?.running === true, 10_000);
    // Read again: still that one list, the reads cost none.
    for (let i = 0; i < 3; i++) expect((await row('c4'))?.running).toBe(true);
    expect(lists()).toBe(before + 1);
  }, 60_000);

  it('a container restarted while the event stream is down has its new PID after the reconnect', async () => {
    // dockerd unreachable for the agent (its stream cut and held down) while c1 restarts: the cache misses its
    // die and start, and c1 lists as before (running). Before, the cache kept c1's old PID, so its addresses
    // read from /proc/<old PID> as none (drift) although the reconnect had re-attached it.
    const pidOf = () => Number(labSh('h1', ['docker', 'inspect', '-f', '{{.State.Pid}}', 'c1']).trim());
    const oldPid = pidOf();
    proxy.hold();
    proxy.cut();
    try {
      labSh('h1', ['docker', 'restart', '-t', '0', 'c1']);
    } finally {
      proxy.hold(false);
    }
    expect(pidOf()).not.toBe(oldPid);
    const { ms } = await eventually(
      "c1's row reads its addresses from the new PID",
      () => row('c1'),
      (r) => r?.attachment?.state === 'attached',
      20_000,
    );
    console.log(
      `c1 restarted during the outage: attached with its addresses ${ms} ms after the stream was let back`,
    );
    expect((await row('c1'))?.attachment).toMatchObject({ live: ['10.32.0.5/12'] });
  }, 60_000);

  it('the first answer after a start has the attached containers inspected, not unknown', async () => {
    // Inspects answered 300 ms late (a loaded dockerd): before, the cache was "ready" at the list, and the
    // first read showed c1 stopped with no addresses until its inspect came in.
    proxy.slow(/^GET \S*\/containers\/[0-9a-f]{64}\/json/, 300);
    try {
      agent.kill('SIGTERM');
      await until('the test agent is gone', async () => (await agentStatus(h1)) === undefined, 15_000);
      agent = agentBehindProxy();
      // The first answer the new agent gives (asked every 20 ms until its socket takes it) is the one judged.
      const { value: first } = await eventually(
        'the new agent answers containers',
        // No agent listening yet is undefined; an answer, an error too, is judged.
        () =>
          agentCall(h1, 'containers', {}, 200).catch((err: unknown) => {
            if (err instanceof XnetError) throw err;
            return undefined;
          }),
        (r) => r !== undefined,
        30_000,
        20,
      );
      expect(first!.containers.find((c) => c.name === 'c1')).toMatchObject({
        running: true,
        status: expect.stringMatching(/^Up /),
        attachment: { state: 'attached', live: ['10.32.0.5/12'] },
      });
    } finally {
      proxy.slow();
    }
  }, 60_000);

  it('attach takes a running container the cache holds from it (no inspect); a stopped one is refused by dockerd', async () => {
    const inspects = (from: number, ref: string) =>
      proxy.requests.slice(from).filter((r) => r.includes(`/containers/${ref}/json`));
    await until(
      'c2 inspected by the cache',
      async () => (await row('c2'))?.status.startsWith('Up ') ?? false,
      10_000,
    );
    const a = proxy.requests.length;
    const r = await xnet(['--lab', 'h1', 'attach', '10.32.0.6/12', 'c2']);
    expect(r.code).toBe(0);
    expect((await row('c2'))?.attachment).toMatchObject({ state: 'attached', live: ['10.32.0.6/12'] });
    expect(inspects(a, 'c2')).toEqual([]);
    // A stopped container: the cache does not answer for it, dockerd is asked and the refusal is as before.
    labSh('h1', ['docker', 'kill', 'c4']);
    await until('c4 shows stopped', async () => (await row('c4'))?.running === false, 5_000);
    const b = proxy.requests.length;
    const refused = await xnet(['--lab', 'h1', 'attach', '10.32.0.7/12', 'c4']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^xnet-tui: error \(container\): container c4 is exited, not running/);
    expect(inspects(b, 'c4')).toHaveLength(1);
    expect((await row('c4'))?.attachment).toBeNull();
  }, 60_000);
});
