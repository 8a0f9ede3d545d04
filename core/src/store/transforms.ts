/** Data access for transform scripts and their immutable versions. */
import { createHash } from 'node:crypto'
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import type { Queryable } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import { newId } from './ids.ts'

export const TransformVersionRow = Type.Object({
  id: Type.String(),
  transform_id: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  code: Type.String(),
  sha256: Type.String(),
  created_at: Type.Number(),
})
export type TransformVersionRow = Static<typeof TransformVersionRow>
const VERSION = row(TransformVersionRow)
const COLUMNS = sql.fragment`v.id, v.transform_id, t.name, v.version, v.code, v.sha256, v.created_at`

export async function createTransform(db: Queryable, name: string, code: string): Promise<TransformVersionRow> {
  return db.transaction(async (tx) => {
    const transformId = newId()
    await tx.query(sql.unsafe`INSERT INTO transforms (id, name) VALUES (${transformId}, ${name})`)
    return insertVersion(tx, transformId, 1, code)
  })
}

/** Editing a script creates the next version; earlier versions stay as they were. */
export async function addTransformVersion(db: Queryable, transformId: string, code: string): Promise<TransformVersionRow> {
  return db.transaction(async (tx) => {
    const exists = await tx.maybeOneFirst(sql.type(row(Type.Object({ id: Type.String() })))`SELECT id FROM transforms WHERE id = ${transformId} FOR UPDATE`)
    if (!exists) throw new Errors.TRANSFORM_NOT_FOUND(transformId)
    const last = await tx.oneFirst(sql.type(row(Type.Object({ v: Type.Integer() })))`SELECT COALESCE(max(version), 0)::int AS v FROM transform_versions WHERE transform_id = ${transformId}`)
    return insertVersion(tx, transformId, last + 1, code)
  })
}

async function insertVersion(tx: Queryable, transformId: string, version: number, code: string) {
  const id = newId()
  const sha = createHash('sha256').update(code).digest('hex')
  await tx.query(sql.unsafe`INSERT INTO transform_versions (id, transform_id, version, code, sha256) VALUES (${id}, ${transformId}, ${version}, ${code}, ${sha})`)
  return tx.one(sql.type(VERSION)`SELECT ${COLUMNS} FROM transform_versions v JOIN transforms t ON t.id = v.transform_id WHERE v.id = ${id}`)
}

export async function listTransformVersions(db: Queryable, transformId: string): Promise<readonly TransformVersionRow[]> {
  const rows = await db.any(sql.type(VERSION)`SELECT ${COLUMNS} FROM transform_versions v JOIN transforms t ON t.id = v.transform_id
    WHERE v.transform_id = ${transformId} ORDER BY v.version DESC`)
  if (rows.length === 0) throw new Errors.TRANSFORM_NOT_FOUND(transformId)
  return rows
}

export async function listTransforms(db: Queryable): Promise<readonly TransformVersionRow[]> {
  return db.any(sql.type(VERSION)`SELECT DISTINCT ON (v.transform_id) ${COLUMNS} FROM transform_versions v JOIN transforms t ON t.id = v.transform_id
    ORDER BY v.transform_id, v.version DESC`)
}

export async function getTransformVersion(db: Queryable, versionId: string): Promise<TransformVersionRow> {
  const r = await db.maybeOne(sql.type(VERSION)`SELECT ${COLUMNS} FROM transform_versions v JOIN transforms t ON t.id = v.transform_id WHERE v.id = ${versionId}`)
  if (!r) throw new Errors.TRANSFORM_NOT_FOUND(versionId)
  return r
}
