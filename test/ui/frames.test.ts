import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { defaultTheme, plainTheme } from '../../src/ui/theme/tokens.js';
import {
  NOW,
  dockerdView,
  fullSizeDown,
  liveState,
  meshState,
  split,
  status,
  troublePings,
} from './fixtures.js';
import { openDockerd, progressText, type DockerdEditor } from '../../src/ui/state/dockerd.js';

const dockerd = (d: Partial<DockerdEditor>): UIState => ({
  ...liveState(),
  dialog: { ...openDockerd(), view: dockerdView, ...d },
});
import { frameOf } from './frame.js';
import { mesh50State } from './fixtures-mesh50.js';
import { doctorChecks, manyHealthEvents, withDrift, withHealth, withPmtu } from './fixtures-events.js';
import { splitNotOk } from '../../src/ui/components/Header.js';
import type { RouterStatus } from '../../src/router/driver.js';
import { WeaveApi } from '../../src/router/weave/api.js';
import { connectionStatus, ipamStatus, peerStatuses } from '../../src/router/weave/status.js';
import { startStandin, type Standin } from '../helpers/weave-standin.mjs';

// The Weave mesh on screen: a STAND-IN Weave HTTP server (127.0.0.1, this process) serves a report shaped like
// Weave 2.8.1's status structs with every connection state; the real API client reads it and the weave
// driver's own mapping turns it into the RouterStatus the Peers pane draws.
let standin: Standin;
let weaveRouter: RouterStatus;
beforeAll(async () => {
  standin = await startStandin({
    fixtureDir: join(import.meta.dirname, '..', 'fixtures', 'weave'),
    fixture: 'mixed',
    port: 0,
  });
  const report = await new WeaveApi(standin.addr).report();
  const ctx = {
    log: [
      'INFO: 2026/11/25 09:00:10.000001 overlay_switch ->[7a:cc:00:00:00:03(three)] fastdp timed out waiting for vxlan heartbeat',
    ],
    pendingSince: new Map([['198.18.0.4:6783', NOW - 42_000]]),
    now: NOW,
  };
  weaveRouter = {
    driver: 'weave',
    state: 'running',
    nickname: report.Router.NickName,
    name: report.Router.Name,
    listen: '198.18.0.1',
    range: report.IPAM?.Range ?? null,
    encrypted: report.Router.Encryption,
    bridge: { name: 'weave', mtu: 1376 },
    underlayMtu: 1500,
    peers: peerStatuses(report, ctx),
    connections: report.Router.Connections.map((c) => connectionStatus(c, report, ctx)),
    warnings: [],
    ...(report.IPAM ? { details: { driver: 'weave' as const, ipam: ipamStatus(report.IPAM) } } : {}),
  };
});
afterAll(async () => {
  await standin?.close();
});
const weaveState = (): UIState =>
  reducer(meshState(), { type: 'router', router: { available: true, data: weaveRouter } });

// Frames as tests (bandwhich-style): whole rendered screens at 80x24 and 160x48, compared to reviewed files
// in __frames__/. A changed frame fails; review the new file and commit it with `vitest -u`.
process.env.TZ = 'UTC';

const SIZES = [
  [80, 24],
  [160, 48],
] as const;

