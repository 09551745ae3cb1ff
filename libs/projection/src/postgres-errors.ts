import { InternalError, SluiceError, UnavailableError } from '@sluice/errors';
import { DatabaseError } from 'pg';

/**
 * The SQLSTATE of an error the server sent; undefined for a driver or network failure
 * (whose `code` is a Node errno like ECONNREFUSED, which may look like a SQLSTATE: EPIPE).
 */
export function sqlState(err: unknown): string | undefined {
  return err instanceof DatabaseError ? err.code : undefined;
}

/**
 * True when the server refused the values themselves: class 22 (data exception: too long,
 * out of range, invalid text), 23502 (not null) and 23514 (check). Retrying the same rows
 * fails the same way, so the writer isolates the record that carries them instead; the
 * same rule as mysql-errors.ts, so a batch splits the same way on either database.
 */
export function isPostgresDataError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && (state.startsWith('22') || state === '23502' || state === '23514');
}

/**
 * True for a serialization failure (40001), a deadlock (40P01) or a lock wait that ran out
 * (55P03, as MySQL's lock wait timeout): the transaction was rolled back and may simply run again.
 */
export function isPostgresConflict(err: unknown): boolean {
  const state = sqlState(err);
  return state === '40001' || state === '40P01' || state === '55P03';
}

/**
 * `err` from node-pg as a SluiceError: values the server refuses are INTERNAL and not
 * retriable; everything else (connection lost, deadlock, a server restarting, a missing
 * table while an operator fixes the schema, a statement timeout) is DATABASE_UNAVAILABLE
 * and retriable.
 */
export function postgresError(err: unknown, doing: string): SluiceError {
  if (err instanceof SluiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const details = { sqlstate: sqlState(err) ?? '' };
  if (isPostgresDataError(err)) {
    return new InternalError(`PostgreSQL refused the values while ${doing}: ${message}`, {
      cause: err,
      retriable: false,
      details,
    });
  }
  return new UnavailableError(
    'DATABASE_UNAVAILABLE',
    `PostgreSQL failed while ${doing}: ${message}; check that the database is up and migrated`,
    { cause: err, details },
  );
}
