import { ERROR_CATALOGUE, InvalidArgumentError, type SluiceError } from '@sluice/errors';

/**
 * The CLI's exit statuses. Scripts can rely on them: a status names the kind of failure, the
 * message on standard error says what to do about it.
 */
export const EXIT = Object.freeze({
  /** Everything asked for was done. */
  OK: 0,
  /** The upload or the command failed (refused by the server, a final status FAILED, a local read error…). */
  FAILED: 1,
  /** The command line is wrong (unknown option, missing argument, bad size). */
  USAGE: 2,
  /** The server cannot be reached, or stayed unavailable or full through every retry. */
  UNAVAILABLE: 3,
  /** No API key, an API key the server does not know, or a drive of another tenant. */
  AUTH: 4,
  /** A file, drive or upload that does not exist. */
  NOT_FOUND: 5,
  /** The upload was aborted or expired. */
  ABORTED: 6,
  /** Interrupted (Ctrl-C); an upload can be resumed by running the same command again. */
  INTERRUPTED: 130,
});

/** A command line the CLI cannot run. */
export class UsageError extends InvalidArgumentError {}

/** The exit status a failure stands for. */
export function exitCodeOf(err: SluiceError): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  switch (err.code) {
    case 'CANCELLED':
      return EXIT.INTERRUPTED;
    case 'UNAUTHENTICATED':
    case 'DRIVE_FORBIDDEN':
      return EXIT.AUTH;
    case 'FILE_NOT_FOUND':
    case 'DRIVE_NOT_FOUND':
    case 'UPLOAD_NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'UPLOAD_ABORTED':
    case 'UPLOAD_EXPIRED':
      return EXIT.ABORTED;
    default:
      break;
  }
  const grpc = ERROR_CATALOGUE[err.code].grpc;
  // Unavailable after every retry, or still refused by back-pressure when patience ran out.
  if (grpc === 'UNAVAILABLE' || (grpc === 'RESOURCE_EXHAUSTED' && ERROR_CATALOGUE[err.code].retriable)) {
    return EXIT.UNAVAILABLE;
  }
  return EXIT.FAILED;
}

/** What to tell the user beside the error's own message, by exit status. */
export function hintFor(err: SluiceError, context: { readonly server: string }): string | undefined {
  switch (exitCodeOf(err)) {
    case EXIT.UNAVAILABLE:
      return err.code === 'SERVER_UNAVAILABLE'
        ? `the server address is ${context.server}: set it with --server or SLUICE_SERVER`
        : 'the server or a service behind it is unavailable or full; try again later (an interrupted upload resumes)';
    case EXIT.AUTH:
      return err.code === 'UNAUTHENTICATED' && !err.message.includes('SLUICE_API_KEY')
        ? 'pass your API key with --api-key or SLUICE_API_KEY'
        : undefined;
    case EXIT.INTERRUPTED:
      return 'run the same command again to resume';
    default:
      return undefined;
  }
}
