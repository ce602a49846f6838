/**
 * Knobs, from the environment so a longer hunt needs no code change:
 *   FUZZ_SEED       fast-check seed (default fixed: the same requests on every run)
 *   FUZZ_RUNS       generated requests per operation and search pass
 *   FUZZ_BUDGET_MS  wall time for all operations together; defaults keep the file under a minute
 *   FUZZ_CLASSES    most distinct failure classes to hunt per operation
 */
function integerFromEnv(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  // Strict on purpose: this test is about numbers read too leniently.
  if (!/^-?[0-9]+$/.test(text)) throw new Error(`${name} must be a decimal integer, got ${JSON.stringify(text)}`)
  return Number(text)
}

export const FUZZ_SEED = integerFromEnv('FUZZ_SEED', 20_261_201)
export const FUZZ_RUNS = integerFromEnv('FUZZ_RUNS', 300)
/** An explicit FUZZ_RUNS asks for that many runs: the default budget then stops cutting them short. */
export const FUZZ_BUDGET_MS = integerFromEnv('FUZZ_BUDGET_MS', process.env.FUZZ_RUNS ? 24 * 3_600_000 : 25_000)
export const FUZZ_CLASSES = integerFromEnv('FUZZ_CLASSES', 6)
