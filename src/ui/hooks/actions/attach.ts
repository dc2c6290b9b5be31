import type { ActionContext, EffectHandlers } from './run.js';

/** attach and detach (src/api/attach.ts). */
export function attachActions({ run }: ActionContext): EffectHandlers<'attach' | 'detach' | 'reattach'> {
  return {
    attach: (e) =>
      run(`attach ${e.cidr} ${e.container}`, async (l) => {
        const r = await l.call('attach', { cidrs: [e.cidr], container: e.container });
        return r.added.length
          ? `attached ${r.added.join(', ')} to ${e.container} (${r.attachment.ifname})`
          : `${e.container} already had ${r.alreadyPresent.join(', ')}`;
      }),
    // Attach again with the addresses it should have: the agent's attach repairs what drifted.
    reattach: (e) =>
      run(`re-attach ${e.container}`, async (l) => {
        const r = await l.call('attach', { cidrs: e.cidrs, container: e.container });
        return `re-attached ${e.container}: ${r.attachment.live.join(', ') || 'no address'} (${r.attachment.state})`;
      }),
    detach: (e) =>
      run(`detach ${e.container}`, async (l) => {
        const r = await l.call('detach', { cidrs: e.cidrs, container: e.container });
        return `detached ${r.removed.join(', ') || 'nothing'} from ${e.container}${r.interfaceRemoved ? ', interface removed' : ''}`;
      }),
  };
}
