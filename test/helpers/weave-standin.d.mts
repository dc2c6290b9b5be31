// Types for the Weave API stand-in (plain JS so a lab host's namespace can run it with node directly).
export interface StandinRequest {
  method: string;
  path: string;
  body: string;
}
export interface Standin {
  addr: string;
  state: { fixture: string; requests: StandinRequest[]; owners: Map<string, string> };
  close: () => Promise<void>;
}
export function startStandin(opts: {
  fixtureDir: string;
  fixture: string;
  host?: string;
  port?: number;
}): Promise<Standin>;
