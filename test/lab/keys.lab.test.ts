import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../../src/agent/client.js';
import { labHost } from '../../src/lab/layout.js';
import { keyFromPassword } from '../../src/router/serf/process.js';
import { labSh, xnet, xnetJson } from '../helpers/cli.js';
import { agentCall } from '../helpers/lab.js';
import { withLogs } from '../helpers/wait.js';
import { h1, h2, h3, serf, until, sleep, backWithin, pidIn, serfPid } from './faults-helpers.js';

// Issue 14 item 8: the mesh key is rotated through serf's keyring on a live 3-host mesh, no member dropping out.

const h4 = labHost(4);
const OLD = '/tmp/xnet-keys-old.pw';
const NEW = '/tmp/xnet-keys-new.pw';

/** The keys serf holds on a host, read with the RPC token as an operator would (`serf keys -list`). */
function serfKeys(h: typeof h1): string[] {
  const token = (JSON.parse(readFileSync(join(h.agentStateDir, 'serf.json'), 'utf8')) as { rpc_auth: string })
    .rpc_auth;
  const r = serf(h, ['keys', '-list'], { SERF_RPC_AUTH: token });
  expect(r.code, r.out).toBe(0);
  return [...r.out.matchAll(/^\s*(\S{44})\s+\[\d+\/\d+\]/gm)].map((m) => m[1]!).sort();
}

/** How each host's agent sees the others' gossip state. */
async function gossip(h: typeof h1): Promise<string[]> {
  return (await agentCall(h, 'router', {}, 1_000)).peers.map((p) => `${p.address}=${p.gossip}`);
}

function pings(host: string, container: string, to: string, count: number): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [
      CLI_MAIN,
      'lab',
      'exec',
      host,
      '--',
      'docker',
      'exec',
      container,
      'ping',
      '-i',
      '0.1',
      '-c',
      String(count),
      to,
    ]);
    let out = '';
    p.stdout.on('data', (b) => (out += b.toString()));
    p.on('close', () => resolve(out));
  });
}

const members = async (h: typeof h1): Promise<string[]> =>
  (await gossip(h))
    .filter((g) => g.endsWith('=alive'))
    .map((g) => g.split('=')[0]!)
    .sort();

beforeAll(async () => {
  const up = await xnet(['lab', 'up', '--hosts', '4']);
  expect(up.code, up.stderr).toBe(0);
  for (const h of [h1, h2])
    labSh(h.name, ['docker', 'run', '-d', '--name', `k${h.index}`, 'xnet/busybox', 'sleep', '3600']);
  writeFileSync(OLD, 'keys-old-mesh\n', { mode: 0o600 });
  writeFileSync(NEW, 'keys-new-mesh\n', { mode: 0o600 });
  await xnetJson(['--lab', 'h1', 'launch', '--password-file', OLD]);
  await xnetJson(['--lab', 'h2', 'launch', '--password-file', OLD, h1.address]);
  await xnetJson(['--lab', 'h3', 'launch', '--password-file', OLD, h1.address]);
  // A CI run once timed out here (h1 saw neither within 20 s; never seen locally): the logs come with a failure.
  let seen: string[] = [];
  await withLogs([join(h1.agentStateDir, 'serf.log'), h1.agentLog, h2.agentLog, h3.agentLog], async () => {
    try {
      await until(
        'h1 sees h2 and h3 alive',
        async () => (seen = await gossip(h1)).filter((g) => g.endsWith('=alive')).length === 2,
        20_000,
      );
    } catch (err) {
      (err as Error).message += ` (h1's agent last said: ${seen.join(', ') || 'no peers'})`;
      throw err;
    }
  });
  expect((await xnet(['--lab', 'h1', 'attach', '10.41.0.1/24', 'k1'])).code).toBe(0);
  expect((await xnet(['--lab', 'h2', 'attach', '10.41.0.2/24', 'k2'])).code).toBe(0);
}, 240_000);

afterAll(async () => {
  await xnet(['lab', 'down']);
}, 120_000);

