import type Docker from 'dockerode';
import { followContainerEvents } from '../docker/events.js';
import type { Telemetry } from '../telemetry/service.js';
import type { Attacher } from './attach.js';
import type { EventRing } from './events/ring.js';

/**
 * Docker's container events, as the agent follows them: a `die` ends our processes in the old namespace
 * (ping checks) and then the attachment's; a `start` re-attaches once those are gone; a `destroy` forgets it;
 * the stream coming back (dockerd restarted) re-applies every attachment. Returns the stop.
 */
export function followContainerLife(d: {
  docker: Docker;
  telemetry: Telemetry;
  attacher: Attacher;
  ring: EventRing;
  log: (msg: string) => void;
}): () => void {
  const { docker, telemetry, attacher, ring, log } = d;
  const dying = new Map<string, Promise<void>>();
  return followContainerEvents(
    docker,
    ['die', 'start', 'destroy'],
    (e) => {
      // On `die`, our processes in the old namespace (ping checks) end first, so nothing of ours keeps it
      // alive; a `start` (re-attach) waits until they are gone.
      if (e.action === 'die') dying.set(e.id, telemetry.containerDied(e.id));
      const ended = dying.get(e.id) ?? Promise.resolve();
      if (e.action !== 'die') dying.delete(e.id);
      // dockerd's own port of a started container is counted from now (bridge driver), not from the next reading.
      if (e.action === 'start')
        telemetry
          .containerStarted(e.id)
          .catch((err: Error) => log(`counting ${e.id.slice(0, 12)}: ${err.message}`));
      const work =
        e.action === 'destroy'
          ? attacher.forgetContainer(e.id)
          : e.action === 'die'
            ? ended.then(() => attacher.containerDied(e.id))
            : ended.then(() => attacher.reconcileContainer(e.id));
      work.catch((err: Error) => log(`${e.action} ${e.id.slice(0, 12)}: ${err.message}`));
    },
    () => {
      // The events stream came back: dockerd went away (a restart, for new options) and returned.
      void ring
        .push([
          {
            level: 'warn',
            kind: 'dockerd_restarted',
            subject: 'dockerd',
            text: 'dockerd restarted (its event stream came back); attachments re-applied',
          },
        ])
        .catch(() => undefined);
      void attacher.reconcileAll();
    },
    log,
  );
}
