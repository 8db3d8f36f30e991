import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP state ESTABLISHED in /proc/net/tcp (hex). */
const ESTABLISHED = '01';

/**
 * The established TCP connections a process holds to each of `ports` (remote ports): its sockets
 * (/proc/<pid>/fd → socket:[inode]) matched against /proc/<pid>/net/tcp{,6}, which list every
 * connection of the network namespace, not only the process's.
 */
export function tcpConnectionsOf(pid: number, ports: readonly number[]): Record<number, number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const counts: Record<number, number> = Object.fromEntries(ports.map((port) => [port, 0]));
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== ESTABLISHED || !inodes.has(fields[9] as string)) continue;
      const port = Number.parseInt((fields[2] as string).split(':')[1] as string, 16);
      if (port in counts) counts[port] = (counts[port] as number) + 1;
    }
  }
  return counts;
}
