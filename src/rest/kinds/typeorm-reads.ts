import type { ColumnCodec } from './codec'

/**
 * The raw value TypeORM's hydration expects. A DATETIME(>3) is selected as text on the fast
 * paths, where TypeORM's own reads get a Date (mysql2 with timezone 'Z'). A DATE goes to TypeORM
 * as text: it returns that unchanged, while a Date would shift by the process's local zone.
 */
export function asTypeOrmReads(codec: Pick<ColumnCodec, 'kind'>, raw: unknown): unknown {
  if (codec.kind === 'datetime' && typeof raw === 'string') return new Date(raw.replace(' ', 'T') + 'Z')
  if (codec.kind === 'date' && raw instanceof Date) return raw.toISOString().slice(0, 10)
  return raw
}
