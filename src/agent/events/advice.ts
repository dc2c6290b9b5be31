/** Advice shared by the agent's events and the TUI; plain, no node-only imports. */

/** The advice for MTU trouble: the overlay MTU that fits, and the command that sets it. */
export function mtuAdvice(suggested: number | null, underlayMtu: number | null): string {
  if (suggested === null) return '';
  const raise = underlayMtu !== null ? `, or raise the underlay MTU to ${underlayMtu}` : '';
  return `set the overlay MTU to ${suggested}: xnet-tui launch --mtu ${suggested}${raise}`;
}
