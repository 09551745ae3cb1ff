import { MemoryStaging } from '../src/index.ts';
import { stagingStoreSuite } from './staging-store.suite.ts';

stagingStoreSuite('MemoryStaging', (_t, segmentSize) =>
  Promise.resolve(new MemoryStaging({ segmentSize, namespace: 'test' })),
);
