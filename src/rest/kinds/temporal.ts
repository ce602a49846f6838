import { RANGE_OPS, type ColumnCodec } from './codec'

/**
 * DATE, TIME, DATETIME and TIMESTAMP, exactly. Values are bound as UTC text; every session
 * runs with time_zone '+00:00' (src/pool), so what is bound, what CURRENT_TIMESTAMP writes and
 * what mysql2 reads (with timezone 'Z') are all UTC. mysql2 reads a DATE or a DATETIME into a
 * JS Date, which keeps milliseconds only: a column with more fractional digits is selected as
 * text instead (readExpression), and a Date is only ever read through its UTC fields.
 */

const DATE_TEXT = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/
/** RFC 3339 date-time; seconds 60 and offsets beyond real-world zones are refused below. */
const DATE_TIME_TEXT = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|([+-])([0-9]{2}):([0-9]{2}))$/
/** How a DATETIME/TIMESTAMP is selected as text (readExpression) and how a cursor keeps it. */
const DATABASE_DATE_TIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?$/
/** MySQL TIME: [-][h]hh:mm:ss[.ffffff], up to 838:59:59.999999 either way. */
const TIME_TEXT = /^(-?)([0-9]{2,3}):([0-5][0-9]):([0-5][0-9])(?:\.([0-9]{1,9}))?$/

const DATETIME_RANGE = { min: '1000-01-01 00:00:00.000000', max: '9999-12-31 23:59:59.999999' }
/** TIMESTAMP is seconds since 1970 in 32 bits (MariaDB 10.11), in UTC. */
const TIMESTAMP_RANGE = { min: '1970-01-01 00:00:01.000000', max: '2038-01-19 03:14:07.999999' }

/** Real-world UTC offsets run from -12:00 to +14:00. */
const MAX_OFFSET_MINUTES = { west: 12 * 60, east: 14 * 60 }

export interface ParsedDateTime {
  /** UTC, as bound: `YYYY-MM-DD HH:MM:SS.ffffff`. */
  utc: string
  fractionDigits: number
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  return day <= days[month - 1]
}

const pad = (value: number, width: number) => String(value).padStart(width, '0')

/** An RFC 3339 date-time (Z or an offset) as UTC text, or a reason it is not a real instant. */
export function parseDateTime(text: string): ParsedDateTime | string {
  const match = DATE_TIME_TEXT.exec(text)
  if (!match) return 'must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z (Z or an offset like +02:00)'
  const [, y, mo, d, h, mi, s, fraction = '', zone, sign, offsetHours, offsetMinutes] = match
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number)
  if (!isRealDate(year, month, day)) return 'is not a real calendar date'
  if (hour > 23 || minute > 59 || second > 59) return 'is not a real time of day (seconds run 0–59: no leap seconds)'
  let offset = 0
  if (zone !== 'Z') {
    if (Number(offsetMinutes) > 59) return 'has an offset that is not a real time zone'
    offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * (sign === '-' ? -1 : 1)
    if (offset < -MAX_OFFSET_MINUTES.west || offset > MAX_OFFSET_MINUTES.east) return 'has an offset beyond -12:00 … +14:00'
  }
  // Whole minutes of offset never touch the fraction, so it is carried over as text (microseconds and all).
  const instant = new Date(Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60_000)
  if (instant.getUTCFullYear() < 1000 || instant.getUTCFullYear() > 9999) return 'must be between the years 1000 and 9999 in UTC'
  const utc =
    `${pad(instant.getUTCFullYear(), 4)}-${pad(instant.getUTCMonth() + 1, 2)}-${pad(instant.getUTCDate(), 2)} ` +
    `${pad(instant.getUTCHours(), 2)}:${pad(instant.getUTCMinutes(), 2)}:${pad(instant.getUTCSeconds(), 2)}.${fraction.padEnd(6, '0').slice(0, 6)}`
  return { utc, fractionDigits: fraction.length }
}

/**
 * DATETIME(p) / TIMESTAMP(p): RFC 3339 strings in UTC with exactly p fractional digits, the
 * column's own precision (`2026-01-31T12:00:00.123456Z` for p = 6). A value with more digits
 * than the column keeps is refused rather than rounded, and so is one outside the type's range.
 */
export function dateTimeCodec(precision: number | undefined, timestamp: boolean): ColumnCodec {
  const digits = Math.min(6, Math.max(0, precision ?? 0))
  const range = timestamp ? TIMESTAMP_RANGE : DATETIME_RANGE
  const typeName = `${timestamp ? 'timestamp' : 'datetime'}(${digits})`
  const problemWith = (value: unknown) => {
    if (typeof value !== 'string') return 'must be a date-time string'
    const parsed = parseDateTime(value)
    if (typeof parsed === 'string') return parsed
    if (parsed.fractionDigits > digits) {
      return digits === 0 ? `must have no fractional seconds (${typeName})` : `must have at most ${digits} fractional digits (${typeName})`
    }
    if (parsed.utc < range.min || parsed.utc > range.max) {
      return `must be between ${isoOf(range.min, 0)} and ${isoOf(range.max, 0)} (${typeName})`
    }
    return undefined
  }
  return {
    kind: 'datetime',
    schema: { type: 'string', format: 'date-time', description: `${typeName}, answered in UTC with ${digits} fractional digits` },
    ops: RANGE_OPS,
    sortable: true,
    ...(digits > 3 && { readExpression: (column: string) => `DATE_FORMAT(${column}, '%Y-%m-%d %H:%i:%s.%f')` }),
    problemWith,
    toDatabase: (value) => (parseDateTime(value as string) as ParsedDateTime).utc,
    // A Date (at most 3 digits) goes straight to its ISO text: this runs for every row answered.
    fromDatabase: (raw) => (raw instanceof Date ? isoOfDate(raw, digits) : isoOf(String(raw), digits)),
    parseText: (text) => text,
    toCursor: (raw) => databaseText(raw),
    fromCursor: (value) => {
      if (typeof value !== 'string' || !DATABASE_DATE_TIME.test(value)) return undefined
      const canonical = normaliseDatabaseDateTime(value)
      return canonical >= range.min && canonical <= range.max ? value : undefined
    }
  }
}

