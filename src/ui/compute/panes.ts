/** The panes of the screen, in Tab order. */
export const PANES = ['peers', 'containers', 'traffic', 'pings'] as const;
export type PaneId = (typeof PANES)[number];

export const PANE_TITLE: Record<PaneId, string> = {
  peers: 'Peers',
  containers: 'Containers',
  traffic: 'Traffic',
  pings: 'Ping checks',
};

/** The pane after (or before) `p` in `order`: the order the panes are laid out on screen. */
export function nextPane(p: PaneId, step: 1 | -1, order: readonly PaneId[] = PANES): PaneId {
  const i = order.indexOf(p);
  return order[(i + step + order.length) % order.length]!;
}