const scenarios: Record<string, () => UIState> = {
  'containers-focused': liveState,
  'peers-focused': () => ({ ...liveState(), focus: 'peers' }),
  'traffic-focused': () => ({
    ...liveState(),
    focus: 'traffic',
    selected: { ...liveState().selected, traffic: 2 },
  }),
  'pings-focused': () => ({ ...liveState(), focus: 'pings' }),
  'containers-filtered': () => {
    let s = reducer(liveState(), { type: 'editFilter', editing: true });
    s = reducer(s, { type: 'setFilter', text: 'we' });
    return s;
  },
  'agent-down': () =>
    reducer(
      reducer(liveState(), {
        type: 'event',
        event: {
          at: NOW,
          level: 'error',
          text: 'lost the agent: connect ENOENT /run/xnet/lab/h1/agent.sock',
        },
      }),
      {
        type: 'connection',
        connection: { state: 'down', socket: status.socket, since: NOW, reason: 'connect ENOENT' },
      },
    ),
  help: () => ({ ...liveState(), dialog: { kind: 'help' } }),
  // 15.5: the agent's health events on the event line (with their time), in the events view (e), scrolled.
  'health-event-line': () => ({ ...withHealth(meshState()), focus: 'peers' }),
  'events-view': () => ({ ...withHealth(meshState()), dialog: { kind: 'events', scroll: 0 } }),
  'events-view-scrolled': () => ({
    ...withHealth(meshState(), manyHealthEvents),
    dialog: { kind: 'events', scroll: 4 },
  }),
  'events-view-empty': () => ({ ...meshState(), dialog: { kind: 'events', scroll: 0 } }),
  // 15.6: MTU trouble says the path MTU, the MTU to set and the command, in a WHY column as wide as the screen.
  'peers-mtu-why': () => ({
    ...withPmtu(meshState()),
    focus: 'peers',
    selected: { ...meshState().selected, peers: 2 },
  }),
  // 15.9: drift says why and which key repairs it.
  'details-drift': () => ({
    ...withDrift(liveState()),
    dialog: { kind: 'details', pane: 'containers', row: 'db' },
  }),
  // 15.5b: the preflight in the TUI (D), as the agent answers it, and while it asks.
  'doctor-view': () => ({ ...meshState(), dialog: { kind: 'doctor', scroll: 0, checks: doctorChecks } }),
  'doctor-asking': () => ({ ...meshState(), dialog: { kind: 'doctor', scroll: 0 } }),
  'attach-pick': () => ({ ...liveState(), dialog: { kind: 'attachPick', selected: 1 } }),
  'attach-cidr-valid': () => ({
    ...liveState(),
    dialog: { kind: 'attachCidr', container: 'cache', input: '172.25.11.25/24', busy: false },
  }),
  'attach-cidr-taken': () => ({
    ...liveState(),
    dialog: { kind: 'attachCidr', container: 'cache', input: '172.25.11.23/24', busy: false },
  }),
  'detach-confirm': () => ({
    ...liveState(),
    dialog: {
      kind: 'confirm',
      title: 'Detach',
      message: 'Detach 172.25.11.23/24 from web? ethwe is removed.',
      intent: { kind: 'detach', container: 'web', cidrs: [] },
      busy: false,
    },
  }),
  'detach-all-type-name': () => ({
    ...liveState(),
    dialog: {
      kind: 'typeConfirm',
      title: 'Detach all',
      message: 'Detach all 2 addresses (172.25.11.24/24, 172.25.12.5/24) from db and remove ethwe.',
      expect: 'db',
      typed: 'd',
      intent: { kind: 'detach', container: 'db', cidrs: [] },
      busy: false,
    },
  }),
  'details-container': () => ({ ...liveState(), dialog: { kind: 'details', pane: 'containers', row: 'db' } }),
  'mesh-peers-focused': () => ({ ...meshState(), focus: 'peers' }),
  // 16.4: 50 peers: the summary in the title, trouble first, `/` filters them (typing, then applied).
  'mesh50-peers-focused': () => ({ ...mesh50State(), focus: 'peers' }),
  'mesh50-containers-focused': () => mesh50State(),
  'mesh50-peers-filtering': () => {
    let s = reducer({ ...mesh50State(), focus: 'peers' }, { type: 'editFilter', editing: true });
    s = reducer(s, { type: 'setFilter', text: 'unreach' });
    return s;
  },
  'mesh50-peers-filtered': () =>
    reducer(
      { ...mesh50State(), focus: 'peers', filters: { ...mesh50State().filters, peers: 'h4' } },
      {
        type: 'editFilter',
        editing: false,
      },
    ),
  'mesh-traffic-focused': () => ({ ...meshState(), focus: 'traffic' }),
  'mesh-pings-focused': () => ({ ...meshState(), focus: 'pings' }),
  // 15.8: packets/s and the protocol split from the kernel counters, in the pane and its details.
  'traffic-split-details': () => ({
    ...meshState(),
    focus: 'traffic',
    dialog: { kind: 'details', pane: 'traffic', row: 'container:web' },
  }),
  'traffic-bridge-details': () => ({
    ...meshState(),
    focus: 'traffic',
    dialog: { kind: 'details', pane: 'traffic', row: 'bridge:xnet' },
  }),
  // Interface counters count totals only: the rows say "no split" rather than a zero split.
  'traffic-no-split': () => ({
    ...reducer(liveState(), { type: 'split', split: split('interface-counters') }),
    focus: 'traffic',
  }),
  'pings-trouble': () => troubleState(),
  'pings-error-details': () => ({
    ...troubleState(),
    dialog: { kind: 'details', pane: 'pings', row: 'u-cache-db' },
  }),
  'pings-down-details': () => ({
    ...troubleState(),
    dialog: { kind: 'details', pane: 'pings', row: 'a-web-three' },
  }),
  'weave-peers-focused': () => ({ ...weaveState(), focus: 'peers' }),
  'weave-sleeve-details': () => ({
    ...weaveState(),
    focus: 'peers',
    dialog: {
      kind: 'details',
      pane: 'peers',
      row: weaveRouter.peers.find((p) => p.nickname === 'three')!.name,
    },
  }),
  'weave-pending-details': () => ({
    ...weaveState(),
    focus: 'peers',
    dialog: {
      kind: 'details',
      pane: 'peers',
      row: weaveRouter.peers.find((p) => p.nickname === 'four')!.name,
    },
  }),
  'launch-form': () => ({
    ...meshState(),
    dialog: {
      kind: 'launch',
      form: {
        driver: 'vxlan',
        nickname: 'one',
        range: '',
        peers: '198.18.0.2',
        passwordFile: '',
        subnet: '',
        mtu: '',
      },
      field: 3,
      busy: false,
    },
  }),
  'launch-ovs-gre': () => ({
    ...meshState(),
    dialog: {
      kind: 'launch',
      form: {
        driver: 'ovs-gre',
        nickname: 'two',
        range: '',
        peers: '198.18.0.1',
        passwordFile: '',
        subnet: '',
        mtu: '',
      },
      field: 2,
      busy: false,
    },
  }),
  // The bridge driver is built: its fields (slice, not subnet) and, while it launches, the check it runs.
  'launch-bridge': () => ({
    ...meshState(),
    router: { available: false, reason: 'not launched' },
    dialog: {
      kind: 'launch',
      form: {
        driver: 'bridge',
        nickname: 'one',
        range: '',
        peers: '198.18.0.2',
        passwordFile: '',
        mtu: '',
        subnet: '198.18.0.16/28',
      },
      field: 2,
      busy: true,
    },
  }),
  'launch-needs-reset': () => ({
    ...meshState(),
    dialog: {
      kind: 'launch',
      form: {
        driver: 'weave',
        nickname: 'one',
        range: '10.32.0.0/12',
        peers: '',
        passwordFile: '',
        subnet: '',
        mtu: '',
      },
      field: 0,
      busy: false,
      error:
        "launch weave: this host's router is vxlan; switching to weave needs a reset first (run `xnet-tui reset` (attachments stay), then launch again)",
      hint: 'Switching drivers needs a reset first: Esc, then R on the Peers pane resets the router (attachments stay); then l launches the new driver.',
    },
  }),
  connect: () => ({ ...meshState(), dialog: { kind: 'connect', input: '198.18.0.4', busy: false } }),
  forget: () => ({
    ...meshState(),
    dialog: { kind: 'forget', targets: ['198.18.0.2', '198.18.0.9'], selected: 1, busy: false },
  }),
  'reset-type-name': () => ({
    ...meshState(),
    dialog: {
      kind: 'typeConfirm',
      title: 'Reset the router',
      message:
        'Reset removes what the router created on this host: the VXLAN device, gossip state and its settings (vxlan driver, 3 peer(s) known). Attachments stay. Needed before switching drivers.',
      expect: 'one',
      typed: 'o',
      intent: { kind: 'reset' },
      busy: false,
    },
  }),
  'add-ping': () => ({
    ...meshState(),
    focus: 'pings',
    dialog: { kind: 'addPing', from: 'web', target: '172.25.11.2', field: 1, busy: false },
  }),
  // 15.10: the source from a list (host allowed), the target checked as it is typed.
  'add-ping-pick': () => ({
    ...meshState(),
    focus: 'pings',
    dialog: { kind: 'addPing', from: 'db', target: '', field: 0, busy: false },
  }),
  'add-ping-invalid': () => ({
    ...meshState(),
    focus: 'pings',
    dialog: { kind: 'addPing', from: '', target: '172.25.11', field: 1, busy: false },
  }),
  'dockerd-list': () => dockerd({ selected: 1, edits: { bip: '172.25.11.1/25', 'fixed-cidr': null } }),
  'dockerd-edit-valid': () =>
    dockerd({
      selected: 2,
      phase: 'edit',
      input: '172.25.11.0/25',
      check: {
        key: 'fixed-cidr',
        input: '172.25.11.0/25',
        state: 'ok',
        message: 'valid; apply would write /etc/docker/daemon.json',
      },
    }),
  'dockerd-edit-error': () =>
    dockerd({
      selected: 2,
      phase: 'edit',
      input: '172.25.12.0/25',
      check: {
        key: 'fixed-cidr',
        input: '172.25.12.0/25',
        state: 'error',
        message: 'fixed-cidr 172.25.12.0/25 is outside the bridge subnet 172.25.11.0/24 (bip)',
      },
    }),
  'dockerd-diff': () =>
    dockerd({
      phase: 'diff',
      edits: { 'fixed-cidr': '172.25.11.0/25' },
      preview: {
        staged: [{ key: 'fixed-cidr', value: '172.25.11.0/25' }],
        files: [
          {
            path: '/etc/docker/daemon.json',
            created: false,
            diff: '--- /etc/docker/daemon.json\n+++ /etc/docker/daemon.json (new)\n {\n   "bridge": "br0",\n-  "bip": "172.25.11.1/24"\n+  "bip": "172.25.11.1/24",\n+  "fixed-cidr": "172.25.11.0/25"\n }\n',
          },
        ],
        notes: ['dockerd restarts; containers without live-restore restart with it'],
        findings: [],
        blocked: false,
        refused: null,
        impact: dockerdView.impact,
      },
    }),
  'dockerd-confirm': () =>
    dockerd({ phase: 'confirm', confirmFor: 'apply', edits: { 'fixed-cidr': '172.25.11.0/25' }, typed: 'h' }),
  'dockerd-confirm-live-restore': () =>
    dockerd({
      phase: 'confirm',
      confirmFor: 'apply',
      edits: { 'fixed-cidr': '172.25.11.0/25' },
      typed: '',
      view: { ...dockerdView, impact: { ...dockerdView.impact!, liveRestore: true } },
    }),
  'dockerd-applying': () =>
    dockerd({
      phase: 'applying',
      edits: { 'fixed-cidr': '172.25.11.0/25' },
      progress: progressText(
        {
          phase: 'wait healthy',
          since: '',
          startedAt: new Date(NOW - 12_000).toISOString(),
          timeoutSeconds: 60,
        },
        NOW,
      ),
    }),
  'dockerd-applied-stopped': () =>
    dockerd({
      phase: 'result',
      result: {
        outcome: 'applied',
        reason: null,
        daemonLog: [],
        backup: '20250115T140500Z',
        files: [],
        steps: [
          { step: 'write', ok: true, ms: 3, detail: null },
          { step: 'restart', ok: true, ms: 1_840, detail: null },
          { step: 'wait healthy', ok: true, ms: 410, detail: null },
          { step: 're-attach', ok: true, ms: 25, detail: null },
        ],
        findings: [],
        reattached: 2,
        containers: [
          { id: 'a1', name: 'web', wasRunning: true, running: false, status: 'Exited (137) 2 seconds ago' },
          { id: 'b2', name: 'db', wasRunning: true, running: false, status: 'Exited (137) 2 seconds ago' },
        ],
        restarted: [],
      },
    }),
  'dockerd-rolled-back': () =>
    dockerd({
      phase: 'result',
      result: {
        outcome: 'rolled-back',
        reason: 'dockerd did not answer within 60 s',
        daemonLog: [
          'failed to start daemon: Error initializing network controller: bridge br9 not found',
          'dockerd exited with status 1',
        ],
        backup: '20250115T140500Z',
        files: [],
        steps: [
          { step: 'write /etc/docker/daemon.json', ok: true, ms: 3, detail: null },
          { step: 'restart dockerd', ok: false, ms: 60_012, detail: 'no answer' },
          { step: 'restore the backup and restart', ok: true, ms: 2_310, detail: null },
        ],
        findings: [],
        reattached: 0,
        containers: [],
        restarted: [],
      },
    }),
};