/** A DATETIME as mysql2 hands it over (a Date, or text from readExpression) as `YYYY-MM-DD HH:MM:SS[.f]`. */
export function databaseText(raw: unknown): string {
  return raw instanceof Date ? raw.toISOString().slice(0, 23).replace('T', ' ') : String(raw)
}

/** A Date (UTC) as RFC 3339 with `digits` (at most 3) fractional digits. */
function isoOfDate(date: Date, digits: number): string {
  const iso = date.toISOString()
  return digits === 3 ? iso : iso.slice(0, digits === 0 ? 19 : 20 + digits) + 'Z'
}

/** `YYYY-MM-DD HH:MM:SS[.f]` -> RFC 3339 UTC with exactly `digits` fractional digits. */
export function isoOf(databaseText: string, digits: number): string {
  const [date, time = '00:00:00'] = databaseText.split(' ')
  const [clock, fraction = ''] = time.split('.')
  return `${date}T${clock}${digits > 0 ? '.' + fraction.padEnd(digits, '0').slice(0, digits) : ''}Z`
}

function normaliseDatabaseDateTime(text: string): string {
  const [date, time] = text.split(' ')
  const [clock, fraction = ''] = time.split('.')
  return `${date} ${clock}.${fraction.padEnd(6, '0')}`
}

/** DATE: `YYYY-MM-DD`, a real calendar date between 1000-01-01 and 9999-12-31. */
export function dateCodec(): ColumnCodec {
  const problemWith = (value: unknown) => {
    if (typeof value !== 'string') return 'must be a date string'
    const match = DATE_TEXT.exec(value)
    if (!match) return 'must be a date such as 2026-01-31'
    const [year, month, day] = match.slice(1).map(Number)
    if (!isRealDate(year, month, day)) return 'is not a real calendar date'
    if (year < 1000) return 'must be between 1000-01-01 and 9999-12-31'
    return undefined
  }
  return {
    kind: 'date',
    schema: { type: 'string', format: 'date' },
    ops: RANGE_OPS,
    sortable: true,
    problemWith,
    toDatabase: (value) => value,
    // mysql2 reads a DATE at midnight UTC (timezone 'Z'): its UTC date is the stored one.
    fromDatabase: (raw) => dateText(raw),
    parseText: (text) => text,
    toCursor: (raw) => dateText(raw),
    fromCursor: (value) => (problemWith(value) === undefined ? value : undefined)
  }
}

function dateText(raw: unknown): string {
  return raw instanceof Date ? raw.toISOString().slice(0, 10) : String(raw)
}

/** The largest TIME magnitude, in microseconds: 838:59:59.999999. */
const TIME_MAX_MICROS = ((838 * 60 + 59) * 60 + 59) * 1_000_000 + 999_999

/**
 * TIME(p): a duration or time of day, `[-]HH:MM:SS[.f]` with up to three hour digits
 * (MySQL's range is ±838:59:59.999999), answered with exactly p fractional digits.
 */
export function timeCodec(precision: number | undefined): ColumnCodec {
  const digits = Math.min(6, Math.max(0, precision ?? 0))
  const problemWith = (value: unknown) => {
    if (typeof value !== 'string') return 'must be a time string'
    const match = TIME_TEXT.exec(value)
    if (!match) return 'must be a time such as 13:45:00 or -01:30:00 (up to 838:59:59)'
    const [, , hours, minutes, seconds, fraction = ''] = match
    if (fraction.length > digits) return digits === 0 ? 'must have no fractional seconds' : `must have at most ${digits} fractional digits`
    const micros = ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1_000_000 + Number(fraction.padEnd(6, '0'))
    if (micros > TIME_MAX_MICROS) return 'must be between -838:59:59 and 838:59:59'
    return undefined
  }
  const canonical = (text: string) => {
    const [, sign, hours, minutes, seconds, fraction = ''] = TIME_TEXT.exec(text)!
    const clock = `${hours.length === 3 ? hours : hours.padStart(2, '0')}:${minutes}:${seconds}`
    const negative = sign === '-' && /[1-9]/.test(hours + minutes + seconds + fraction)
    return `${negative ? '-' : ''}${clock}${digits > 0 ? '.' + fraction.padEnd(digits, '0').slice(0, digits) : ''}`
  }
  return {
    kind: 'time',
    schema: { type: 'string', pattern: TIME_TEXT.source, description: `time(${digits}): [-]HH:MM:SS${digits ? '.' + 'f'.repeat(digits) : ''}` },
    ops: RANGE_OPS,
    sortable: true,
    problemWith,
    toDatabase: (value) => canonical(value as string),
    fromDatabase: (raw) => canonical(String(raw)),
    parseText: (text) => text,
    toCursor: (raw) => String(raw),
    fromCursor: (value) => (typeof value === 'string' && TIME_TEXT.test(value) ? value : undefined)
  }
}
