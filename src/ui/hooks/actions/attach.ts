import type { ActionContext, EffectHandlers } from './run.js';

/** attach and detach (src/api/attach.ts). */
export function attachActions({ run }: ActionContext): EffectHandlers<'attach' | 'detach'> {
  return {
    attach: (e) =>
      run(`attach ${e.cidr} ${e.container}`, async (l) => {
        const r = await l.call('attach', { cidrs: [e.cidr], container: e.container });
        return r.added.length
          ? `attached ${r.added.join(', ')} to ${e.container} (${r.attachment.ifname})`
          : `${e.container} already had ${r.alreadyPresent.join(', ')}`;
      }),
    detach: (e) =>
      run(`detach ${e.container}`, async (l) => {
        const r = await l.call('detach', { cidrs: e.cidrs, container: e.container });
        return `detached ${r.removed.join(', ') || 'nothing'} from ${e.container}${r.interfaceRemoved ? ', interface removed' : ''}`;
      }),
  };
}
