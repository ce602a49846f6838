import type { ValueTransformer } from 'typeorm'

/**
 * mysql2 returns DECIMAL as a string (TypeORM turns on bigNumberStrings). Money columns
 * here are DECIMAL(10,2): every such value (up to 99,999,999.99) round-trips exactly
 * through a JS number at two decimals, so the API speaks plain JSON numbers.
 */
export const decimalAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value))
}
