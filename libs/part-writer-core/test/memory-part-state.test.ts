import { MemoryStaging } from '@sluice/staging';
import { MemoryPartState } from '../src/index.ts';
import { partStateSuite } from './part-state.suite.ts';

partStateSuite('MemoryPartState', () =>
  Promise.resolve({ store: new MemoryPartState(), staging: new MemoryStaging() }),
);
