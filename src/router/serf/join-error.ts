import { SERF_PORT } from './process.js';

/** Serf's join errors, in the operator's words. */
export function explainJoinError(raw: string): string {
  // Serf wraps errors as "1 error occurred:\n\t* Failed to join ...".
  const message = raw
    .replace(/^\d+ errors? occurred:\s*/, '')
    .replace(/\s*\n\s*\*\s*/g, '; ')
    .replace(/^\*\s*/, '')
    .trim();
  if (/decrypt|encrypt|keyring|key/i.test(message)) {
    return `${message} — the peer uses a different mesh password, or none (give both the same --password-file)`;
  }
  if (/connection refused|i\/o timeout|no route|unreachable/i.test(message)) {
    return `${message} — nothing answers on the peer's gossip port ${SERF_PORT}/tcp+udp: is its router launched?`;
  }
  return message;
}
