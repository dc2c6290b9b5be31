import { describe, expect, it } from 'vitest';
import { checkValue } from '../../src/docker/config/values.js';
import { effectiveExecStart } from '../../src/docker/config/systemd.js';
import { effectiveOptions, parseDaemonJson, parseDockerdFlags } from '../../src/docker/config/sources.js';
import { plan, stageChange, type Sources } from '../../src/docker/config/plan.js';
import { validate, type Candidate, type HostFacts } from '../../src/docker/config/validate.js';
import { unifiedDiff } from '../../src/docker/config/diff.js';
import { XnetError } from '../../src/errors.js';

const FACTS: HostFacts = {
  links: {
    lo: ['127.0.0.1/8'],
    eth0: ['198.18.0.1/24'],
    br0: ['172.25.11.1/24'],
    docker0: ['172.17.0.1/16'],
  },
  routes: [
    { dst: 'default', dev: 'eth0' },
    { dst: '198.18.0.0/24', dev: 'eth0' },
    { dst: '172.25.11.0/24', dev: 'br0' },
    { dst: '172.17.0.0/16', dev: 'docker0' },
    { dst: '10.99.0.0/16', dev: 'eth0' },
  ],
  overlay: [{ cidr: '10.40.0.0/16', what: 'the router range' }],
};

function cand(file: Record<string, unknown>, argv: string[] = ['dockerd']): Candidate {
  return {
    fileRaw: file,
    filePath: '/etc/docker/daemon.json',
    fileNonStandard: null,
    flags: parseDockerdFlags(argv),
    flagsFile: '/lib/systemd/system/docker.service',
    argv,
  };
}
const rules = (c: Candidate, facts = FACTS): string[] =>
  validate(c, facts).map((f) => `${f.severity}:${f.rule}`);

function badInputOf(fn: () => unknown): XnetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(XnetError);
    expect((err as XnetError).kind).toBe('bad_input');
    return err as XnetError;
  }
  throw new Error('did not throw');
}

describe('option values', () => {
  it('accepts well-formed values and normalises bools, ints and lists', () => {
    expect(checkValue('iptables', 'false')).toBe(false);
    expect(checkValue('mtu', '1450')).toBe(1450);
    expect(checkValue('bip', '172.25.11.1/24')).toBe('172.25.11.1/24');
    expect(checkValue('hosts', 'fd://,unix:///var/run/docker.sock')).toEqual([
      'fd://',
      'unix:///var/run/docker.sock',
    ]);
    expect(checkValue('default-address-pools', '10.10.0.0/16:24')).toEqual([
      { base: '10.10.0.0/16', size: 24 },
    ]);
    expect(checkValue('fixed-cidr-v6', 'fd00:25:11::/64')).toBe('fd00:25:11::/64');
  });

  it.each([
    ['fixed-cidr', '172.25.11.0/33'],
    ['fixed-cidr', '172.25.11/24'],
    ['fixed-cidr', '172.25.11.0'],
    ['bip', '172.25.11.0/24'],
    ['bip', 'br0'],
    ['fixed-cidr-v6', '172.25.11.0/24'],
    ['mtu', '20'],
    ['icc', 'maybe'],
    ['bridge', 'a bridge'],
    ['hosts', 'http://x'],
    ['default-address-pools', '10.10.0.0/16:8'],
  ] as const)('refuses malformed %s=%s, naming the key', (key, value) => {
    const err = badInputOf(() => checkValue(key, value));
    expect(err.field).toBe(key);
    expect(err.hint).toBeTruthy();
  });

  it('refuses unknown keys at stage time, naming them', () => {
    const daemon = parseDaemonJson('/d.json', '{}');
    const err = badInputOf(() => stageChange(daemon, 'bridges', 'br0'));
    expect(err.field).toBe('bridges');
    expect(err.hint).toMatch(/known keys: bridge, bip/);
    badInputOf(() => stageChange(daemon, 'frobnicate', null));
    // An unknown key that is in the file may be unset (that is how it is removed).
    expect(stageChange(parseDaemonJson('/d.json', '{"frobnicate": 1}'), 'frobnicate', null)).toEqual({
      key: 'frobnicate',
      value: null,
    });
  });
});

