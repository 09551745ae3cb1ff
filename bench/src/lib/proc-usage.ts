/**
 * CPU seconds and peak RSS of a process from /proc (Linux). Peak RSS (VmHWM) is a
 * high-water mark over the process's life; `resetPeak` lowers it to the current RSS
 * (clear_refs 5) so each benchmark cell sees its own peak.
 */
import { readFileSync, writeFileSync } from 'node:fs';

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
