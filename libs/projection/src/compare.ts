/**
 * Row-by-row comparison of two projections (the live one and a rebuilt one), for
 * `projector rebuild`. Each table is read in key order in pages on both sides and merged,
 * so memory stays bounded whatever the size. The live side should be read inside one
 * consistent snapshot ({@link openSnapshot}) so it holds still while it is compared.
 * Columns that are not part of the projection (consumer_offsets.updated_at) are left out.
 *
 * Each side is read through a {@link ComparisonReader}, on MySQL/MariaDB or PostgreSQL. The
 * merge needs both sides in the same key order, the one {@link compareKeys} computes: keys
 * are ASCII text or integers, and text keys sort by bytes on both (utf8mb4_bin/ascii_bin on
 * MySQL, COLLATE "C" on PostgreSQL). Rows come out through {@link fromSql}, so equal values
 * compare equal whichever database they were read from.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { ClientBase, PoolClient } from 'pg';
import type { PartitionPosition } from './projection-store.ts';
import type { ProjectionDatabase } from './projection-database.ts';
import {
  CHUNK_COLUMNS,
  columnList,
  fromSql,
  PART_COLUMNS,
  READ_OPTIONS,
  toSql,
  UPLOAD_COLUMNS,
  type Columns,
} from './sql-rows.ts';

/** Anything that runs a MySQL query: a connection or a pool. */
export type Queryable = Pick<PoolConnection, 'query'>;

/** A PostgreSQL pool or client. */
export type PostgresQueryable = Pick<ClientBase, 'query'>;

/** How {@link compareProjections} reads one side. */
export interface ComparisonReader {
  /** The `n`-th parameter of a statement, from 1: `?` on MySQL, `$n` on PostgreSQL. */
  param(n: number): string;
  /** The rows of a SELECT as the driver gives them ({@link fromSql} reads either kind). */
  select(sql: string, values: readonly unknown[]): Promise<readonly Readonly<Record<string, unknown>>[]>;
}

/** Reads a MySQL/MariaDB projection, with the options {@link fromSql} expects. */
export function mysqlComparisonReader(db: Queryable): ComparisonReader {
  return {
    param: () => '?',
    select: async (sql, values) =>
      (await db.query<RowDataPacket[]>({ sql, values: [...values], ...READ_OPTIONS }))[0],
  };
}

/** Reads a PostgreSQL projection. */
export function postgresComparisonReader(db: PostgresQueryable): ComparisonReader {
  return {
    param: (n) => `$${n}`,
    select: async (sql, values) => (await db.query<Record<string, unknown>>(sql, [...values])).rows,
  };
}

/** A reader on the whole of `db`, through its pool (not a snapshot). */
export function comparisonReader(db: ProjectionDatabase): ComparisonReader {
  return db.kind === 'mysql' ? mysqlComparisonReader(db.pool) : postgresComparisonReader(db.pool);
}

/** One session of a projection database held at one instant, read-only. */
export interface ProjectionSnapshot {
  /** The group's positions, read inside the snapshot. */
  readonly positions: readonly PartitionPosition[];
  /** The tables as the snapshot sees them. */
  readonly reader: ComparisonReader;
  /** Ends the snapshot and its session (which does not go back to the pool). */
  close(): Promise<void>;
}

/**
 * Opens a consistent, read-only snapshot of `db` and reads `groupId`'s positions in it: on
 * MySQL `START TRANSACTION WITH CONSISTENT SNAPSHOT`, on PostgreSQL a REPEATABLE READ
 * transaction, whose snapshot is taken by its first statement (the positions' read). Rows
 * and positions read through it are as of that one instant, whatever commits afterwards.
 */
