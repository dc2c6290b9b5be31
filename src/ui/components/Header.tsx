import { Text } from 'ink';
import { fit } from '../model/layout.js';
import type { AgentStatus, Connection, Feature, PeerRow } from '../state/model.js';
import type { Theme } from '../theme/tokens.js';

export interface HeaderProps {
  host: string;
  status: AgentStatus | undefined;
  connection: Connection;
  peers: Feature<PeerRow[]>;
  attached: number;
  containers: number;
  /** `HH:MM`, local time. */
  clock: string;
  width: number;
  theme: Theme;
}

/** One line: host, driver, router state, peer and attachment counts, docker, clock. */
export function Header({
  host,
  status,
  connection,
  peers,
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
  const parts = [
    'driver -',
    'router not built',
    `peers ${peers.available ? peers.data.length : '-'}`,
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
      <Text color={theme.color.muted}>{middle}</Text> {right}
    </Text>
  );
}
