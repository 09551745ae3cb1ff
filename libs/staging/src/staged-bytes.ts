import { DataLossError } from '@sluice/errors';

/** A staged segment that is gone (`what` names it): the upload cannot complete from it. */
export function stagingLost(what: string): DataLossError {
  return new DataLossError(
    'STAGING_LOST',
    `staged bytes ${what} are gone from staging; the upload cannot complete from them: ` +
      'send the chunk again with force, or start the upload over',
  );
}

/** Copies `pieces`, in order, to the start of `into`. */
export function copyInto(pieces: readonly Buffer[], into: Buffer): void {
  let at = 0;
  for (const piece of pieces) at += piece.copy(into, at);
}
