// A Bluesky PDS and an in-memory did:plc directory on loopback, for Porte-voix's tests.
//
// Modelled on @atproto/dev-env's TestPlc/TestPds (0.5 line), without an AppView: repo
// operations all work, app.bsky.* reads that the PDS proxies to an AppView fail (502).
//
// Usage: node server.mjs [--node-modules DIR] [--pds-port N] [--listen-port N] [--plc-port N]
//                        [--data-dir DIR]
//                        [--appview-url URL --appview-did DID]
//   --node-modules  the node_modules folder installed by install_pds.sh (it lives in a
//                   cache outside the work tree, so normal resolution would not find it)
//   --data-dir      where the PDS keeps its SQLite files and blobs; a temporary folder
//                   (removed on exit) when absent. A given folder is left in place.
//
// Promise to the caller: exactly one line on stdout, the JSON
//   {"pds": "http://localhost:PORT", "plc": "http://localhost:PORT"}
// once both servers answer. Diagnostics go to stderr; server logs only when LOG_ENABLED=true
// (LOG_DESTINATION=<file> keeps them off stdout). The process stops on SIGTERM/SIGINT and
// when its stdin closes, so a parent that dies, however it dies, takes the servers along.

import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { pathToFileURL } from 'node:url'

const HOST = '127.0.0.1'

const parseArgs = (argv) => {
  const opts = {}
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]
    const value = argv[i + 1]
    if (!key.startsWith('--') || value === undefined) {
      throw new Error(`bad arguments near ${key}`)
    }
    opts[key.slice(2)] = value
  }
  return opts
}

const opts = parseArgs(process.argv.slice(2))

// Resolve packages from the cached node_modules (ESM ignores NODE_PATH).
const requireFrom = createRequire(
  opts['node-modules']
    ? path.join(path.resolve(opts['node-modules']), '..', 'noop.js')
    : import.meta.url,
)
const load = async (name) => import(pathToFileURL(requireFrom.resolve(name)).href)

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.unref()
    probe.on('error', reject)
    probe.listen(0, HOST, () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

// PDS.start() and PlcServer.start() call app.listen(port), which binds every interface.
// `actualPort` lets the PDS listen elsewhere than the port of its public URL: a proxy of the
// tests then holds the public port, so every client (and the DID documents) goes through it.
const bindToLoopback = (app, actualPort = null) => {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(actualPort ?? port, HOST, ...rest)
}

const toHex = (bytes) => Buffer.from(bytes).toString('hex')

let shuttingDown = false
const cleanups = []

const shutdown = async (code) => {
  if (shuttingDown) return
  shuttingDown = true
  // destroy() waits for open connections to drain: do not let that hang the exit.
  setTimeout(() => process.exit(code), 5000).unref()
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup()
    } catch (err) {
      console.error('pds peer: cleanup failed:', err)
    }
  }
  process.exit(code)
}

process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
process.stdin.on('end', () => shutdown(0))
process.stdin.on('close', () => shutdown(0))
process.stdin.on('error', () => shutdown(0))
process.stdin.resume()

const main = async () => {
  const [pds, plc, crypto] = await Promise.all([
    load('@atproto/pds'),
    load('@did-plc/server'),
    load('@atproto/crypto'),
  ])

  let dataDir = opts['data-dir']
  if (dataDir) {
    await fs.mkdir(dataDir, { recursive: true })
  } else {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'porte-voix-pds-'))
    const owned = dataDir
    cleanups.push(() => fs.rm(owned, { recursive: true, force: true }))
  }

  const plcServer = plc.PlcServer.create({
    db: plc.Database.mock(),
    port: Number(opts['plc-port'] ?? 0),
  })
  bindToLoopback(plcServer.app)
  const plcListener = await plcServer.start()
  cleanups.push(() => plcServer.destroy())
  // "localhost", not 127.0.0.1: with an IP the PDS later rejects the DID documents it
  // resolves ("Invalid hostname").
  const plcUrl = `http://localhost:${plcListener.address().port}`

  const rotationKey = await crypto.Secp256k1Keypair.create({ exportable: true })
  const recoveryKey = await crypto.Secp256k1Keypair.create()

  // The PDS must know its port before it starts (it is part of its public URL), so a
  // free one is probed; another process may take it first, hence the retries.
  const fixedPort = opts['pds-port'] ? Number(opts['pds-port']) : null
  let server = null
  let port = null
  for (let attempt = 1; server === null; attempt++) {
    port = fixedPort ?? (await freePort())
    const env = {
      devMode: true,
      version: '0.0.0-test',
      hostname: 'localhost',
      port,
      dataDirectory: dataDir,
      blobstoreDiskLocation: path.join(dataDir, 'blobs'),
      blobstoreDiskTmpLocation: path.join(dataDir, 'blobs-tmp'),
      didPlcUrl: plcUrl,
      recoveryDidKey: recoveryKey.did(),
      plcRotationKeyK256PrivateKeyHex: toHex(await rotationKey.export()),
      adminPassword: 'admin-pass',
      jwtSecret: 'jwt-secret',
      serviceHandleDomains: ['.test'],
      inviteRequired: false,
      rateLimitsEnabled: false,
      disableSsrfProtection: true,
      crawlers: [],
      // No AppView runs here: app.bsky.* reads are proxied to a loopback port where nothing
      // listens, so they fail fast with 502 as they would with an AppView down. Tests that
      // need such reads can pass --appview-url/--appview-did of a stand-in of their own.
      bskyAppViewUrl: opts['appview-url'] ?? 'http://127.0.0.1:1',
      bskyAppViewDid: opts['appview-did'] ?? 'did:web:appview.invalid',
    }
    const candidate = await pds.PDS.create(pds.envToCfg(env), pds.envToSecrets(env))
    const listenPort = opts['listen-port'] ? Number(opts['listen-port']) : null
    bindToLoopback(candidate.app, listenPort)
    try {
      await candidate.start()
      server = candidate
    } catch (err) {
      await candidate.destroy().catch(() => {})
      if (fixedPort !== null || err?.code !== 'EADDRINUSE' || attempt >= 5) throw err
    }
  }
  cleanups.push(() => server.destroy())

  const direct = `http://localhost:${opts['listen-port'] ?? port}`
  process.stdout.write(
    JSON.stringify({ pds: `http://localhost:${port}`, plc: plcUrl, direct }) + '\n',
  )
}

main().catch((err) => {
  console.error('pds peer: failed to start:', err)
  shutdown(1)
})
