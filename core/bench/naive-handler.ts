/**
 * The reference the relay is compared with: the obvious Fastify handler that does one
 * INSERT and one XADD per request and answers after both. Same database, same table,
 * same Redis, same framework, so the difference is the relay's design (group commit,
 * pipelined XADD), not the setup.
 */
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import pg from 'pg'
import { v7 } from 'uuid'

const [databaseUrl, redisUrl, prefix, sourceId, portArg] = process.argv.slice(2)
const db = new pg.Pool({ connectionString: databaseUrl, max: 10 })
const redis = new Redis(redisUrl!)
const app = Fastify()
app.removeAllContentTypeParsers()
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
app.post('/in/:slug', async (req, reply) => {
  const id = v7()
  await db.query(
    'INSERT INTO events (id, source_id, received_at, content_type, headers, body, fanout_status) VALUES ($1, $2, now(), $3, $4, $5, $6)',
    [id, sourceId, req.headers['content-type'] ?? null, JSON.stringify(req.headers), req.body, 'recorded'],
  )
  await redis.xadd(`${prefix}naive:events`, '*', 'e', id)
  return reply.code(202).send({ eventId: id })
})
const address = await app.listen({ port: Number(portArg ?? 0), host: '127.0.0.1' })
console.log(JSON.stringify({ address }))