function troubleState(): UIState {
  const s = reducer(meshState(), { type: 'pings', pings: { available: true, data: troublePings() } });
  return { ...s, focus: 'pings' };
}

describe("the header's peer count and the Peers title", () => {
  for (const [cols, rows] of SIZES)
    it(`agree at ${cols}x${rows}: both count the other hosts`, () => {
      for (const [state, n] of [
        [meshState(), '2'],
        [mesh50State(), '49'],
      ] as const) {
        const f = stripVTControlCharacters(frameOf(state, cols, rows, defaultTheme));
        const header = /peers (\d+)/.exec(f)?.[1];
        // The title's summary: alive/peers.
        const title = /Peers \d+\/(\d+) alive/.exec(f)?.[1];
        expect(header).toBe(n);
        expect(title).toBe(header);
      }
    });
});

describe('ping checks never contradict themselves', () => {
  const row = (frame: string, label: RegExp): string => frame.split('\n').find((l) => label.test(l)) ?? '';
  for (const [cols, rows] of SIZES) {
    it(`at ${cols}x${rows}: a down row says for how long, not the last good round trip`, () => {
      const f = stripVTControlCharacters(frameOf(troubleState(), cols, rows, defaultTheme));
      const down = row(f, /→ peer thre/);
      expect(down).toMatch(/down\s+for 10s\s+100%/);
      expect(down).not.toMatch(/0\.30 ms/);
      // No samples: no state figure and no "0%" loss of nothing.
      // A check that cannot run reads `unknown`, the word `status pings --json` gives, never `error`.
      expect(row(f, /cache → 172/)).toMatch(/unknown\s+-\s+-/);
      expect(row(f, /db → 172/)).toMatch(/pending\s+-\s+-/);
    });
  }
  it('details say what the row says', () => {
    const err = stripVTControlCharacters(
      frameOf({ ...troubleState(), dialog: { kind: 'details', pane: 'pings', row: 'u-cache-db' } }, 160, 48),
    );
    expect(err).toMatch(/state\s+unknown since/);
    expect(err).not.toMatch(/up since/);
    expect(err).toMatch(/last 10 s\s+no probes/);
    expect(err).toMatch(/last answer\s+0\.2 ms \(before it stopped answering\)/);
    const down = stripVTControlCharacters(
      frameOf({ ...troubleState(), dialog: { kind: 'details', pane: 'pings', row: 'a-web-three' } }, 160, 48),
    );
    expect(down).toMatch(/state\s+down since \S+ \(10s\)/);
  });
  it('every row and its details use the state word --json gives', () => {
    for (const c of troublePings()) {
      const f = stripVTControlCharacters(
        frameOf({ ...troubleState(), dialog: { kind: 'details', pane: 'pings', row: c.id } }, 160, 48),
      );
      expect(f).toMatch(new RegExp(`state\\s+${c.state} since`));
    }
  });
  it('a peer whose full-size packets do not cross: down, with the MTU to set in the row and why in details', () => {
    const mtu = fullSizeDown(1354);
    const s = reducer(meshState(), { type: 'pings', pings: { available: true, data: [mtu] } });
    for (const [cols, rows] of SIZES) {
      const f = stripVTControlCharacters(frameOf({ ...s, focus: 'peers' }, cols, rows, defaultTheme));
      // Red is checked in a real terminal (test/lab/peerprobe.lab.test.ts); here the words.
      expect(row(f, /host → peer t/)).toMatch(/down\s+mtu 1354\s+100%/);
    }
    const details = stripVTControlCharacters(
      frameOf({ ...s, focus: 'pings', dialog: { kind: 'details', pane: 'pings', row: mtu.id } }, 160, 48),
    );
    // The dialog's text, its wrapped lines joined.
    const box = details
      .split('\n')
      .map((l) => /│ (.*) │/.exec(l)?.[1]?.trim())
      .filter(Boolean)
      .join(' ')
      .replace(/\s+/g, ' ');
    expect(box).toContain(
      'why 1450-byte packets do not cross; set the overlay MTU to 1354: xnet-tui launch --mtu 1354',
    );
    expect(box).toContain("full size 1450-byte packets, don't-fragment: down, 100% lost over 10 s");
    expect(box).toMatch(/last rtt 0\.12 ms last 10 s/);
    // Before the path MTU probe has a figure, the row says so rather than inventing one.
    const early = reducer(meshState(), {
      type: 'pings',
      pings: { available: true, data: [fullSizeDown(null)] },
    });
    expect(stripVTControlCharacters(frameOf(early, 80, 24, defaultTheme))).toMatch(/down\s+mtu \?/);
  });
});

