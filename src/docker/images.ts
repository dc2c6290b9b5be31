import type Docker from 'dockerode';
import { failed } from '../errors.js';

const statusCode = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** Pulls `ref` unless dockerd has it; a host that cannot reach a registry gets told how to import it instead. */
export async function ensurePulled(docker: Docker, ref: string): Promise<'present' | 'pulled'> {
  try {
    await docker.getImage(ref).inspect();
    return 'present';
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  try {
    const stream = (await docker.pull(ref)) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
    await docker.getImage(ref).inspect();
    return 'pulled';
  } catch (err) {
    const why = ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message).trim();
    throw failed(
      `${ref} is not on this host and could not be pulled: ${why}`,
      `import it: on a host that can pull it, \`docker save ${ref} -o image.tar\`; here, \`docker load -i image.tar\``,
    );
  }
}

/** The last `lines` lines of a container's log (stdout and stderr), or [] when there is no such container. */
export async function logTail(docker: Docker, name: string, lines: number): Promise<string[]> {
  let raw: Buffer;
  try {
    raw = (await docker
      .getContainer(name)
      .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
  } catch (err) {
    if (statusCode(err) === 404) return [];
    throw err;
  }
  return demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
    .split('\n')
    .filter(Boolean);
}

/** Docker multiplexes a non-TTY container's streams: 8-byte frame headers (stream, 0, 0, 0, size32be). */
export function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i]! <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i < buf.length) out.push(buf.subarray(i));
  return Buffer.concat(out).toString('utf8');
}
