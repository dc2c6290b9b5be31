import { messageOf, withTimeout, type ActionContext, type EffectHandlers } from './run.js';

/** The preflight (agent/api/doctor.ts): asked once when the view opens. */
export function doctorActions({ link, dispatch }: ActionContext): EffectHandlers<'doctorLoad'> {
  return {
    doctorLoad: async () => {
      const l = link();
      if (!l)
        return dispatch({ type: 'doctor', error: 'the agent is not connected; try again when it is back' });
      try {
        const r = await withTimeout(l.call('doctor', {}), 15_000);
        dispatch({ type: 'doctor', checks: r.checks });
      } catch (err) {
        dispatch({ type: 'doctor', error: messageOf(err) });
      }
    },
  };
}
