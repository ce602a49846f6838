import type { ColumnCodec } from './codec'

/**
 * The raw value TypeORM's hydration expects. The fast paths read dates as text (dateStrings),
 * where TypeORM's own reads get a Date for DATETIME/TIMESTAMP (mysql2 with timezone 'Z').
 * DATE stays text: TypeORM returns it unchanged, and a Date would shift by the process's zone.
 */
export function asTypeOrmReads(codec: Pick<ColumnCodec, 'kind'>, raw: unknown): unknown {
  if (codec.kind === 'datetime' && typeof raw === 'string') return new Date(raw.replace(' ', 'T') + 'Z')
  return raw
}
