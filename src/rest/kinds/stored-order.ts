import type { ColumnKind } from './codec'

/**
 * The database's order of two bind values of one column (as codecs' toDatabase returns them),
 * for checks made before any SQL is sent — `between=low,high` with low above high is a 400, not
 * an empty page. Only the kinds that take `between` need it.
 */
export function compareStored(kind: ColumnKind, a: unknown, b: unknown): number {
  switch (kind) {
    case 'bigint':
      return Math.sign(Number(BigInt(a as string) - BigInt(b as string)))
    case 'decimal':
      return compareDecimalText(String(a), String(b))
    case 'time':
      return compareDecimalText(timeSeconds(a as string), timeSeconds(b as string))
    case 'date':
    case 'datetime':
      // Canonical UTC text (`YYYY-MM-DD HH:MM:SS[.f]`): fixed-width up to the fraction, and fractions
      // of any length order as text, so text order is time order.
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1
    default:
      return Math.sign(Number(a) - Number(b))
  }
}

/** Exact order of two plain decimals (`-12.50`, `3`): a double would round 20-digit DECIMALs. */
export function compareDecimalText(a: string, b: string): number {
  const negativeA = a.startsWith('-') && /[1-9]/.test(a)
  const negativeB = b.startsWith('-') && /[1-9]/.test(b)
  if (negativeA !== negativeB) return negativeA ? -1 : 1
  const order = compareMagnitude(a.replace(/^-/, ''), b.replace(/^-/, ''))
  return negativeA ? -order : order
}

function compareMagnitude(a: string, b: string): number {
  const [wholeA, fractionA = ''] = a.split('.')
  const [wholeB, fractionB = ''] = b.split('.')
  const intA = wholeA.replace(/^0+(?=.)/, '')
  const intB = wholeB.replace(/^0+(?=.)/, '')
  if (intA.length !== intB.length) return intA.length < intB.length ? -1 : 1
  const width = Math.max(fractionA.length, fractionB.length)
  const digitsA = intA + fractionA.padEnd(width, '0')
  const digitsB = intB + fractionB.padEnd(width, '0')
  return digitsA === digitsB ? 0 : digitsA < digitsB ? -1 : 1
}

/** `[-]HHH:MM:SS[.f]` as plain decimal seconds, so TIME's negative and >24 h values order right. */
function timeSeconds(text: string): string {
  const negative = text.startsWith('-')
  const [clock, fraction] = text.replace(/^-/, '').split('.')
  const [hours, minutes, seconds] = clock.split(':').map(Number)
  const whole = hours * 3600 + minutes * 60 + seconds
  return `${negative ? '-' : ''}${whole}${fraction ? '.' + fraction : ''}`
}
