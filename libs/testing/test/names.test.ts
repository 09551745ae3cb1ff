import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueName } from '../src/names.ts';

test('unique names carry their prefix, differ every time, and use only name-safe characters', () => {
  const names = new Set(Array.from({ length: 1000 }, () => uniqueName('topic')));
  assert.equal(names.size, 1000);
  for (const name of names) assert.match(name, /^topic-[0-9a-f]{32}$/);
});
