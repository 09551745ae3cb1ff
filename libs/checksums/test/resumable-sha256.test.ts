import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChecksumFormatError, ResumableSha256, resumableSha256Missing } from '../src/index.ts';

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

describe('ResumableSha256', () => {
  it('is built (infra/local/node.sh builds it)', () => {
    assert.equal(resumableSha256Missing, undefined);
    assert.equal(ResumableSha256.available, true);
  });

  it('hashes "abc" to the FIPS 180-2 value and digests mid-stream', () => {
    const hash = new ResumableSha256().update(Buffer.from('a'));
    assert.deepEqual(hash.digest(), sha256(Buffer.from('a')));
    assert.equal(hash.update(Buffer.from('bc')).digest().toString('hex'), ABC);
    assert.equal(new ResumableSha256().digest().toString('hex'), sha256(Buffer.alloc(0)).toString('hex'));
  });

  it('goes on from a saved state, cut anywhere, as if never stopped', () => {
    const file = randomBytes(300_000);
    const whole = sha256(file);
    const cuts = [0, 1, 55, 56, 63, 64, 65, 127, 128, 4_097, 299_999, 300_000];
    for (let i = 0; i < 40; i++) cuts.push(Math.floor(Math.random() * file.length));
    for (const cut of cuts) {
      const saved = new ResumableSha256().update(file.subarray(0, cut)).save();
      assert.equal(saved.length, 40 + (cut % 64), `the state at ${cut} keeps the open block only`);
      assert.equal(ResumableSha256.bytesOf(saved), cut);
      // Through a copy, as it comes back from Redis: nothing points into the old hash.
      const resumed = ResumableSha256.restore(Buffer.from(saved.toString('base64'), 'base64'));
      assert.deepEqual(resumed.update(file.subarray(cut)).digest(), whole, `cut at ${cut}`);
    }
  });

  it('saves again after a restore, and twice in a row the same', () => {
    const file = randomBytes(1_000);
    let hash = new ResumableSha256();
    for (let at = 0; at < file.length; at += 77) {
      hash.update(file.subarray(at, at + 77));
      const saved = hash.save();
      assert.deepEqual(hash.save(), saved);
      hash = ResumableSha256.restore(saved);
    }
    assert.deepEqual(hash.digest(), sha256(file));
  });

  it('refuses a saved state that is not one, saying so', () => {
    const good = new ResumableSha256().update(randomBytes(70)).save();
    const cases: [string, Uint8Array][] = [
      ['empty', Buffer.alloc(0)],
      ['short', good.subarray(0, 39)],
      ['open block longer than the count says', Buffer.concat([good, Buffer.alloc(1)])],
      ['open block shorter than the count says', good.subarray(0, good.length - 1)],
    ];
    for (const [what, saved] of cases) {
      assert.throws(
        () => ResumableSha256.restore(saved),
        (err: unknown) => err instanceof ChecksumFormatError && /is not one/.test(err.message),
        what,
      );
    }
    assert.throws(
      () => new ResumableSha256().update('abc' as unknown as Uint8Array),
      /expected a Uint8Array/,
    );
  });
});
