import { MemoryPartState } from '@sluice/part-writer-core';
import { MemoryStaging } from '@sluice/staging';
import { MemoryAssemblerState } from '../src/index.ts';
import { assemblerStateSuite } from './assembler-state.suite.ts';

assemblerStateSuite('MemoryAssemblerState', () => {
  const staging = new MemoryStaging();
  const partWriter = new MemoryPartState();
  return Promise.resolve({ store: new MemoryAssemblerState({ staging, partWriter }), staging, partWriter });
});
