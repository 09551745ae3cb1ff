import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scratchPrefix } from '../src/index.ts';

test('the scratch prefix stays inside the drive own keys, up to the first per-upload name', () => {
  const drive = { tenant: 'acme', name: 'docs' };
  assert.equal(
    scratchPrefix({ ...drive, keyTemplate: '{tenant}/{drive}/{node_id}' }, 'id'),
    'acme/docs/.sluice-drive-check/id/',
  );
  assert.equal(
    scratchPrefix({ ...drive, keyTemplate: 'in/{tenant}-{upload_id}/{filename}' }, 'id'),
    'in/.sluice-drive-check/id/',
  );
  assert.equal(scratchPrefix({ ...drive, keyTemplate: '{node_id}' }, 'id'), '.sluice-drive-check/id/');
});
