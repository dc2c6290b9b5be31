import { failed } from '../errors.js';
import type { Handlers } from '../agent/rpc.js';

type TelemetryMethod = 'rates' | 'pings' | 'pings.add' | 'pings.remove' | 'ping' | 'pmtu';

/** The telemetry API's handlers (placeholder until capture, ping checks and PMTU probes are wired in). */
export function telemetryHandlers(): Pick<Handlers, TelemetryMethod> {
  const notYet = async (): Promise<never> => {
    throw failed('telemetry is not built yet', 'see issue 5');
  };
  return {
    rates: notYet,
    pings: notYet,
    'pings.add': notYet,
    'pings.remove': notYet,
    ping: notYet,
    pmtu: notYet,
  };
}
