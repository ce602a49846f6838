// Reads tap's closing summary line, `# { total: N, pass: N, fail: N, skip: N }`, from a
// log and prints it as the plain line CI counts. No summary at all counts as a failure.
const fs = require('node:fs')
const log = fs.readFileSync(process.argv[2], 'utf8')
const summaries = [...log.matchAll(/^# \{ (total: \d+[^}]*) \}$/gm)]
if (summaries.length === 0) {
  console.log('0 passed, 1 failed')
  process.exit(0)
}
const counts = Object.fromEntries(
  summaries[summaries.length - 1][1].split(',').map((pair) => {
    const [key, value] = pair.split(':').map((part) => part.trim())
    return [key, Number(value)]
  })
)
const skipped = (counts.skip ?? 0) + (counts.todo ?? 0)
console.log(`${counts.pass ?? 0} passed, ${counts.fail ?? 0} failed` + (skipped ? `, ${skipped} skipped` : ''))
