import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '@sluice/errors';
import { TenantsFileError, hashKey, objectKey, parseTenants } from '../src/index.ts';

const env = { ACME_ID: 'AKIAACME', ACME_SECRET: 'shh' };
const context = {
  env,
  readFile: (p: string) => (p === '/creds.json' ? '{"accessKeyId":"F","secretAccessKey":"G"}' : ''),
};

function file(drives: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    tenants: [
      { name: 'acme', apiKeys: [{ key: 'acme-key' }], drives, ...extra },
      { name: 'globex', apiKeys: [{ sha256: hashKey('globex-key') }], drives: [] },
    ],
  });
}

const docs = {
  name: 'docs',
  endpoint: 'http://127.0.0.1:17070',
  bucket: 'sluice',
  partSizePolicy: { kind: 'growing', partSize: '8MiB' },
  credentials: { accessKeyIdEnv: 'ACME_ID', secretAccessKeyEnv: 'ACME_SECRET' },
};

describe('tenants file', () => {
  it('authenticates keys given plain or hashed', () => {
    const t = parseTenants(file([docs]), context);
    assert.equal(t.authenticate('acme-key'), 'acme');
    assert.equal(t.authenticate('globex-key'), 'globex');
    assert.throws(() => t.authenticate('nope'), UnauthenticatedError);
    assert.throws(() => t.authenticate(undefined), /authorization: Bearer/);
  });

  it('resolves a drive with defaults and credentials, for its tenant only', () => {
    const t = parseTenants(
      file([docs, { ...docs, name: 'vault', credentials: { file: '/creds.json' } }]),
      context,
    );
    const d = t.drive('acme', 'docs');
    assert.equal(d.region, 'us-east-1');
    assert.equal(d.checksumMode, 'crc64nvme');
    assert.equal(d.requestChecksumCalculation, 'WHEN_REQUIRED');
    assert.deepEqual(d.partSizePolicy, { kind: 'growing', partSize: 8 * 1024 ** 2 });
    assert.deepEqual(d.credentials, { accessKeyId: 'AKIAACME', secretAccessKey: 'shh' });
    assert.equal(t.drive('acme', 'vault').credentials.accessKeyId, 'F');
    assert.throws(() => t.drive('globex', 'docs'), PermissionDeniedError);
    assert.throws(() => t.drive('acme', 'nope'), NotFoundError);
  });

  it('names the field that is wrong', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...docs, bucket: '' }, /tenants\[0\]\.drives\[0\]\.bucket must be a non-empty string/],
      [{ ...docs, endpoint: 'ftp://x' }, /endpoint must be an http/],
      [{ ...docs, checksumMode: 'md5' }, /checksumMode must be one of/],
      [{ ...docs, keyTemplate: '{tenant}/{date}' }, /uses \{date\}/],
      [{ ...docs, keyTemplate: '{tenant}/fixed' }, /must contain \{node_id\} or \{upload_id\}/],
      [
        { ...docs, partSizePolicy: { partSize: '1MiB' } },
        /partSizePolicy: part size .* outside S3's part limits/,
      ],
      [
        { ...docs, credentials: { accessKeyIdEnv: 'MISSING', secretAccessKeyEnv: 'ACME_SECRET' } },
        /variable MISSING is not set/,
      ],
    ];
    for (const [drive, message] of cases) {
      assert.throws(
        () => parseTenants(file([drive]), context),
        (e: unknown) => e instanceof TenantsFileError && message.test(e.message),
      );
    }
    assert.throws(() => parseTenants('{', context), /not valid JSON/);
    assert.throws(() => parseTenants(file([docs, docs]), context), /used twice/);
  });

  it('renders object keys from the template', () => {
    assert.equal(
      objectKey('{tenant}/{drive}/{node_id}/{filename}', {
        tenant: 't',
        drive: 'd',
        node_id: 'n',
        upload_id: 'u',
        filename: 'f.pdf',
      }),
      't/d/n/f.pdf',
    );
  });
});
