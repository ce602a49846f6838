import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

type Tap = { teardown(fn: () => unknown): void }

/** PEM files made for one test: a CA, a server certificate it signed, and a client one. */
export interface TestCertificates {
  dir: string
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  /** A second CA that signed nothing here: what a misconfigured DB_SSL_CA looks like. */
  wrongCa: string
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  await execFileAsync('openssl', args, { cwd })
}

async function makeCa(cwd: string, name: string): Promise<void> {
  await openssl(cwd, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-subj', `/CN=Lifeguard test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'
  ])
}

async function signed(cwd: string, name: string, subject: string, extensions: string): Promise<void> {
  await writeFile(path.join(cwd, `${name}.ext`), extensions)
  await openssl(cwd, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', subject])
  await openssl(cwd, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial',
    '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`
  ])
}

/** Made with the openssl CLI in a temporary directory, deleted at teardown. */
export async function makeTestCertificates(t: Tap): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lg-certs-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await makeCa(dir, 'ca')
  await makeCa(dir, 'wrong-ca')
  await signed(dir, 'server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  await signed(dir, 'client', '/CN=lifeguard-app', 'extendedKeyUsage=clientAuth\n')
  const file = (name: string) => path.join(dir, name)
  return {
    dir,
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server-key.pem'),
    clientCert: file('client.pem'),
    clientKey: file('client-key.pem'),
    wrongCa: file('wrong-ca.pem')
  }
}
