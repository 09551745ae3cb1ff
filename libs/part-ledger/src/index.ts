export { UploadLedger, combineCrcs, fingerprint } from './upload-ledger.ts';
export type {
  ChunkChange,
  ChunkFacts,
  CrcRun,
  PartCrcs,
  PartPiece,
  PartWork,
  StoredPart,
  UploadLedgerOptions,
} from './upload-ledger.ts';
