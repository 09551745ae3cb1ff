/**
 * ETags as Sluice keeps them: bare hex (`9b2cf535f27731c974343645a3985328`, or
 * `…-3` for a multipart object). S3 sends them quoted, sometimes with the weak prefix
 * `W/`; CompleteMultipartUpload wants them quoted again. Every boundary with the store goes
 * through these two functions, so events, Redis and comparisons only ever see bare ETags.
 */

/** An ETag as S3 sends it (`"abc"`, `W/"abc"`) becomes one as Sluice stores it (`abc`). */
export function unquoteEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^(?:W\/)?"+/, '').replace(/"+$/, '');
}

/** A bare ETag as S3 wants it in a request (`"abc"`); one already quoted is left as it is. */
export function quoteEtag(etag: string): string {
  return `"${unquoteEtag(etag)}"`;
}
