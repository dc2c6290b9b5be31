import type { ActionContext, EffectHandlers } from './run.js';

/** Ping checks (src/api/telemetry.ts). */
export function telemetryActions({ run }: ActionContext): EffectHandlers<'addPing'> {
  return {
    addPing: (e) =>
      run(`ping check ${e.target}`, async (l) => {
        const r = await l.call('pings.add', { target: e.target, ...(e.from ? { from: e.from } : {}) });
        return r.created
          ? `ping check ${r.check.label} added`
          : `ping check ${r.check.label} was already there`;
      }),
  };
}
