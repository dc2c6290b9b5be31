export interface SincePeer {
  self: boolean;
  gossip: string;
  gossipSince?: number;
  dataPlane: { state: string; since?: number };
}
export function sinceConvergence(views: (SincePeer[] | undefined)[], n: number, from: number): number;
