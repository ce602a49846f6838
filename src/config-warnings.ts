/**
 * Warnings about variables that look meant for Lifeguard but are not among the ones it reads
 * (a typo such as DB_POOL_SZE), each naming the known variable spelled most like it; and about
 * developer settings left on in production.
 */

/** A variable Lifeguard does not read although its prefix says it was meant for Lifeguard, or a setting risky where it is set. */
export interface ConfigWarning {
  variable: string
  /** the known variable spelled most like it, by edit distance (unknown variables only) */
  closest?: string
  message: string
}

/**
 * REST_EXPLAIN answers anyone who may list an entity with its SQL, tables, columns and
 * indexes: a developer's tool. With NODE_ENV=production it still starts (the operator chose
 * it), but says so, every start.
 */
export function productionWarnings(settings: { REST_EXPLAIN: boolean }, env: Record<string, string | undefined>): ConfigWarning[] {
  if (!settings.REST_EXPLAIN || env.NODE_ENV !== 'production') return []
  return [{ variable: 'REST_EXPLAIN', message: 'REST_EXPLAIN is on with NODE_ENV=production: list routes answer their SQL and query plans to any caller who may list; turn it off' }]
}

/**
 * The prefixes an operator types for Lifeguard's own variables. Other tools (MariaDB/MySQL
 * clients, CI, test harnesses) may legitimately set DB_* too, so an unknown one is only a warning.
 */
const LIFEGUARD_PREFIX = /^(DB|LIFEGUARD|AUTH|CORS|RATE_LIMIT|ADMIN|REST|MIGRATIONS)_/i

/** Names only, never values: an unknown variable may well hold a password. */
export function unknownVariableWarnings(env: Record<string, string | undefined>, known: readonly string[]): ConfigWarning[] {
  const knownSet = new Set(known)
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && LIFEGUARD_PREFIX.test(name) && !knownSet.has(name))
    .sort()
    .map((variable) => {
      const closest = closestKnownVariable(variable, known)
      return { variable, closest, message: `Unknown variable ${variable} is ignored; did you mean ${closest}?` }
    })
}

function closestKnownVariable(name: string, known: readonly string[]): string {
  // Case-blind (a lowercase db_pool_size is never read), and LIFEGUARD_PORT is compared as PORT too.
  const spellings = [name.toUpperCase(), name.toUpperCase().replace(/^LIFEGUARD_/, '')]
  let closest = known[0]
  let closestDistance = Infinity
  for (const candidate of known) {
    const distance = Math.min(...spellings.map((spelling) => editDistance(spelling, candidate)))
    if (distance < closestDistance) [closest, closestDistance] = [candidate, distance]
  }
  return closest
}

/** Levenshtein distance: fewest single-character insertions, deletions or substitutions from a to b. */
function editDistance(a: string, b: string): number {
  let previousRow = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previousRow[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      row[j] = Math.min(previousRow[j] + 1, row[j - 1] + 1, substitution)
    }
    previousRow = row
  }
  return previousRow[b.length]
}