describe('item 8: rotate the mesh key', () => {
  it('refuses bad input with exit 2, the field named, nothing changed', async () => {
    const empty = '/tmp/xnet-keys-empty.pw';
    writeFileSync(empty, '', { mode: 0o600 });
    const state = (): string => readFileSync(join(h1.agentStateDir, 'state.json'), 'utf8');
    const before = [state(), serfKeys(h1).join(), serfKeys(h2).join()];
    for (const file of ['/tmp/xnet-keys-missing.pw', empty, OLD]) {
      const r = await xnet(['--lab', 'h1', 'rotate-key', '--password-file', file, '--json']);
      expect(r.code, `${file}: ${r.stdout}${r.stderr}`).toBe(2);
      const err = JSON.parse(r.stdout).error as { kind: string; field: string; hint?: string };
      expect(err).toMatchObject({ kind: 'bad_input', field: 'password-file' });
      expect(err.hint).toBeTruthy();
    }
    expect([state(), serfKeys(h1).join(), serfKeys(h2).join()]).toEqual(before);
    expect(before[1]).toBe(keyFromPassword('keys-old-mesh'));
  }, 60_000);

  it('rotates with a cross-host ping losing nothing and no member ever failed', async () => {
    await until(
      'k2 reaches k1',
      () => {
        try {
          labSh('h2', ['docker', 'exec', 'k2', 'ping', '-c', '1', '-W', '1', '10.41.0.1']);
          return true;
        } catch {
          return false;
        }
      },
      15_000,
    );
    const seen = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const h of [h1, h2, h3])
          for (const g of await gossip(h).catch(() => [`${h.name}-unreachable`])) seen.add(g.split('=')[1]!);
        await sleep(250);
      }
    })();
    const pinging = pings('h2', 'k2', '10.41.0.1', 100);
    await sleep(2_000);
    const r = await xnet(['--lab', 'h1', 'rotate-key', '--password-file', NEW, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as {
      members: { name: string; install: string; use: string; remove: string }[];
      removed: number;
    };
    expect(res.members.map((m) => m.name).sort()).toEqual([h1.address, h2.address, h3.address].sort());
    for (const m of res.members) expect(m).toMatchObject({ install: 'ok', use: 'ok', remove: 'ok' });
    expect(res.removed).toBe(1);
    const out = await pinging;
    await sleep(3_000);
    watching = false;
    await watch;
    const m = /(\d+) packets transmitted, (\d+) packets received/.exec(out);
    console.log(`rotation: ${m?.[0]}; gossip states seen: ${[...seen].join(',')}`);
    expect(m?.[1]).toBe('100');
    expect(m?.[2]).toBe('100');
    expect([...seen]).toEqual(['alive']);
    const key = keyFromPassword('keys-new-mesh');
    for (const h of [h1, h2, h3]) expect(serfKeys(h), h.name).toEqual([key]);
    // The member that ran it now names the new file; serf's keyring file on the others holds the new key.
    const settings = JSON.parse(readFileSync(join(h1.agentStateDir, 'state.json'), 'utf8')) as {
      router: { passwordFile: string };
    };
    expect(settings.router.passwordFile).toBe(NEW);
    for (const h of [h2, h3])
      expect(JSON.parse(readFileSync(join(h.agentStateDir, 'serf.keyring'), 'utf8'))).toEqual([key]);
  }, 90_000);

  it('keeps a fourth host with the old password out and lets one with the new in', async () => {
    const old = await xnet(['--lab', 'h4', 'launch', '--password-file', OLD, h1.address, '--json']);
    expect(old.code, old.stdout).toBe(1);
    await sleep(2_000);
    expect(await members(h1)).not.toContain(h4.address);
    expect((await xnet(['--lab', 'h4', 'reset'])).code).toBe(0);
    const fresh = await xnet(['--lab', 'h4', 'launch', '--password-file', NEW, h1.address, '--json']);
    expect(fresh.code, fresh.stdout).toBe(0);
    await until('h1 sees h4 alive', async () => (await members(h1)).includes(h4.address), 15_000);
  }, 90_000);

  it('a non-rotating member survives an agent restart and a serf restart with the rotated key', async () => {
    const serf3 = serfPid(h3);
    const pid = pidIn(h3.agentPidfile);
    process.kill(pid, 'SIGTERM');
    await backWithin(h3, pid, 10_000);
    await sleep(3_000);
    // Adopted, not restarted: the rotated key did not make the agent kill a healthy serf.
    expect(serfPid(h3)).toBe(serf3);
    expect(await members(h1)).toContain(h3.address);
    // serf itself restarted: it starts from its keyring file, which holds the new key.
    process.kill(serf3, 'SIGKILL');
    await until('h3 serf restarted', () => serfPid(h3) !== serf3, 10_000);
    await until('h1 sees h3 alive again', async () => (await members(h1)).includes(h3.address), 20_000);
    // Longer than serf's suspicion timeout: a serf started with the old key would be marked failed by now.
    await sleep(8_000);
    expect(await members(h1)).toContain(h3.address);
    expect(serfKeys(h3)).toEqual([keyFromPassword('keys-new-mesh')]);
    // A non-rotating member may now name the new file (its keyring already uses that key): no change, serf
    // kept; another password is still refused.
    const serf2 = serfPid(h2);
    const renamed = await xnet(['--lab', 'h2', 'launch', '--password-file', NEW, '--json']);
    expect(renamed.code, renamed.stdout).toBe(0);
    expect(serfPid(h2)).toBe(serf2);
    expect((await xnet(['--lab', 'h2', 'launch', '--password-file', OLD, '--json'])).code).toBe(2);
    expect(await members(h1)).toContain(h2.address);
    // The rotating member too: its settings name the new file, and its agent comes back into the mesh.
    const pid1 = pidIn(h1.agentPidfile);
    process.kill(pid1, 'SIGTERM');
    await backWithin(h1, pid1, 10_000);
    await sleep(2_000);
    expect(await members(h2)).toContain(h1.address);
  }, 120_000);
});
