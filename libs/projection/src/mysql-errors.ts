import { InternalError, SluiceError, UnavailableError } from '@sluice/errors';

/**
 * Server errors that blame the values written, not the server: retrying the same rows fails
 * the same way, so the writer isolates the record that carries them instead.
 * (MariaDB and MySQL share these numbers.)
 */
const DATA_ERRORS = new Set([
  1048, // ER_BAD_NULL_ERROR
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1292, // ER_TRUNCATED_WRONG_VALUE
  1300, // ER_INVALID_CHARACTER_STRING
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1406, // ER_DATA_TOO_LONG
  3819, // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
  4025, // ER_CONSTRAINT_FAILED (MariaDB)
]);

/** Lock conflicts between concurrent writers: the transaction was rolled back and may simply run again. */
const CONFLICT_ERRORS = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
]);

function errno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

/** True when the server refused the values themselves (see DATA_ERRORS). */
export function isDataError(err: unknown): boolean {
  const n = errno(err);
  return n !== undefined && DATA_ERRORS.has(n);
}

/** True for a deadlock or lock wait timeout. */
export function isConflict(err: unknown): boolean {
  const n = errno(err);
  return n !== undefined && CONFLICT_ERRORS.has(n);
}

/**
 * `err` from mysql2 as a SluiceError: values the server refuses are INTERNAL and not
 * retriable; everything else (connection lost, deadlock, a server restarting, a missing
 * table while an operator fixes the schema) is DATABASE_UNAVAILABLE and retriable.
 */
export function databaseError(err: unknown, doing: string): SluiceError {
  if (err instanceof SluiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const details = { errno: errno(err) ?? 0 };
  if (isDataError(err)) {
    return new InternalError(`MySQL refused the values while ${doing}: ${message}`, {
      cause: err,
      retriable: false,
      details,
    });
  }
  return new UnavailableError(
    'DATABASE_UNAVAILABLE',
    `MySQL failed while ${doing}: ${message}; check that the database is up and migrated`,
    { cause: err, details },
  );
}