describe('daemon.json', () => {
  it('reads a file with comments and trailing commas, and says dockerd will refuse it', () => {
    const d = parseDaemonJson(
      '/d.json',
      '{\n  // LAN bridge\n  "bridge": "br0", /* ours */\n  "mtu": 1450,\n}\n',
    );
    expect(d.state).toBe('ok');
    expect(d.values).toEqual({ bridge: 'br0', mtu: 1450 });
    expect(d.nonStandard).toMatch(/comments/);
    expect(rules({ ...cand(d.raw), fileNonStandard: d.nonStandard })).toContain('error:file-not-json');
  });

  it('reports broken JSON with line and column, and never plans to overwrite it', () => {
    const text = '{\n  "bridge": "br0"\n  "mtu": 1450\n}\n';
    const d = parseDaemonJson('/d.json', text);
    expect(d.state).toBe('invalid');
    expect(d.error).toMatch(/CommaExpected at line 3/);
    const src: Sources = {
      daemon: d,
      exec: null,
      flags: parseDockerdFlags([]),
      dropInPath: '/x.conf',
      dropInText: null,
    };
    expect(() => plan(src, [{ key: 'mtu', value: 1400 }])).toThrow(/will not overwrite it/);
  });

  it('reports a file that is not an object, an unreadable one, and an absent one', () => {
    expect(parseDaemonJson('/d.json', '[1]').state).toBe('invalid');
    expect(parseDaemonJson('/d.json', null, 'cannot read it: EACCES').state).toBe('unreadable');
    expect(parseDaemonJson('/d.json', null).state).toBe('absent');
  });

  it('keeps comments out and key order in when rewriting', () => {
    const d = parseDaemonJson('/d.json', '{\n  "log-level": "warn",\n  "mtu": 1500\n}\n');
    const src: Sources = {
      daemon: d,
      exec: null,
      flags: parseDockerdFlags([]),
      dropInPath: '/x.conf',
      dropInText: null,
    };
    const p = plan(src, [
      { key: 'mtu', value: 1450 },
      { key: 'bridge', value: 'br0' },
    ]);
    expect(p.daemonJson!.after).toBe('{\n  "log-level": "warn",\n  "mtu": 1450,\n  "bridge": "br0"\n}\n');
    expect(p.daemonJson!.diff).toContain('-  "mtu": 1500\n+  "mtu": 1450,\n+  "bridge": "br0"');
    const commented = parseDaemonJson('/d.json', '{ // hi\n "mtu": 1500, }');
    const p2 = plan({ ...src, daemon: commented }, [{ key: 'icc', value: false }]);
    expect(JSON.parse(p2.daemonJson!.after)).toEqual({ mtu: 1500, icc: false });
    expect(p2.notes.join()).toMatch(/comments and trailing commas removed/);
  });
});