export async function openSnapshot(db: ProjectionDatabase, groupId: string): Promise<ProjectionSnapshot> {
  const sql = 'SELECT topic, partition_id, next_offset FROM consumer_offsets WHERE group_id = ';
  if (db.kind === 'mysql') {
    const connection = await db.pool.getConnection();
    try {
      await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const [rows] = await connection.query<RowDataPacket[]>({
        sql: `${sql}?`,
        values: [groupId],
        ...READ_OPTIONS,
      });
      return {
        positions: rows.map(toPosition),
        reader: mysqlComparisonReader(connection),
        close: async () => {
          // The session carries a snapshot's settings: it is not handed back to the pool.
          await connection.query('ROLLBACK').catch(() => undefined);
          connection.destroy();
        },
      };
    } catch (err) {
      connection.destroy();
      throw err;
    }
  }
  const client: PoolClient = await db.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const { rows } = await client.query<Record<string, unknown>>(`${sql}$1`, [groupId]);
    return {
      positions: rows.map(toPosition),
      reader: postgresComparisonReader(client),
      close: async () => {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(true);
      },
    };
  } catch (err) {
    client.release(true);
    throw err;
  }
}

function toPosition(r: Readonly<Record<string, unknown>>): PartitionPosition {
  return {
    topic: String(r['topic']),
    partition: Number(r['partition_id']),
    nextOffset: BigInt(String(r['next_offset'])),
  };
}

/** One row that differs. */
export interface RowDifference {
  readonly table: string;
  /** The row's key, e.g. `upload_id=… chunk_number=3`. */
  readonly key: string;
  readonly kind: 'only-live' | 'only-rebuilt' | 'different';
  /** For `different`: the columns whose values differ. */
  readonly columns: readonly { readonly column: string; readonly live: unknown; readonly rebuilt: unknown }[];
}

/** The outcome of {@link compareProjections}. */
export interface Comparison {
  /** Rows read on the live side. */
  readonly rowsCompared: number;
  /** Differing rows in all. */
  readonly differenceCount: number;
  /** The first differences, up to `maxDifferences`. */
  readonly differences: readonly RowDifference[];
}

/** Options of {@link compareProjections}. */
export interface CompareOptions {
  /** The group whose consumer_offsets rows are compared. */
  readonly groupId: string;
  /** Differences listed in detail. @default 50 */
  readonly maxDifferences?: number;
  /** Rows per read. @default 2000 */
  readonly pageSize?: number;
}

type Row = Record<string, unknown>;

interface TableSpec {
  readonly table: string;
  readonly columns: Columns<Row>;
  readonly key: readonly string[];
  /** A condition on one column, `column = value`. */
  readonly filter?: { readonly column: string; readonly value: unknown };
}

const OFFSET_COLUMNS: Columns<Row> = [
  ['group_id', 'group_id', 'text'],
  ['topic', 'topic', 'text'],
  ['partition_id', 'partition_id', 'int'],
  ['next_offset', 'next_offset', 'bigint'],
];

const REJECTED_COLUMNS: Columns<Row> = [
  ['topic', 'topic', 'text'],
  ['partition_id', 'partition_id', 'int'],
  ['record_offset', 'record_offset', 'bigint'],
  ['event_id', 'event_id', 'text?'],
  ['upload_id', 'upload_id', 'text?'],
  ['error_code', 'error_code', 'text'],
  ['message', 'message', 'text'],
];

function tables(groupId: string): TableSpec[] {
  return [
    { table: 'uploads', columns: UPLOAD_COLUMNS, key: ['upload_id'] },
    {
      table: 'chunks',
      columns: CHUNK_COLUMNS,
      key: ['upload_id', 'chunk_number'],
    },
    { table: 'parts', columns: PART_COLUMNS, key: ['upload_id', 'part_number'] },
    { table: 'rejected_events', columns: REJECTED_COLUMNS, key: ['topic', 'partition_id', 'record_offset'] },
    {
      table: 'consumer_offsets',
      columns: OFFSET_COLUMNS,
      key: ['group_id', 'topic', 'partition_id'],
      filter: { column: 'group_id', value: groupId },
    },
  ];
}

