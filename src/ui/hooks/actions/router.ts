import { splitPeers } from '../../keys/dialogKeys.js';
import { launchFields } from '../../state/model.js';
import { eventOf, type ActionContext, type EffectHandlers } from './run.js';

/** The mesh router: launch, connect, forget, reset (src/api/router.ts). */
export function routerActions({
  run,
  dispatch,
}: ActionContext): EffectHandlers<'launch' | 'connect' | 'forget' | 'reset' | 'rotateKey'> {
  return {
    launch: (e) => {
      const f = e.form;
      const shown = launchFields(f.driver); // what the form asked for this driver is what is sent
      return run(
        `launch ${f.driver}`,
        async (l) => {
          const r = await l.call('launch', {
            driver: f.driver,
            ...(f.nickname.trim() ? { nickname: f.nickname.trim() } : {}),
            ...(shown.includes('range') && f.range.trim() ? { range: f.range.trim() } : {}),
            ...(shown.includes('subnet') && f.subnet.trim() ? { subnet: f.subnet.trim() } : {}),
            ...(f.passwordFile.trim() ? { passwordFile: f.passwordFile.trim() } : {}),
            // Not a number: sent as NaN, which the agent refuses naming the field, as the CLI's parse does.
            ...(shown.includes('mtu') && f.mtu.trim()
              ? { mtu: /^\d+$/.test(f.mtu.trim()) ? Number(f.mtu.trim()) : NaN }
              : {}),
            peers: splitPeers(f.peers),
          });
          for (const w of r.warnings) dispatch(eventOf('info', `launch: warning: ${w}`));
          const failed = r.router.connections.filter((c) => c.state === 'failed');
          for (const c of failed)
            dispatch(eventOf('error', `could not connect to ${c.target}: ${c.error ?? ''}`));
          return `router ${r.router.driver} ${r.router.state}${r.router.nickname ? ` as ${r.router.nickname}` : ''}${r.router.encrypted ? ', encrypted' : ''}`;
        },
        60_000,
      );
    },
    connect: (e) =>
      run(`connect ${e.peers.join(' ')}`, async (l) => {
        const r = await l.call('connect', { peers: e.peers });
        const failed = r.connections.filter((c) => c.state === 'failed');
        if (failed.length)
          throw new Error(
            failed.map((c) => `could not connect to ${c.target}: ${c.error ?? c.reason ?? ''}`).join('; '),
          );
        return r.connections
          .map((c) =>
            c.state === 'established'
              ? `connected to ${c.target}`
              : `${c.target}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`,
          )
          .join('; ');
      }),
    forget: (e) =>
      run(`forget ${e.peers.join(' ')}`, async (l) => {
        const r = await l.call('forget', { peers: e.peers });
        return r.forgotten.length
          ? `forgot ${r.forgotten.join(', ')}`
          : `${r.unknown.join(', ')} was not a connection target; nothing to do`;
      }),
    rotateKey: (e) =>
      run(
        'rotate-key',
        async (l) => {
          const r = await l.call('rotateKey', { passwordFile: e.passwordFile });
          return `mesh key rotated on ${r.members.length} member(s) (${r.members.map((m) => m.name).join(', ')}); ${r.removed} old key(s) removed`;
        },
        60_000,
      ),
    reset: () =>
      run('reset', async (l) => {
        const r = await l.call('reset', {});
        return r.wasLaunched
          ? 'router reset: what it created and its settings removed'
          : 'router was never launched; nothing to do';
      }),
  };
}