describe('the systemd unit', () => {
  const unit = {
    path: '/lib/systemd/system/docker.service',
    text: '[Unit]\nDescription=Docker\n[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// \\\n  --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n',
  };
  const env = (p: string): string | undefined =>
    p === '/etc/default/docker' ? 'DOCKER_OPTS="--bip=172.26.0.1/16 --iptables=false"\n' : undefined;

  it('finds the effective ExecStart across drop-ins, with continuation lines and $VAR expanded', () => {
    const exec = effectiveExecStart([unit], env)!;
    expect(exec.argv).toEqual([
      '/usr/sbin/dockerd',
      '-H',
      'fd://',
      '--containerd=/run/containerd/containerd.sock',
      '--bip=172.26.0.1/16',
      '--iptables=false',
    ]);
    expect(exec.expanded).toEqual(['DOCKER_OPTS']);
    const dropIn = {
      path: '/etc/systemd/system/docker.service.d/x.conf',
      text: '[Service]\nExecStart=\nExecStart=-/usr/bin/dockerd -b br0\n',
    };
    const over = effectiveExecStart([unit, dropIn], env)!;
    expect(over.argv).toEqual(['/usr/bin/dockerd', '-b', 'br0']);
    expect(over.file).toBe(dropIn.path);
  });

  it('reads flags the way pflag does', () => {
    const f = parseDockerdFlags([
      'dockerd',
      '-H',
      'fd://',
      '--host=unix:///run/d.sock',
      '-bbr0',
      '--debug',
      '--fixed-cidr',
      '172.25.11.0/25',
      '--icc=false',
      '--default-address-pool',
      'base=10.10.0.0/16,size=24',
      '--config-file=/etc/d.json',
    ]);
    expect(f.settings.hosts!.value).toEqual(['fd://', 'unix:///run/d.sock']);
    expect(f.settings.bridge!.value).toBe('br0');
    expect(f.settings['fixed-cidr']!.value).toBe('172.25.11.0/25');
    expect(f.settings.icc!.value).toBe(false);
    expect(f.settings['default-address-pools']!.value).toEqual([{ base: '10.10.0.0/16', size: 24 }]);
    expect(f.configFile).toBe('/etc/d.json');
    expect(f.problems).toEqual([]);
  });

  it('says where each option comes from', () => {
    const exec = effectiveExecStart([unit], env)!;
    const d = parseDaemonJson('/etc/docker/daemon.json', '{"mtu": 1450, "iptables": true}');
    const eff = Object.fromEntries(
      effectiveOptions(d, exec, parseDockerdFlags(exec.argv)).map((o) => [o.key, o]),
    );
    expect([eff.mtu!.source, eff.mtu!.value]).toEqual(['daemon.json', 1450]);
    expect([eff.bip!.source, eff.bip!.value, eff.bip!.file]).toEqual(['flag', '172.26.0.1/16', unit.path]);
    expect(eff.iptables!.source).toBe('conflict');
    expect([eff.icc!.source, eff.icc!.value]).toEqual(['default', true]);
  });

  it('changes a flag with a drop-in that keeps every other word', () => {
    const exec = effectiveExecStart([unit], env)!;
    const src: Sources = {
      daemon: parseDaemonJson('/d.json', null),
      exec,
      flags: parseDockerdFlags(exec.argv),
      dropInPath: '/etc/systemd/system/docker.service.d/50-xnet-dockerd.conf',
      dropInText: null,
    };
    const p = plan(src, [{ key: 'bip', value: '172.27.0.1/16' }]);
    expect(p.daemonJson).toBeNull();
    expect(p.dropIn!.after).toContain(
      'ExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --iptables=false --bip=172.27.0.1/16\n',
    );
    // Moving to daemon.json removes the flag and writes the file.
    const moved = plan(src, [{ key: 'bip', value: '172.26.0.1/16', to: 'daemon.json' }]);
    expect(JSON.parse(moved.daemonJson!.after)).toEqual({ bip: '172.26.0.1/16' });
    expect(moved.argv).not.toContain('--bip=172.26.0.1/16');
  });
});

