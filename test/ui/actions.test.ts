import { describe, expect, it } from 'vitest';
import { XnetError } from '../../src/errors.js';
import { agentActions } from '../../src/ui/hooks/agentActions.js';
import type { AgentLink } from '../../src/ui/hooks/useAgent.js';
import type { Action } from '../../src/ui/state/reducer.js';

/** A fake agent link (the real one needs an agent): every call fails with `err`. */
const fakeLink = (err: Error): AgentLink => ({
  call: () => Promise.reject(err),
  close: () => undefined,
});

async function launchFailing(err: Error): Promise<Extract<Action, { type: 'dialogFailed' }>> {
  const seen: Action[] = [];
  const actions = agentActions(
    () => fakeLink(err),
    (a) => seen.push(a),
    () => undefined,
  );
  await actions.perform({
    kind: 'launch',
    form: { driver: 'weave', nickname: '', range: '', peers: '', passwordFile: '', subnet: '', mtu: '' },
  });
  return seen.find((a) => a.type === 'dialogFailed') as Extract<Action, { type: 'dialogFailed' }>;
}

describe('agent actions decide on error codes', () => {
  it('give the reset hint for needs_reset, however the agent words it', async () => {
    const f = await launchFailing(
      new XnetError({ kind: 'bad_input', code: 'needs_reset', message: 'another driver is set up here' }),
    );
    expect(f.message).toBe('launch weave: another driver is set up here');
    expect(f.hint).toMatch(/^Switching drivers needs a reset first/);
  });

  it('give no reset hint to an error that only says the words', async () => {
    const f = await launchFailing(new XnetError({ kind: 'failed', message: 'needs a reset first' }));
    expect(f.hint).toBeUndefined();
  });
});
