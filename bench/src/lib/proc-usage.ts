/**
 * CPU seconds and peak RSS of a process from /proc (Linux). Peak RSS (VmHWM) is a
 * high-water mark over the process's life; `resetPeak` lowers it to the current RSS
 * (clear_refs 5) so each benchmark cell sees its own peak.
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime of `pid`, and stime alone (the kernel's share: sockets, copies, faults), in seconds. */
export function cpuTimes(pid: number): { total: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses; fields count from after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [user, system] = [Number(fields[11]), Number(fields[12])];
  return { total: (user + system) / TICKS_PER_SECOND, system: system / TICKS_PER_SECOND };
}

/** VmHWM of `pid`, in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) * 1024;
}

/** Resets VmHWM to the current RSS; a no-op where the kernel refuses. */
export function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Older kernels or foreign processes: the peak then covers the process's whole life.
  }
}

/** CPU seconds and peak RSS of one process over a measured span. */
export interface ProcessUsage {
  readonly name: string;
  readonly cpuSeconds: number;
  /** Of cpuSeconds, the time in the kernel; absent where not measured. */
  readonly systemCpuSeconds?: number;
  readonly peakRssMiB: number;
}

/** Starts measuring a set of processes; `finish()` returns each one's usage since. */
export function measure(processes: readonly { name: string; pid: number }[]): { finish(): ProcessUsage[] } {
  const start = processes.map((p) => {
    resetPeak(p.pid);
    return cpuTimes(p.pid);
  });
  return {
    finish: () =>
      processes.map((p, i) => {
        const now = cpuTimes(p.pid);
        return {
          name: p.name,
          cpuSeconds: now.total - (start[i]?.total ?? 0),
          systemCpuSeconds: now.system - (start[i]?.system ?? 0),
          peakRssMiB: peakRssBytes(p.pid) / 1024 ** 2,
        };
      }),
  };
}

/** The socket inodes listening on TCP `port` (IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1];
      // Column 4 is the state: 0A is LISTEN. Column 10 is the inode.
      if (local === undefined || f[3] !== '0A' || f[9] === undefined) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(f[9]);
    }
  }
  return inodes;
}

/**
 * The process listening on TCP `port` of this machine, if this user may see it: how the bench
 * finds the services it did not start (Redis, Kafka, the S3 server) to count their CPU too.
 */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(entry);
      } catch {
        // Closed since the listing, or not ours to read.
      }
    }
  }
  return undefined;
}