describe('validation rules', () => {
  it('passes the bridge method: bridge=br0, fixed-cidr inside its subnet', () => {
    expect(rules(cand({ bridge: 'br0', 'fixed-cidr': '172.25.11.0/25' }))).toEqual([]);
  });

  it('refuses the same option as a flag and in daemon.json, and offers to move it', () => {
    const f = validate(cand({ hosts: ['unix:///var/run/docker.sock'] }, ['dockerd', '-H', 'fd://']), FACTS);
    expect(f.map((x) => x.rule)).toEqual(['flag-and-file']);
    expect(f[0]!.message).toMatch(/both as a flag/);
    expect(f[0]!.hint).toMatch(/xnet-tui dockerd move hosts --to/);
  });

  it('refuses bridge with bip', () => {
    expect(rules(cand({ bridge: 'br0', bip: '172.25.11.1/24' }))).toContain('error:bridge-with-bip');
  });

  it('refuses icc=false with iptables=false', () => {
    expect(rules(cand({ icc: false }, ['dockerd', '--iptables=false']))).toEqual([
      'error:icc-needs-iptables',
    ]);
    expect(rules(cand({ icc: false }))).toEqual([]);
  });

  it("refuses fixed-cidr outside the bridge's, bip's or docker0's subnet", () => {
    expect(rules(cand({ bridge: 'br0', 'fixed-cidr': '172.25.12.0/25' }))).toContain(
      'error:fixed-cidr-outside',
    );
    expect(rules(cand({ bip: '172.26.0.1/24', 'fixed-cidr': '172.26.1.0/25' }))).toContain(
      'error:fixed-cidr-outside',
    );
    expect(rules(cand({ bip: '172.26.0.1/24', 'fixed-cidr': '172.26.0.128/25' }))).toEqual([]);
    expect(rules(cand({ 'fixed-cidr': '172.18.0.0/24' }))).toContain('error:fixed-cidr-outside');
    const f = validate(cand({ bridge: 'br0', 'fixed-cidr': '172.25.12.0/25' }), FACTS)[0]!;
    expect(f.hint).toMatch(/172\.25\.11\.0\/25/);
  });

  it('refuses a bridge that does not exist', () => {
    expect(rules(cand({ bridge: 'br9' }))).toEqual(['error:bridge-missing']);
    expect(rules(cand({ bridge: 'none' }))).toEqual([]);
  });

  it('refuses malformed values and unknown keys found in daemon.json', () => {
    expect(rules(cand({ 'fixed-cidr': '172.25.11.0/99' }))).toContain('error:bad-value');
    expect(rules(cand({ 'no-such-option': true }))).toEqual(['error:unknown-key']);
    expect(rules(cand({ 'log-level': 'warn' }))).toEqual([]);
    expect(rules(cand({}, ['dockerd', '--mtu=9'])).join()).toMatch(/error:bad-value/);
  });

  it('refuses overlap with the overlay range and with host routes', () => {
    expect(rules(cand({ bip: '10.40.3.1/24' }))).toContain('error:overlay-overlap');
    expect(rules(cand({ bip: '10.99.1.1/24' }))).toContain('error:route-overlap');
    expect(rules(cand({ 'default-address-pools': [{ base: '10.40.0.0/16', size: 24 }] }))).toContain(
      'error:overlay-overlap',
    );
    // A pool a route covers is only a warning: dockerd skips what is taken.
    expect(rules(cand({ 'default-address-pools': [{ base: '10.99.0.0/16', size: 24 }] }))).toEqual([
      'warning:route-overlap',
    ]);
    // The bridge's own route is not an overlap.
    expect(rules(cand({ bridge: 'br0', 'fixed-cidr': '172.25.11.0/25' }))).toEqual([]);
  });

  it('asks for confirmation for a TCP socket without TLS, not with TLS', () => {
    const f = validate(cand({ hosts: ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2375'] }), FACTS);
    expect(f.map((x) => `${x.severity}:${x.rule}`)).toEqual(['confirm:tcp-without-tls']);
    expect(f[0]!.message).toMatch(/root/);
    expect(rules(cand({ hosts: ['tcp://0.0.0.0:2376'], tlsverify: true }))).toEqual([]);
  });

  it("refuses hosts without the agent's own unix socket; fd:// (systemd's socket) is left alone", () => {
    const facts = { ...FACTS, agentDockerHost: 'unix:///var/run/docker.sock' };
    expect(rules(cand({ hosts: ['tcp://127.0.0.1:2375'], tlsverify: true }), facts)).toEqual([
      'error:hosts-drop-agent-socket',
    ]);
    expect(rules(cand({}, ['dockerd', '-H', 'fd://']), facts)).toEqual([]);
    expect(rules(cand({ hosts: ['unix:///var/run/docker.sock'] }), facts)).toEqual([]);
    // Unset: dockerd's default socket. And an agent on tcp:// has no socket to lose.
    expect(rules(cand({}), facts)).toEqual([]);
    expect(rules(cand({ hosts: ['unix:///other.sock'] }), FACTS)).toEqual([]);
  });

  it('refuses ip6tables without experimental', () => {
    expect(rules(cand({ ip6tables: true }))).toEqual(['error:ip6tables-experimental']);
    expect(rules(cand({ ip6tables: true, experimental: true }))).toEqual([]);
  });
});

describe('unified diff', () => {
  it('prints hunks like diff -u', () => {
    expect(unifiedDiff('a', 'b', 'x\ny\nz\n', 'x\nY\nz\n')).toBe(
      '--- a\n+++ b\n@@ -1,3 +1,3 @@\n x\n-y\n+Y\n z\n',
    );
    expect(unifiedDiff('/dev/null', 'b', '', '{}\n')).toBe('--- /dev/null\n+++ b\n@@ -0,0 +1 @@\n+{}\n');
    expect(unifiedDiff('a', 'b', 'same\n', 'same\n')).toBe('');
  });
});
