/** The panes of the screen, in Tab order. */
export const PANES = ['peers', 'containers', 'traffic', 'pings'] as const;
export type PaneId = (typeof PANES)[number];

export const PANE_TITLE: Record<PaneId, string> = {
  peers: 'Peers',
  containers: 'Containers',
  traffic: 'Traffic',
  pings: 'Ping checks',
};

export function nextPane(p: PaneId, step: 1 | -1): PaneId {
  const i = PANES.indexOf(p);
  return PANES[(i + step + PANES.length) % PANES.length]!;
}
