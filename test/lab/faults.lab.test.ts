import { createConnection } from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../../src/agent/client.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { agentCall, osh, overlayOf } from '../helpers/lab.js';
import { admitPinsFor, admittedIn } from '../../src/net/vxlan-admit-bpf.js';
import { eventually } from '../helpers/wait.js';
import {
  h1,
  h2,
  h3,
  nsh,
  sleep,
  agentPid,
  rssKb,
  snapshot,
  serf,
  floodList,
  until,
  agentStatus,
  backWithin,
  pidIn,
  serfPid,
} from './faults-helpers.js';

// Issue 14's fault suite: a hostile or unlucky operator against a real 3-host lab (dockerd, agents, serf, VXLAN).

const PASSWORD = '/tmp/xnet-lab1-faults.pw';
const LOG_CAP = 64 * 1024;

beforeAll(async () => {
  // Small logs, looked at every second: rotation shows within the test (the lab's agents inherit this env).
  const up = await xnet(['lab', 'up', '--hosts', '3'], {
    XNET_LOG_MAX_BYTES: String(LOG_CAP),
    XNET_LOG_CHECK_MS: '1000',
  });
  expect(up.code, up.stderr).toBe(0);
  for (const h of [h1, h2, h3]) {
    labSh(h.name, ['docker', 'run', '-d', '--name', `f${h.index}`, 'xnet/busybox', 'sleep', '3600']);
  }
  writeFileSync(PASSWORD, 'faults-mesh\n', { mode: 0o600 });
  await xnetJson(['--lab', 'h1', 'launch', '--password-file', PASSWORD, '--nickname', 'one']);
  await xnetJson(['--lab', 'h2', 'launch', '--password-file', PASSWORD, h1.address]);
  await xnetJson(['--lab', 'h3', 'launch', '--password-file', PASSWORD, h1.address]);
  await until('h1 floods to h2 and h3', () => floodList().join() === [h2.address, h3.address].join(), 20_000);
}, 240_000);

afterAll(async () => {
  await xnet(['lab', 'down']);
}, 120_000);

