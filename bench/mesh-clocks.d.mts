export interface HostClocks {
  aliveSince: number | null;
  reachableSince: number | null;
  peersAnswered: number;
}
export function hostClocks(text: string, n: number, until: number): HostClocks;
export function meshClocks(
  texts: string[],
  n: number,
  from: number,
  until: number,
): { aliveMs: number; reachableMs: number };
export function agentClocks(
  hosts: { agentLog: string }[],
  from: number,
  until: number,
): { aliveMs: number; reachableMs: number };
