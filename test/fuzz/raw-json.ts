/**
 * JSON text with tokens JSON.stringify cannot write: `1e400`, `-0`, `1.0`, a lone surrogate
 * escape `"\ud800"`, duplicate keys. Generators build trees of plain values and RawJson
 * tokens; toJsonText writes them out as the exact bytes a hostile client would send.
 */
export class RawJson {
  constructor(readonly text: string) {}
  toString(): string {
    return `raw(${this.text})`
  }
}

export const raw = (text: string) => new RawJson(text)

/** An object whose entries are written in order, duplicates kept (`{"a":1,"a":2}`). */
export class DuplicateKeys {
  constructor(readonly entries: Array<[string, unknown]>) {}
}

export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text
  if (value instanceof DuplicateKeys) {
    return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`).join(',')}}`
  }
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`
  if (value !== null && typeof value === 'object') {
    // Object.entries keeps an own `__proto__` key (see withOwnKey): that key is one of the probes.
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`)
      .join(',')}}`
  }
  // undefined would vanish silently in JSON.stringify; a generator never means that.
  if (value === undefined) throw new Error('toJsonText: undefined is not JSON')
  return JSON.stringify(value)
}

/** An object with an own `__proto__` key (an object literal would set the prototype instead). */
export function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(target)) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true })
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true })
  return copy
}
