import { Text } from 'ink';
import { fit } from '../compute/layout.js';
import type { RouterStatus } from '../../router/driver.js';
import type { AgentStatus, Connection, Feature } from '../state/model.js';
import type { Theme } from '../theme/tokens.js';

export interface HeaderProps {
  host: string;
  status: AgentStatus | undefined;
  connection: Connection;
  router: Feature<RouterStatus>;
  attached: number;
  containers: number;
  /** `HH:MM`, local time. */
  clock: string;
  width: number;
  theme: Theme;
}

/** A launch made with --confirm: the seconds left before the agent resets it by itself. */
export function confirmNote(r: RouterStatus | undefined, now = Date.now()): string {
  if (r?.confirm?.state !== 'waiting') return '';
  const left = Math.max(0, Math.round((Date.parse(r.confirm.by) - now) / 1000));
  return `, unconfirmed: reset in ${left} s (xnet-tui confirm)`;
}

/** One line: host, driver, router state, peer and attachment counts, docker, clock. */
export function Header({
  host,
  status,
  connection,
  router,
  attached,
  containers,
  clock,
  width,
  theme,
}: HeaderProps) {
  const sep = ` ${theme.glyph.sep} `;
  const agent =
    connection.state === 'up' ? (status ? `agent ${status.version}` : 'agent') : `agent ${connection.state}`;
  const docker = status
    ? status.docker.reachable
      ? `docker ${status.docker.version}`
      : 'docker unreachable'
    : 'docker ?';
  const r = router.available ? router.data : undefined;
  const others = r?.peers.filter((p) => !p.self) ?? [];
  const down = others.filter((p) => p.gossip !== 'alive' || p.dataPlane.state !== 'reachable').length;
  const parts = [
    `driver ${r?.driver ?? '-'}`,
    `router ${r ? r.state.replace('-', ' ') : '?'}${confirmNote(r)}`,
    `peers ${r?.state === 'running' ? `${others.length}${down ? ` (${down} not ok)` : ''}` : '-'}`,
    `attached ${attached}/${containers}`,
    docker,
    agent,
  ];
  const left = `xnet-tui ${host}`;
  const right = clock;
  const middle = fit(
    sep + parts.join(sep),
    Math.max(0, width - left.length - right.length - 1),
    theme.glyph.ellipsis,
  );
  return (
    <Text wrap="truncate">
      <Text bold color={theme.color.accent}>
        {left}
      </Text>
      {splitNotOk(middle, down, theme).map((seg, i) => (
        <Text key={i} color={seg.color} bold={seg.bold}>
          {seg.text}
        </Text>
      ))}{' '}
      {right}
    </Text>
  );
}

/** The header's middle in pieces: "(N not ok)", the one thing the eye must find, in the error colour; the rest muted. */
export function splitNotOk(
  middle: string,
  down: number,
  theme: Theme,
): { text: string; color: string | undefined; bold: boolean }[] {
  const bad = ` (${down} not ok)`;
  const at = down ? middle.indexOf(bad) : -1;
  const muted = (text: string) => ({ text, color: theme.color.muted, bold: false });
  if (at < 0) return [muted(middle)];
  return [
    muted(middle.slice(0, at)),
    { text: bad, color: theme.color.error, bold: true },
    muted(middle.slice(at + bad.length)),
  ].filter((seg) => seg.text);
}
