import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError, UnauthenticatedError } from '@sluice/errors';
import { TenantsFileError, hashKey, objectKey, parseTenants } from '../src/index.ts';

const env = { ACME_ID: 'AKIAACME', ACME_SECRET: 'shh' };
const context = {
  env,
  readFile: (p: string) => (p === '/creds.json' ? '{"accessKeyId":"F","secretAccessKey":"G"}' : ''),
};

function file(drives: unknown[], extra: Record<string, unknown> = {}, globexDrives: unknown[] = []): string {
  return JSON.stringify({
    tenants: [
      { name: 'acme', apiKeys: [{ key: 'acme-key' }], drives, ...extra },
      { name: 'globex', apiKeys: [{ sha256: hashKey('globex-key') }], drives: globexDrives },
    ],
  });
}

/** What `fn` threw; fails the test when it threw nothing. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
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
    assert.equal(d.readBack, false, 'no read-back unless the drive asks for it');
    assert.equal(
      parseTenants(file([{ ...docs, readBack: true }]), context).drive('acme', 'docs').readBack,
      true,
    );
    assert.deepEqual(d.partSizePolicy, { kind: 'growing', partSize: 8 * 1024 ** 2 });
    assert.deepEqual(d.credentials, { accessKeyId: 'AKIAACME', secretAccessKey: 'shh' });
    assert.equal(t.drive('acme', 'vault').credentials.accessKeyId, 'F');
    assert.throws(() => t.drive('globex', 'docs'), NotFoundError);
    assert.throws(() => t.drive('acme', 'nope'), NotFoundError);
    assert.equal(t.driveOf('acme', 'docs'), d);
    assert.equal(t.driveOf('globex', 'docs'), undefined);
  });

  it('lets two tenants each have a drive of the same name, each resolving to its own', () => {
    const t = parseTenants(file([docs], {}, [{ ...docs, bucket: 'globex-files' }]), context);
    assert.equal(t.drive('acme', 'docs').bucket, 'sluice');
    assert.equal(t.drive('globex', 'docs').bucket, 'globex-files');
    assert.equal(t.driveOf('acme', 'docs')?.tenant, 'acme');
    assert.equal(t.driveOf('globex', 'docs')?.bucket, 'globex-files');
    assert.deepEqual(
      t.drives.map((d) => [d.tenant, d.name, d.bucket]),
      [
        ['acme', 'docs', 'sluice'],
        ['globex', 'docs', 'globex-files'],
      ],
    );
  });

  it("answers another tenant's drive exactly as a drive that does not exist", () => {
    // "vault" is globex's in the one file and no one's in the other: acme must not tell them apart.
    const vault = { ...docs, name: 'vault' };
    const foreign = parseTenants(file([docs], {}, [vault]), context);
    const unknown = parseTenants(file([docs]), context);
    assert.equal(foreign.driveOf('globex', 'vault')?.name, 'vault', 'the foreign drive exists');
    const a = caught(() => foreign.drive('acme', 'vault'));
    const b = caught(() => unknown.drive('acme', 'vault'));
    assert.ok(a instanceof NotFoundError && b instanceof NotFoundError);
    assert.equal(Object.getPrototypeOf(a), Object.getPrototypeOf(b));
    assert.equal(a.code, 'DRIVE_NOT_FOUND');
    assert.equal(a.code, b.code);
    assert.equal(a.message, b.message);
    assert.equal(a.message, 'no drive "vault" in your tenant: ask for the drives of your tenant');
  });

  it('names the field that is wrong', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...docs, bucket: '' }, /tenants\[0\]\.drives\[0\]\.bucket must be a non-empty string/],
      [{ ...docs, endpoint: 'ftp://x' }, /endpoint must be an http/],
      [{ ...docs, checksumMode: 'md5' }, /checksumMode must be one of/],
      [{ ...docs, readBack: 'yes' }, /drives\[0\]\.readBack must be true or false, not "yes"/],
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
    assert.throws(
      () => parseTenants(file([docs, docs]), context),
      (e: unknown) =>
        e instanceof TenantsFileError &&
        /^tenants\[0\]\.drives\[1\]\.name "docs" is used twice in tenant acme/.test(e.message),
    );
  });

  it("reads a tenant's limits, none when left out, and names a wrong one", () => {
    const tenants = parseTenants(
      file([docs], {
        limits: { maxOpenUploads: 100, maxChunksPerSecond: 50, maxStagedBytes: 8_589_934_592 },
      }),
      context,
    );
    assert.deepEqual(tenants.limits('acme'), {
      maxOpenUploads: 100,
      maxChunksPerSecond: 50,
      maxStagedBytes: 8_589_934_592,
    });
    assert.deepEqual(tenants.limits('globex'), {});
    const zero = caught(() => parseTenants(file([docs], { limits: { maxOpenUploads: 0 } }), context));
    assert.ok(zero instanceof TenantsFileError);
    assert.match(
      zero.message,
      /tenants\[0\]\.limits\.maxOpenUploads of tenant acme is 0; it must be a whole number of uploads of at least 1/,
    );
    for (const bad of [0, -1, 1.5, '2GiB', 2 ** 53]) {
      const e = caught(() => parseTenants(file([docs], { limits: { maxStagedBytes: bad } }), context));
      assert.ok(e instanceof TenantsFileError, `maxStagedBytes ${String(bad)} is refused`);
      assert.ok(
        e.message.startsWith(
          `tenants[0].limits.maxStagedBytes of tenant acme is ${JSON.stringify(bad)}; ` +
            'it must be a whole number of bytes of at least 1',
        ),
        e.message,
      );
    }
    const unknown = caught(() => parseTenants(file([docs], { limits: { maxBytes: 5 } }), context));
    assert.match(
      (unknown as Error).message,
      /tenants\[0\]\.limits\.maxBytes of tenant acme is not a limit: use one of maxOpenUploads, maxChunksPerSecond, maxStagedBytes/,
    );
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
