import { ValidationFailedError } from '../http/errors'

/** A 400 for one query-string parameter, shaped like ajv's own: `errors: [{ path, message }]`. */
export function invalidQuery(path: string, message: string): never {
  throw new ValidationFailedError(`${path} ${message}`, [{ path, message }])
}
