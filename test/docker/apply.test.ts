import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerdConfig } from '../../src/docker/config/apply.js';
import type { XnetError } from '../../src/errors.js';

// apply and rollback against files in a temp dir, a fake dockerd and a restart command that fails on cue.
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(
  daemonJson: string | null,
  restart: (file: string, log: string) => string[],
  agentDockerHost?: string,
) {
  const dir = mkdtempSync(join(tmpdir(), 'xnet-dockerd-'));
  dirs.push(dir);
  const file = join(dir, 'daemon.json');
  if (daemonJson !== null) writeFileSync(file, daemonJson);
  const log = join(dir, 'dockerd.log');
  writeFileSync(log, '');
  const docker = { ping: async () => 'OK', listContainers: async () => [] } as unknown as Docker;
  const config = new DockerdConfig({
    locations: { configPath: file, unitDirs: [join(dir, 'systemd')], unit: 'docker.service' },
    restart: { command: restart(file, log), unit: 'docker.service', logFile: log },
    stateDir: join(dir, 'state'),
    docker,
    facts: async () => ({
      links: { br0: ['172.25.11.1/24'] },
      routes: [],
      overlay: [],
      ...(agentDockerHost ? { agentDockerHost } : {}),
    }),
    reattach: async () => 0,
    log: () => undefined,
  });
  return { config, file, log };
}
const ok = (): string[] => ['true'];

const stagedFile = (file: string): string => join(file, '..', 'state', 'dockerd-staged.json');
const bytesOf = (path: string): Buffer | null => (existsSync(path) ? readFileSync(path) : null);

describe('staging refuses what apply would refuse', () => {
  const set = (key: string, value: unknown) => ({ set: [{ key, value }], unset: [], move: [], clear: false });

  it('a set that brings in an error exits bad input, stages nothing, keeps what was staged', async () => {
    const { config, file } = setup('{"bridge": "br0"}', ok);
    await config.stage(set('mtu', 1450));
    const before = bytesOf(stagedFile(file));
    expect(before).not.toBeNull();
    const err = await config.stage(set('bip', '172.25.11.1/24')).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'bad_input', field: 'bip' });
    expect((err as Error).message).toMatch(
      /refused, nothing staged: bridge=br0 and bip=.* mutually exclusive/,
    );
    expect(bytesOf(stagedFile(file))).toEqual(before);
    expect((await config.show()).staged).toEqual([{ key: 'mtu', value: 1450 }]);
  });

  it('an unset that brings in an error is refused; an error already there does not block its fix', async () => {
    const { config, file } = setup(
      '{"ip6tables": true, "experimental": true, "bridge": "br0", "bip": "172.25.11.1/24"}',
      ok,
    );
    // bridge with bip is wrong on disk already: staging its fix goes through.
    const fix = await config.stage({ set: [], unset: ['bip'], move: [], clear: false });
    expect(fix.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const staged = bytesOf(stagedFile(file));
    // ip6tables needs experimental: unsetting it is what apply would refuse.
    const err = await config
      .stage({ set: [], unset: ['experimental'], move: [], clear: false })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'bad_input', field: 'ip6tables' });
    expect(bytesOf(stagedFile(file))).toEqual(staged);
  });

  it("warnings and confirmations stay staged; the agent's own docker socket may not be dropped", async () => {
    const { config, file } = setup('{}', ok, 'unix:///run/xnet/docker.sock');
    const tcp = await config.stage(set('hosts', 'unix:///run/xnet/docker.sock,tcp://0.0.0.0:2375'));
    expect(tcp.findings.map((f) => `${f.severity}:${f.rule}`)).toEqual(['confirm:tcp-without-tls']);
    const kept = bytesOf(stagedFile(file));
    const err = await config.stage(set('hosts', 'tcp://0.0.0.0:2375')).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'bad_input', field: 'hosts' });
    expect((err as Error).message).toMatch(/drops unix:\/\/\/run\/xnet\/docker\.sock, the socket this agent/);
    expect((err as XnetError).hint).toBe(
      'keep the unix socket: xnet-tui dockerd set hosts=unix:///run/xnet/docker.sock,tcp://0.0.0.0:2375',
    );
    expect(bytesOf(stagedFile(file))).toEqual(kept);
  });
});

describe('apply and rollback on files', () => {
  it('writes, keeps a backup, and rollback puts the old bytes back', async () => {
    const old = '{\n  "log-level": "warn"\n}\n';
    const { config, file } = setup(old, ok);
    await config.stage({ set: [{ key: 'mtu', value: '1450' }], unset: [], move: [], clear: false });
    const r = await config.apply({ allowInsecureTcp: false, timeoutSeconds: 5 });
    expect(r.outcome).toBe('applied');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'log-level': 'warn', mtu: 1450 });
    expect((await config.show()).staged).toEqual([]);
    const back = await config.rollback({ timeoutSeconds: 5 });
    expect(back.outcome).toBe('applied');
    expect(readFileSync(file, 'utf8')).toBe(old);
  });

  it('rolls back by itself when the restart fails, with the log lines, bytes unchanged', async () => {
    const old = '{"bridge": "br0"}';
    const { config, file } = setup(old, (f, log) => [
      'sh',
      '-c',
      `if grep -q 1400 ${f}; then echo 'failed to start daemon: mtu 1400 refused' >> ${log}; exit 1; fi`,
    ]);
    await config.stage({ set: [{ key: 'mtu', value: 1400 }], unset: [], move: [], clear: false });
    const r = await config.apply({ allowInsecureTcp: false, timeoutSeconds: 5 });
    expect(r.outcome).toBe('rolled-back');
    expect(r.daemonLog).toEqual(['failed to start daemon: mtu 1400 refused']);
    expect(readFileSync(file)).toEqual(Buffer.from(old));
    await expect(config.rollback({ timeoutSeconds: 5 })).rejects.toThrow(/no backup/);
  });

  it('refuses an invalid combination and a broken file without touching either', async () => {
    // Valid when staged; the file changed under it since (another admin): apply checks again.
    const { config, file } = setup('{}', ok);
    await config.stage({ set: [{ key: 'bip', value: '172.25.11.1/24' }], unset: [], move: [], clear: false });
    writeFileSync(file, '{"bridge": "br0"}');
    await expect(config.apply({ allowInsecureTcp: false, timeoutSeconds: 5 })).rejects.toThrow(
      /mutually exclusive/,
    );
    expect(readFileSync(file, 'utf8')).toBe('{"bridge": "br0"}');
    const broken = '{"bridge": "br0",,}';
    writeFileSync(file, broken);
    await expect(config.apply({ allowInsecureTcp: false, timeoutSeconds: 5 })).rejects.toThrow(
      /will not overwrite/,
    );
    expect(readFileSync(file, 'utf8')).toBe(broken);
    expect(existsSync(file + '.bak')).toBe(false);
  });
});
