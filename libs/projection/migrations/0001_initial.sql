-- Upload state projected from intake.chunks, intake.parts and intake.uploads (libs/projection).
--
-- Every column of uploads, chunks and parts is a function of the events alone, never of the
-- clock or of the order they were read in, so a replay into an empty schema gives the same
-- rows (`projector rebuild` checks it). Identifiers are ASCII with binary collation and text
-- is utf8mb4_bin, so comparisons and key order are the same on MariaDB and MySQL 8.
-- Times are UTC with millisecond precision, as events carry them.

CREATE TABLE IF NOT EXISTS uploads (
  upload_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tenant VARCHAR(128) NOT NULL,
  drive VARCHAR(128) NOT NULL,
  node_id VARCHAR(255) NOT NULL,
  status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- Precedence of status (libs/projection/src/status.ts) and the event that set it.
  status_rank SMALLINT UNSIGNED NOT NULL,
  status_event_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status_at DATETIME(3) NOT NULL,
  filename TEXT NULL,
  mime_type VARCHAR(255) NULL,
  -- JSON object with sorted keys.
  metadata MEDIUMTEXT NULL,
  size_hint BIGINT UNSIGNED NULL,
  fixed_chunk_size BIGINT UNSIGNED NULL,
  endpoint VARCHAR(1024) NULL,
  region VARCHAR(64) NULL,
  bucket VARCHAR(255) NULL,
  object_key VARCHAR(1024) NULL,
  checksum_mode VARCHAR(16) NULL,
  part_size_kind VARCHAR(16) NULL,
  part_size BIGINT UNSIGNED NULL,
  multipart_upload_id VARCHAR(1024) NULL,
  etag VARCHAR(1024) NULL,
  version_id VARCHAR(1024) NULL,
  total_chunks INT UNSIGNED NULL,
  chunks_staged INT UNSIGNED NOT NULL DEFAULT 0,
  bytes_staged BIGINT UNSIGNED NOT NULL DEFAULT 0,
  parts_stored INT UNSIGNED NOT NULL DEFAULT 0,
  bytes_stored BIGINT UNSIGNED NOT NULL DEFAULT 0,
  part_count INT UNSIGNED NULL,
  size_bytes BIGINT UNSIGNED NULL,
  crc64nvme BIGINT UNSIGNED NULL,
  crc32c INT UNSIGNED NULL,
  crc32 INT UNSIGNED NULL,
  -- The client's whole-file SHA-256, hex.
  sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  error_code VARCHAR(64) NULL,
  error_message TEXT NULL,
  s3_code VARCHAR(128) NULL,
  reason TEXT NULL,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  initiated_at DATETIME(3) NULL,
  first_chunk_at DATETIME(3) NULL,
  sealed_at DATETIME(3) NULL,
  stored_at DATETIME(3) NULL,
  completed_at DATETIME(3) NULL,
  abort_requested_at DATETIME(3) NULL,
  PRIMARY KEY (upload_id),
  -- Listing pages newest first by (created_at, upload_id), with or without these filters.
  KEY uploads_created (created_at, upload_id),
  KEY uploads_tenant_created (tenant, created_at, upload_id),
  KEY uploads_tenant_status_created (tenant, status, created_at, upload_id),
  KEY uploads_tenant_drive_created (tenant, drive, created_at, upload_id),
  KEY uploads_node (node_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS chunks (
  upload_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  chunk_number INT UNSIGNED NOT NULL,
  size BIGINT UNSIGNED NOT NULL,
  byte_offset BIGINT UNSIGNED NULL,
  sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  crc64nvme BIGINT UNSIGNED NOT NULL,
  crc32c INT UNSIGNED NOT NULL,
  crc32 INT UNSIGNED NOT NULL,
  generation INT UNSIGNED NOT NULL,
  event_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  staged_at DATETIME(3) NOT NULL,
  PRIMARY KEY (upload_id, chunk_number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS parts (
  upload_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  part_number INT UNSIGNED NOT NULL,
  byte_start BIGINT UNSIGNED NOT NULL,
  -- Exclusive.
  byte_end BIGINT UNSIGNED NOT NULL,
  etag VARCHAR(1024) NOT NULL,
  crc64nvme BIGINT UNSIGNED NOT NULL,
  crc32c INT UNSIGNED NOT NULL,
  crc32 INT UNSIGNED NOT NULL,
  first_chunk INT UNSIGNED NOT NULL,
  last_chunk INT UNSIGNED NOT NULL,
  event_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  stored_at DATETIME(3) NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The next offset to project of each partition, written in the transaction that projects the
-- records before it: the rows and the position move together or not at all.
CREATE TABLE IF NOT EXISTS consumer_offsets (
  group_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partition_id INT UNSIGNED NOT NULL,
  next_offset BIGINT NOT NULL,
  -- Wall clock of the last write, for operators; not part of the projection.
  updated_at DATETIME(3) NOT NULL,
  PRIMARY KEY (group_id, topic, partition_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Records that can never be projected (undecodable, or breaking the event contract), kept
-- with why, in the transaction that moves past them.
CREATE TABLE IF NOT EXISTS rejected_events (
  topic VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partition_id INT UNSIGNED NOT NULL,
  record_offset BIGINT NOT NULL,
  event_id VARCHAR(255) NULL,
  upload_id VARCHAR(255) NULL,
  error_code VARCHAR(64) NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (topic, partition_id, record_offset)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