/** Compares the projection tables of `live` and `rebuilt` (on the same kind of database or not). */
export async function compareProjections(
  live: ComparisonReader,
  rebuilt: ComparisonReader,
  options: CompareOptions,
): Promise<Comparison> {
  const max = options.maxDifferences ?? 50;
  const differences: RowDifference[] = [];
  let differenceCount = 0;
  let rowsCompared = 0;
  for (const spec of tables(options.groupId)) {
    const left = scan(live, spec, options.pageSize ?? 2000);
    const right = scan(rebuilt, spec, options.pageSize ?? 2000);
    let a = await left.next();
    let b = await right.next();
    while (!a.done || !b.done) {
      const order = a.done ? 1 : b.done ? -1 : compareKeys(spec, a.value, b.value);
      let difference: RowDifference | undefined;
      if (order < 0 && !a.done) {
        difference = { table: spec.table, key: keyText(spec, a.value), kind: 'only-live', columns: [] };
      } else if (order > 0 && !b.done) {
        difference = { table: spec.table, key: keyText(spec, b.value), kind: 'only-rebuilt', columns: [] };
      } else if (!a.done && !b.done) {
        const columns = differingColumns(spec, a.value, b.value);
        if (columns.length > 0)
          difference = { table: spec.table, key: keyText(spec, a.value), kind: 'different', columns };
      }
      if (difference) {
        differenceCount++;
        if (differences.length < max) differences.push(difference);
      }
      if (order <= 0 && !a.done) {
        rowsCompared++;
        a = await left.next();
      }
      if (order >= 0 && !b.done) b = await right.next();
    }
  }
  return { rowsCompared, differenceCount, differences };
}

async function* scan(db: ComparisonReader, spec: TableSpec, pageSize: number): AsyncGenerator<Row> {
  const keyKinds = spec.key.map((k) => spec.columns.find(([, c]) => c === k)![2]);
  let after: unknown[] | undefined;
  for (;;) {
    const values: unknown[] = [];
    const param = (v: unknown): string => {
      values.push(v);
      return db.param(values.length);
    };
    const where: string[] = spec.filter ? [`${spec.filter.column} = ${param(spec.filter.value)}`] : [];
    if (after) {
      // (k1, k2, …) > (v1, v2, …), spelled out so both engines plan it as a range on the key.
      const ors = spec.key.map((k, i) => {
        const eq = spec.key.slice(0, i).map((p, j) => `${p} = ${param(after![j])}`);
        return `(${[...eq, `${k} > ${param(after![i])}`].join(' AND ')})`;
      });
      where.push(`(${ors.join(' OR ')})`);
    }
    const rows = await db.select(
      `SELECT ${columnList(spec.columns)} FROM ${spec.table}` +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY ${spec.key.join(', ')} LIMIT ${param(pageSize)}`,
      values,
    );
    for (const r of rows) yield fromSql(spec.columns, r);
    if (rows.length < pageSize) return;
    const last = fromSql(spec.columns, rows.at(-1)!);
    after = spec.key.map((k, i) => {
      const prop = spec.columns.find(([, c]) => c === k)![0];
      const v = last[prop];
      return keyKinds[i] === 'bigint' ? String(v) : v;
    });
  }
}

function compareKeys(spec: TableSpec, a: Row, b: Row): number {
  for (const k of spec.key) {
    const [prop, , kind] = spec.columns.find(([, c]) => c === k)!;
    const x = a[prop];
    const y = b[prop];
    // Keys are ASCII (byte-order collations) or integers, so this is the order both servers sort in.
    if (kind === 'text') {
      const s = x as string;
      const t = y as string;
      if (s !== t) return s < t ? -1 : 1;
    } else if (x !== y) {
      return (x as number | bigint) < (y as number | bigint) ? -1 : 1;
    }
  }
  return 0;
}

function keyText(spec: TableSpec, row: Row): string {
  return spec.key
    .map((k) => {
      const prop = spec.columns.find(([, c]) => c === k)![0];
      return `${k}=${String(row[prop])}`;
    })
    .join(' ');
}

function differingColumns(spec: TableSpec, a: Row, b: Row): RowDifference['columns'] {
  const x = toSql(spec.columns, a);
  const y = toSql(spec.columns, b);
  return spec.columns.flatMap(([, column], i) =>
    x[i] === y[i] ? [] : [{ column, live: x[i], rebuilt: y[i] }],
  );
}
