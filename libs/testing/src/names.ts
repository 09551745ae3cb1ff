import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';

/**
 * The part of node:test's TestContext the factories need: a place to register cleanup.
 * Cleanup runs when the test ends, whether it passed or not.
 */
export type AfterHook = Pick<TestContext, 'after'>;

/**
 * A name no other test (or earlier run) uses: `<prefix>-<uuid without dashes>`.
 * Letters, digits, `-` and `_` only, so it is valid as a topic, key, bucket stem or
 * (after the caller maps `-` to `_`) a database name.
 */
export function uniqueName(prefix = 'test'): string {
  return `${prefix}-${randomUUID().replaceAll('-', '')}`;
}
