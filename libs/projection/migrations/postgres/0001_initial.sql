-- Upload state projected from intake.chunks, intake.parts and intake.uploads (libs/projection),
-- on PostgreSQL 15: the tables of ../0001_initial.sql (MySQL), value for value.
--
-- Every column of uploads, chunks and parts is a function of the events alone, never of the
-- clock or of the order they were read in, so a replay into an empty schema gives the same
-- rows. Each type holds exactly what its MySQL column holds, and refuses what it refuses
-- (as a data error, SQLSTATE class 22 or 23514):
-- * BIGINT UNSIGNED is uint64, NUMERIC(20,0) within 0 .. 2^64-1: a CRC-64 uses all 64 bits,
--   past BIGINT's 2^63-1;
-- * INT UNSIGNED is uint32, BIGINT within 0 .. 2^32-1 (a CRC-32 uses all 32), and SMALLINT
--   UNSIGNED uint16;
-- * DATETIME(3) in UTC is TIMESTAMPTZ(3): the same instant whatever the session's time zone
--   (node-pg reads TIMESTAMP without zone in the client's local time);
-- * text is COLLATE "C", so comparisons and key order are byte order as under utf8mb4_bin
--   and ascii_bin (keyset paging and the rebuild comparison depend on it), and columns that
--   MySQL keeps in ASCII check it (a string is ASCII when its bytes are its characters);
-- * CHAR(64) is VARCHAR(64): PostgreSQL would read a CHAR back padded, MySQL does not.
-- Times are UTC with millisecond precision, as events carry them. migratePostgres runs this
-- file in one transaction with its schema_migrations row.

CREATE DOMAIN uint64 AS NUMERIC(20, 0) CHECK (VALUE BETWEEN 0 AND 18446744073709551615);
CREATE DOMAIN uint32 AS BIGINT CHECK (VALUE BETWEEN 0 AND 4294967295);
CREATE DOMAIN uint16 AS INTEGER CHECK (VALUE BETWEEN 0 AND 65535);

CREATE TABLE uploads (
  upload_id VARCHAR(128) COLLATE "C" NOT NULL CHECK (octet_length(upload_id) = char_length(upload_id)),
  tenant VARCHAR(128) COLLATE "C" NOT NULL,
  drive VARCHAR(128) COLLATE "C" NOT NULL,
  node_id VARCHAR(255) COLLATE "C" NOT NULL,
  status VARCHAR(16) COLLATE "C" NOT NULL CHECK (octet_length(status) = char_length(status)),
  -- Precedence of status (libs/projection/src/status.ts) and the event that set it.
  status_rank uint16 NOT NULL,
  status_event_id VARCHAR(255) COLLATE "C" NOT NULL
    CHECK (octet_length(status_event_id) = char_length(status_event_id)),
  status_at TIMESTAMPTZ(3) NOT NULL,
  filename TEXT COLLATE "C" NULL,
  mime_type VARCHAR(255) COLLATE "C" NULL,
  -- JSON object with sorted keys.
  metadata TEXT COLLATE "C" NULL,
  size_hint uint64 NULL,
  fixed_chunk_size uint64 NULL,
  endpoint VARCHAR(1024) COLLATE "C" NULL,
  region VARCHAR(64) COLLATE "C" NULL,
  bucket VARCHAR(255) COLLATE "C" NULL,
  object_key VARCHAR(1024) COLLATE "C" NULL,
  checksum_mode VARCHAR(16) COLLATE "C" NULL,
  part_size_kind VARCHAR(16) COLLATE "C" NULL,
  part_size uint64 NULL,
  multipart_upload_id VARCHAR(1024) COLLATE "C" NULL,
  etag VARCHAR(1024) COLLATE "C" NULL,
  version_id VARCHAR(1024) COLLATE "C" NULL,
  total_chunks uint32 NULL,
  chunks_staged uint32 NOT NULL DEFAULT 0,
  bytes_staged uint64 NOT NULL DEFAULT 0,
  parts_stored uint32 NOT NULL DEFAULT 0,
  bytes_stored uint64 NOT NULL DEFAULT 0,
  part_count uint32 NULL,
  size_bytes uint64 NULL,
  crc64nvme uint64 NULL,
  crc32c uint32 NULL,
  crc32 uint32 NULL,
  -- The client's whole-file SHA-256, hex.
  sha256 VARCHAR(64) COLLATE "C" NULL CHECK (octet_length(sha256) = char_length(sha256)),
  error_code VARCHAR(64) COLLATE "C" NULL,
  error_message TEXT COLLATE "C" NULL,
  s3_code VARCHAR(128) COLLATE "C" NULL,
  reason TEXT COLLATE "C" NULL,
  created_at TIMESTAMPTZ(3) NOT NULL,
  updated_at TIMESTAMPTZ(3) NOT NULL,
  initiated_at TIMESTAMPTZ(3) NULL,
  first_chunk_at TIMESTAMPTZ(3) NULL,
  sealed_at TIMESTAMPTZ(3) NULL,
  stored_at TIMESTAMPTZ(3) NULL,
  completed_at TIMESTAMPTZ(3) NULL,
  abort_requested_at TIMESTAMPTZ(3) NULL,
  PRIMARY KEY (upload_id)
);

-- Listing pages newest first by (created_at, upload_id), with or without these filters.
CREATE INDEX uploads_created ON uploads (created_at, upload_id);
CREATE INDEX uploads_tenant_created ON uploads (tenant, created_at, upload_id);
CREATE INDEX uploads_tenant_status_created ON uploads (tenant, status, created_at, upload_id);
CREATE INDEX uploads_tenant_drive_created ON uploads (tenant, drive, created_at, upload_id);
CREATE INDEX uploads_node ON uploads (node_id);

CREATE TABLE chunks (
  upload_id VARCHAR(128) COLLATE "C" NOT NULL CHECK (octet_length(upload_id) = char_length(upload_id)),
  chunk_number uint32 NOT NULL,
  size uint64 NOT NULL,
  byte_offset uint64 NULL,
  sha256 VARCHAR(64) COLLATE "C" NOT NULL CHECK (octet_length(sha256) = char_length(sha256)),
  crc64nvme uint64 NOT NULL,
  crc32c uint32 NOT NULL,
  crc32 uint32 NOT NULL,
  generation uint32 NOT NULL,
  event_id VARCHAR(255) COLLATE "C" NOT NULL CHECK (octet_length(event_id) = char_length(event_id)),
  staged_at TIMESTAMPTZ(3) NOT NULL,
  PRIMARY KEY (upload_id, chunk_number)
);

CREATE TABLE parts (
  upload_id VARCHAR(128) COLLATE "C" NOT NULL CHECK (octet_length(upload_id) = char_length(upload_id)),
  part_number uint32 NOT NULL,
  byte_start uint64 NOT NULL,
  -- Exclusive.
  byte_end uint64 NOT NULL,
  etag VARCHAR(1024) COLLATE "C" NOT NULL,
  crc64nvme uint64 NOT NULL,
  crc32c uint32 NOT NULL,
  crc32 uint32 NOT NULL,
  first_chunk uint32 NOT NULL,
  last_chunk uint32 NOT NULL,
  event_id VARCHAR(255) COLLATE "C" NOT NULL CHECK (octet_length(event_id) = char_length(event_id)),
  stored_at TIMESTAMPTZ(3) NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);

-- The next offset to project of each partition, written in the transaction that projects the
-- records before it: the rows and the position move together or not at all.
CREATE TABLE consumer_offsets (
  group_id VARCHAR(255) COLLATE "C" NOT NULL CHECK (octet_length(group_id) = char_length(group_id)),
  topic VARCHAR(255) COLLATE "C" NOT NULL CHECK (octet_length(topic) = char_length(topic)),
  partition_id uint32 NOT NULL,
  next_offset BIGINT NOT NULL,
  -- Wall clock of the last write, for operators; not part of the projection.
  updated_at TIMESTAMPTZ(3) NOT NULL,
  PRIMARY KEY (group_id, topic, partition_id)
);

-- Records that can never be projected (undecodable, or breaking the event contract), kept
-- with why, in the transaction that moves past them.
CREATE TABLE rejected_events (
  topic VARCHAR(255) COLLATE "C" NOT NULL CHECK (octet_length(topic) = char_length(topic)),
  partition_id uint32 NOT NULL,
  record_offset BIGINT NOT NULL,
  event_id VARCHAR(255) COLLATE "C" NULL,
  upload_id VARCHAR(255) COLLATE "C" NULL,
  error_code VARCHAR(64) COLLATE "C" NOT NULL,
  message TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (topic, partition_id, record_offset)
);