describe('frames', () => {
  for (const [name, make] of Object.entries(scenarios)) {
    for (const [cols, rows] of SIZES) {
      it(`${name} at ${cols}x${rows}`, async () => {
        const frame = stripVTControlCharacters(frameOf(make(), cols, rows, defaultTheme));
        const lines = frame.split('\n');
        expect(lines.length).toBeLessThanOrEqual(rows - 1);
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(cols);
        await expect(frame + '\n').toMatchFileSnapshot(`__frames__/${name}-${cols}x${rows}.txt`);
      });
    }
  }

  it('NO_COLOR: the plain theme writes no colour and only ASCII', async () => {
    const raw = frameOf(liveState(), 80, 24, plainTheme);
    // eslint-disable-next-line no-control-regex
    expect(raw).not.toMatch(/\x1b\[3\dm/);
    expect(stripVTControlCharacters(raw)).toMatch(/^[\x20-\x7e\n]*$/);
    await expect(stripVTControlCharacters(raw) + '\n').toMatchFileSnapshot('__frames__/plain-80x24.txt');
  });

  it('the header draws "not ok" in the error colour, apart from the muted rest', () => {
    const frame = stripVTControlCharacters(frameOf(meshState(), 160, 48, defaultTheme));
    expect(frame.split('\n')[0]).toContain('peers 2 (1 not ok)');
    const segs = splitNotOk(' | peers 2 (1 not ok) | attached 2/4', 1, defaultTheme);
    expect(segs).toEqual([
      { text: ' | peers 2', color: defaultTheme.color.muted, bold: false },
      { text: ' (1 not ok)', color: defaultTheme.color.error, bold: true },
      { text: ' | attached 2/4', color: defaultTheme.color.muted, bold: false },
    ]);
    expect(splitNotOk(' | peers 2', 0, defaultTheme)).toHaveLength(1);
  });

  it('below 80x24 it says what size it needs', () => {
    const frame = stripVTControlCharacters(frameOf(liveState(), 79, 30, defaultTheme));
    expect(frame).toContain('needs at least 80x24; this terminal is 79x30');
    expect(frameOf(liveState(), 100, 20, defaultTheme)).toContain('100x20');
  });
});
