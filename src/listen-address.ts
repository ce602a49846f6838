import { isIPv4 } from 'node:net'

/**
 * Whether HOST (a listen address) is one only this machine can reach: `localhost`, `::1` (with
 * or without brackets), or any 127.0.0.0/8 address, also IPv4-mapped. Authentication warns when
 * it is off on anything else (src/auth/plugin.ts); the Host check narrows its default to the
 * loopback names here (src/http/host-check.ts).
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost' || bare === '::1') return true
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare
  return isIPv4(v4) && v4.startsWith('127.')
}
