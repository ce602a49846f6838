/**
 * The operator's surface: Prometheus text and the API's description (Swagger UI under /docs,
 * with its /docs/json and /docs/yaml, and /openapi.json). It tells a stranger the whole route
 * table and the process's internals, so it is what ADMIN_PORT moves and ADMIN_TOKEN guards.
 * Health is not in it: probes must reach it on the main port, without a token.
 */
export function isAdminPath(path: string): boolean {
  return path === '/metrics' || path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/')
}

/** `/health/live`, `/health/ready`: served on the admin port too, for probes that use it. */
export function isHealthPath(path: string): boolean {
  return path.startsWith('/health/')
}

/** A request target's path: the query string is no part of the route. */
export function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
