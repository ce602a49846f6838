import mysql from 'mysql2/promise'
import type { Config } from '../config'
import { connectTimeoutMs, parseDatabaseUrl, type DatabaseTarget } from './data-source-options'
import { databaseTls } from './tls-options'

/**
 * A short-lived connection to DATABASE_URL's server as its account, with no default database
 * (it may not exist yet), the pool's TLS and the same connect timeout as the pool's: nobody
 * waits longer than the acquire timeout for a connection. For the start-up steps that run
 * before the pool (creating the database, the connection budget); the caller ends it.
 * `target`: another server with its own account (a replica's, for its connection budget).
 */
export function serverConnection(config: Config, target: DatabaseTarget = parseDatabaseUrl(config.DATABASE_URL)): Promise<mysql.Connection> {
  const { host, port, username, password } = target
  return mysql.createConnection({ host, port, user: username, password, connectTimeout: connectTimeoutMs(config), ssl: databaseTls(config) })
}