describe('item 4: input cannot crash the agent', () => {
  it('refuses container references docker would not accept, exit 2, field named, nothing changed', async () => {
    const pid = await agentPid('h1');
    const before = snapshot();
    for (const ref of ['..', 'a;id', '$(id)', 'wéb', '../../info', 'a|b', 'a b', 'web\n']) {
      const r = await xnet(['--lab', 'h1', 'attach', '172.25.11.50/24', ref, '--json']);
      expect(r.code, `${ref}: ${r.stdout}${r.stderr}`).toBe(2);
      const err = JSON.parse(r.stdout).error as { kind: string; field: string; hint?: string };
      expect(err.kind).toBe('bad_input');
      expect(err.field).toBe('container');
      expect(err.hint).toMatch(/docker ps/);
      const d = await xnet(['--lab', 'h1', 'detach', ref, '--json']);
      expect(d.code, `detach ${ref}: ${d.stdout}`).toBe(2);
      const p = await xnet(['--lab', 'h1', 'ping', '10.32.0.1', '--from', ref, '--count', '1', '--json']);
      expect(p.code, `ping --from ${ref}: ${p.stdout}`).toBe(2);
    }
    // The redirect dockerode followed ended the agent 2.5 s after `attach ... ..`: still the same one 4 s on.
    await sleep(4_000);
    expect(await agentPid('h1')).toBe(pid);
    expect(JSON.parse(snapshot())).toEqual(JSON.parse(before));
  }, 60_000);

  it('answers a request line over the cap with a JSON-RPC error, closes it, and keeps its memory', async () => {
    const pid = await agentPid('h1');
    const rssBefore = rssKb(pid);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = createConnection(h1.agentSocket);
      let got = '';
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no answer and no close within 10 s (got ${got.length} bytes)`));
      }, 10_000);
      s.on('data', (b) => (got += b.toString()));
      s.on('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
      s.on('error', () => undefined);
      const chunk = Buffer.alloc(1 << 20, 'a');
      // 64 MiB of one line, no newline: the agent must stop reading long before the end.
      let sent = 0;
      const more = (): void => {
        while (sent < 64 && !s.destroyed) {
          sent++;
          if (!s.write(chunk)) return void s.once('drain', more);
        }
      };
      s.on('connect', more);
    });
    const answer = JSON.parse(reply.split('\n')[0]!) as { error: { code: number; data: { field: string } } };
    expect(answer.error.code).toBe(-32600);
    expect(answer.error.data.field).toBe('request');
    expect(await agentPid('h1')).toBe(pid);
    // The cap is 1 MiB: the agent's RSS may not grow by the 64 MiB it was sent.
    expect(rssKb(pid) - rssBefore).toBeLessThan(32 * 1024);
  }, 60_000);
});

describe('item 3: serf RPC needs its token, and a tag cannot redirect the data plane', () => {
  it('refuses serf RPC without the token, to root and to any other local user', () => {
    for (const user of [undefined, 'nobody']) {
      for (const args of [['members'], ['keys', '-list'], ['tags', '-set', `vtep=198.18.0.99`]]) {
        const r = serf(h1, args, { SERF_RPC_AUTH: '' }, user);
        expect(r.code, `${user ?? 'root'} serf ${args.join(' ')}: ${r.out}`).not.toBe(0);
        expect(r.out).not.toMatch(/198\.18\.0\.2/);
      }
    }
    // The token is in a file only root reads, never on serf's command line.
    const cmdline = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    const token = (
      JSON.parse(readFileSync(join(h1.agentStateDir, 'serf.json'), 'utf8')) as { rpc_auth: string }
    ).rpc_auth;
    expect(cmdline).not.toContain(token);
    expect(sh('stat', ['-c', '%a', join(h1.agentStateDir, 'serf.json')]).trim()).toBe('600');
  });

  it("keeps h1's FDB on h2's gossip address when h2's vtep tag is set to a bogus address", async () => {
    // As root with h2's token (none on a serf without one): what a tag alone can do, set by one allowed to.
    const config = join(h2.agentStateDir, 'serf.json');
    const token = existsSync(config)
      ? (JSON.parse(readFileSync(config, 'utf8')) as { rpc_auth: string }).rpc_auth
      : '';
    const before = floodList();
    expect(before).toEqual([h2.address, h3.address]);
    const r = serf(h2, ['tags', '-set', 'vtep=198.18.0.99'], { SERF_RPC_AUTH: token });
    expect(r.code, r.out).toBe(0);
    // Tags reach h1 within a gossip round; on main the FDB followed within 3 s.
    await sleep(5_000);
    expect(floodList()).toEqual(before);
    serf(h2, ['tags', '-set', `vtep=${h2.address}`], { SERF_RPC_AUTH: token });
  }, 30_000);
});

/**
 * Probe loops and monitors (fping, ip) left behind in h1's namespaces by an agent that is gone: reparented to
 * init (PPid 1) and still running (a zombie has no namespace link to read).
 */
function orphansOnH1(): string[] {
  const nsOf = (path: string): string => {
    try {
      return `${statSync(path).ino}`;
    } catch {
      return '';
    }
  };
  const ours = new Set([nsOf(h1.netnsPath), nsOf(overlayOf(h1))].filter(Boolean));
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '';
        if (!['fping', 'ip'].includes(name) || /^PPid:\s+(\d+)/m.exec(status)?.[1] !== '1') return [];
        return ours.has(nsOf(`/proc/${pid}/ns/net`)) ? [`${pid} ${name}`] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

describe('item 6: an agent restart does not disturb the mesh', () => {
  it("SIGKILL and SIGTERM of h1's agent: zero pings lost h2 -> h1, h1 never failed on h2, back within 2 s", async () => {
    expect((await xnet(['--lab', 'h1', 'attach', '10.40.0.1/24', 'f1'])).code).toBe(0);
    expect((await xnet(['--lab', 'h2', 'attach', '10.40.0.2/24', 'f2'])).code).toBe(0);
    await until(
      'f2 reaches f1',
      () => {
        try {
          labSh('h2', ['docker', 'exec', 'f2', 'ping', '-c', '1', '-W', '1', '10.40.0.1']);
          return true;
        } catch {
          return false;
        }
      },
      15_000,
    );
    const serfBefore = serfPid(h1);
    // 10 pings a second for 12 s, from a container on h2 to one on h1, across the VXLAN mesh.
    const pinging = new Promise<string>((resolve) => {
      const p = spawn(process.execPath, [
        CLI_MAIN,
        'lab',
        'exec',
        'h2',
        '--',
        'docker',
        'exec',
        'f2',
        'ping',
        '-i',
        '0.1',
        '-c',
        '120',
        '10.40.0.1',
      ]);
      let out = '';
      p.stdout.on('data', (b) => (out += b.toString()));
      p.on('close', () => resolve(out));
    });
    // h2's view of h1, four times a second, for the whole run.
    const seen = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        try {
          const r = await agentCall(h2, 'router', {}, 500);
          seen.add(r.peers.find((p) => p.address === h1.address)?.gossip ?? 'absent');
        } catch {
          seen.add('h2-agent-unreachable');
        }
        await sleep(250);
      }
    })();
    await sleep(2_000);
    const pid1 = pidIn(h1.agentPidfile);
    process.kill(pid1, 'SIGKILL');
    const afterKill = await backWithin(h1, pid1, 5_000);
    await sleep(3_000);
    const pid2 = pidIn(h1.agentPidfile);
    process.kill(pid2, 'SIGTERM');
    const afterTerm = await backWithin(h1, pid2, 5_000);
    const out = await pinging;
    watching = false;
    await watch;
    const m = /(\d+) packets transmitted, (\d+) packets received/.exec(out);
    console.log(
      `agent back after SIGKILL ${afterKill} ms, after SIGTERM ${afterTerm} ms; ping: ${m?.[0]}; h1 on h2: ${[...seen].join(',')}`,
    );
    expect(m, out).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]));
    expect(Number(m![1])).toBe(120);
    expect([...seen]).toEqual(['alive']);
    expect(afterKill).toBeLessThan(2_000);
    expect(afterTerm).toBeLessThan(2_000);
    // The killed agent's probe loops and neighbour monitor died with it (parent-death signal), not left to run.
    expect(orphansOnH1()).toEqual([]);
    // The same serf throughout: adopted, never restarted.
    expect(serfPid(h1)).toBe(serfBefore);
  }, 60_000);

  it('keeps a damaged state file aside, starts with what parses, and says so in status', async () => {
    const file = join(h1.agentStateDir, 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as { attachments: unknown[] };
    state.attachments.push({ containerId: 'not-an-id' });
    writeFileSync(file, JSON.stringify(state));
    const pid = pidIn(h1.agentPidfile);
    process.kill(pid, 'SIGKILL');
    await backWithin(h1, pid, 5_000);
    type Status = { stateRecovery: string; attachments: number; router: { state: string } };
    // The agent answers first and relaunches the router after (overlay, address table, serf adopted).
    await until(
      'the router relaunched',
      async () => (await xnetJson<Status>(['--lab', 'h1', 'status'])).router.state === 'running',
      10_000,
    );
    const s = await xnetJson<Status>(['--lab', 'h1', 'status']);
    expect(s.stateRecovery).toMatch(/kept aside as .*state\.json\.corrupt-.*recovered 1 attachment/);
    expect(s.attachments).toBe(1);
    expect(s.router.state).toBe('running');
    expect((await xnet(['--lab', 'h1', 'status'])).stdout).toMatch(/^WARNING +state file was damaged/m);
    expect(readdirSync(h1.agentStateDir).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
  }, 30_000);

  it('runs one agent per state directory, and lab up says why an agent did not come up', async () => {
    // h3 without its supervisor and agent; a stray agent holds h3's state directory on another socket.
    process.kill(pidIn(h3.supervisorPidfile), 'SIGKILL');
    process.kill(pidIn(h3.agentPidfile), 'SIGKILL');
    const down = await xnet(['--lab', 'h3', 'status', '--json']);
    expect(down.code).toBe(3);
    const err = JSON.parse(down.stdout).error as { hint: string };
    expect(err.hint).not.toMatch(/xnet-tui agent/);
    expect(err.hint).toMatch(/lab/);
    const stray = spawn(
      'nsenter',
      [
        `--net=${h3.netnsPath}`,
        '--',
        process.execPath,
        CLI_MAIN,
        'agent',
        '--socket',
        '/tmp/xnet-lab1-stray.sock',
        '--state-dir',
        h3.agentStateDir,
        '--docker-host',
        h3.dockerHost,
      ],
      { stdio: 'ignore' },
    );
    try {
      await until(
        'the stray agent answers',
        async () => (await agentStatus({ agentSocket: '/tmp/xnet-lab1-stray.sock' })) !== undefined,
        10_000,
      );
      // A second agent for the same state directory refuses to start, whatever its socket.
      const second = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn('nsenter', [
          `--net=${h3.netnsPath}`,
          '--',
          process.execPath,
          CLI_MAIN,
          'agent',
          '--socket',
          '/tmp/xnet-lab1-second.sock',
          '--state-dir',
          h3.agentStateDir,
          '--docker-host',
          h3.dockerHost,
        ]);
        let e = '';
        p.stderr.on('data', (b) => (e += b.toString()));
        const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
        p.on('close', (code) => {
          clearTimeout(t);
          resolve({ code, err: e });
        });
      });
      expect(second.code, second.err).toBe(1);
      expect(second.err).toMatch(/another agent already runs for/);
      const up = await xnet(['lab', 'up', '--hosts', '3']);
      expect(up.code).toBe(1);
      expect(up.stderr).toMatch(/agent on h3 did not come up within 15 s: .*another agent already runs for/);
    } finally {
      stray.kill('SIGTERM');
      await new Promise((r) => stray.once('close', r));
    }
    expect((await xnet(['lab', 'up', '--hosts', '3'])).code).toBe(0);
  }, 90_000);
});

describe('item 7: the smaller ones', () => {
  it('says "permission denied: run as root" to a user who cannot open the socket', async () => {
    let r: { code: number; out: string };
    try {
      execFileSync(
        'setpriv',
        [
          '--reuid=nobody',
          '--regid=nogroup',
          '--clear-groups',
          process.execPath,
          CLI_MAIN,
          '--socket',
          h1.agentSocket,
          '--no-start',
          'status',
          '--json',
        ],
        { encoding: 'utf8', stdio: 'pipe' },
      );
      r = { code: 0, out: '' };
    } catch (e) {
      const x = e as { status: number; stdout: string };
      r = { code: x.status, out: x.stdout };
    }
    expect(r.code, r.out).toBe(1);
    const err = JSON.parse(r.out).error as { kind: string; message: string };
    expect(err.kind).toBe('permission_denied');
    expect(err.message).toMatch(/permission denied .*: run as root/);
  });

  it('refuses another password on a running member, exit 2, and it stays in the mesh', async () => {
    const other = '/tmp/xnet-lab1-faults-other.pw';
    writeFileSync(other, 'another-password\n', { mode: 0o600 });
    const serfBefore = serfPid(h2);
    const r = await xnet(['--lab', 'h2', 'launch', '--password-file', other, '--json']);
    expect(r.code, r.stdout).toBe(2);
    const err = JSON.parse(r.stdout).error as { field: string; message: string; hint: string };
    expect(err.field).toBe('password-file');
    expect(err.message).toMatch(/needs a reset first/);
    expect(err.hint).toMatch(/xnet-tui reset/);
    expect(serfPid(h2)).toBe(serfBefore);
    expect(floodList()).toContain(h2.address);
  });

  it('refuses an empty nickname and one with a newline or control character, field named', async () => {
    const before = readFileSync(join(h1.agentStateDir, 'state.json'), 'utf8');
    for (const nick of ['', 'web\nfake-line', 'tab\there', 'bell\u0007']) {
      const r = await xnet(['--lab', 'h1', 'launch', '--nickname', nick, '--json']);
      expect(r.code, JSON.stringify(nick) + r.stdout).toBe(2);
      expect(JSON.parse(r.stdout).error.field).toBe('nickname');
    }
    expect(readFileSync(join(h1.agentStateDir, 'state.json'), 'utf8')).toBe(before);
  });

  it("rotates the agent's and serf's logs at their size cap, keeping one old file", async () => {
    const logs = [h1.agentLog, join(h1.agentStateDir, 'serf.log')];
    for (const f of logs) appendFileSync(f, `${'x'.repeat(99)}\n`.repeat(3 * 1024));
    await until('both logs rotated', () => logs.every((f) => statSync(f).size < LOG_CAP), 5_000);
    for (const f of logs) {
      expect(statSync(`${f}.1`).size).toBeGreaterThan(LOG_CAP);
      expect(existsSync(`${f}.2`)).toBe(false);
    }
    // Both writers go on writing into the same file after a rotation.
    const pid = pidIn(h1.agentPidfile);
    process.kill(pid, 'SIGKILL');
    await backWithin(h1, pid, 5_000);
    await until(
      'the new agent logs',
      () => readFileSync(h1.agentLog, 'utf8').includes('listening on'),
      5_000,
    );
  }, 30_000);
});

describe('item 5: the data plane accepts VXLAN from members only', () => {
  /** The underlay addresses h's admission map lets in on the VXLAN port (read with bpftool, not the agent). */
  const admittedOn = (h: typeof h1): string[] => {
    const dump = sh('bpftool', ['-j', 'map', 'dump', 'pinned', admitPinsFor(h.agentStateDir).map]);
    return admittedIn(JSON.parse(dump) as Parameters<typeof admittedIn>[0], 4789).sort();
  };

  it('keeps out a host with the wrong password even with a hand-made FDB entry; reset removes the chain', async () => {
    // Members' containers on the overlay (already there when the whole suite runs: attach is idempotent).
    for (const [h, c, a] of [
      ['h1', 'f1', '10.40.0.1/24'],
      ['h2', 'f2', '10.40.0.2/24'],
    ])
      expect((await xnet(['--lab', h!, 'attach', a!, c!])).code).toBe(0);
    // The agent the test before restarted reads membership at its own pace (CI once read status before it had).
    await eventually(
      "h1's data plane restricted to the two members",
      async () => (await xnet(['--lab', 'h1', 'status'])).stdout,
      (out) =>
        /^data plane +restricted to members: .* from 2 member address\(es\) only \(eBPF on \S+, chain XNET-VXLAN\); not encrypted/m.test(
          out,
        ),
      15_000,
      250,
    );
    // The members are the admission program's map; the chain passes what it marked and drops the rest.
    expect(admittedOn(h1)).toEqual([h2.address, h3.address].sort());
    expect(nsh(h1, ['iptables', '-S', 'XNET-VXLAN'])).toContain('-m mark --mark 0x200000/0x200000');
    expect((await xnet(['--lab', 'h3', 'reset'])).code).toBe(0);
    // Neither the chain nor the jump: the whole table, since iptables 1.8.9 (nf_tables) answers `-S` of a chain
    // that is gone with "chain ... is incompatible, use 'nft' tool" on stderr (the stray line in this suite's output).
    expect(nsh(h3, ['iptables', '-S'])).not.toContain('XNET-VXLAN');
    const wrong = '/tmp/xnet-lab1-faults-wrong.pw';
    writeFileSync(wrong, 'not-the-mesh-password\n', { mode: 0o600 });
    // Joining fails (exit 1): the gossip is closed to it.
    expect((await xnet(['--lab', 'h3', 'launch', '--password-file', wrong, h1.address])).code).toBe(1);
    expect((await xnet(['--lab', 'h3', 'attach', '10.40.0.3/24', 'f3'])).code).toBe(0);
    // The outsider keeps a hand-made flood entry to h1 (no agent of ours there to sync its FDB away).
    if (existsSync(h3.supervisorPidfile ?? '')) process.kill(pidIn(h3.supervisorPidfile), 'SIGKILL');
    process.kill(pidIn(h3.agentPidfile), 'SIGTERM');
    await until('h3 has no agent', async () => (await agentStatus(h3)) === undefined, 10_000);
    osh(h3, ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'xnet-vx', 'dst', h1.address]);
    // And a hand-made neighbour entry for f1: the device answers ARP from its own table (proxy) and sends none
    // across, so without it the outsider's packets would never leave h3 for h1's chain to drop.
    const f1Mac = labSh('h1', ['docker', 'exec', 'f1', 'cat', '/sys/class/net/ethwe/address']).trim();
    osh(h3, ['ip', 'neigh', 'replace', '10.40.0.1', 'lladdr', f1Mac, 'dev', 'xnet-vx', 'nud', 'permanent']);
    expect(admittedOn(h1)).toEqual([h2.address]);
    // In the overlay namespace the entry names the underlay's namespace too (link-netnsid).
    expect(osh(h3, ['bridge', 'fdb', 'show', 'dev', 'xnet-vx'])).toMatch(
      new RegExp(`dst ${h1.address.replace(/\./g, '\\.')} (link-netnsid \\d+ )?self permanent`),
    );
    let reached = true;
    try {
      labSh('h3', ['docker', 'exec', 'f3', 'ping', '-c', '3', '-W', '1', '10.40.0.1']);
    } catch {
      reached = false;
    }
    expect(reached).toBe(false);
    // Dropped by the chain, not lost by chance: its DROP rule counted h3's packets.
    const drops = nsh(h1, ['iptables', '-vnxL', 'XNET-VXLAN'])
      .split('\n')
      .find((l) => /DROP/.test(l));
    expect(Number(drops?.trim().split(/\s+/)[0])).toBeGreaterThan(0);
    // A member still gets through.
    labSh('h2', ['docker', 'exec', 'f2', 'ping', '-c', '2', '-W', '2', '10.40.0.1']);
  }, 60_000);
});
