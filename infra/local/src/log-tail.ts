import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The last `lines` lines of a log file, read from its end (service logs grow without
 * bound). Empty when the file does not exist.
 */
export function readLogTail(file: string, lines: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}
