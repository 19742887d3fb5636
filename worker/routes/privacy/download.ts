import { z } from 'zod'
import type { App } from '../../env.ts'
import { ApiError, notFound } from '../../errors.ts'
import { verifyDownloadToken } from '../../services/privacy/download-token.ts'
import { openDownload } from '../../services/privacy/exports.ts'
import { validate } from '../../validator.ts'

const downloadParam = z.object({ token: z.string().min(1).max(2000) })

/**
 * The signed link of `GET /api/v1/exports/:id`: no Authorization header (a browser follows it),
 * the token is the proof. The export must still be completed and unexpired; each download is
 * audited as the member the link was made for. The archive streams from R2 as it is read.
 */
export function registerExportDownload(app: App) {
  app.get('/exports/download/:token', validate('param', downloadParam), async (c) => {
    const services = c.var.caller.services
    const claims = await verifyDownloadToken(c.req.valid('param').token, services.config.JWT_SIGNING_KEYS)
    if (claims === 'expired')
      throw new ApiError(410, 'DOWNLOAD_LINK_EXPIRED', 'This link has expired; ask for a new one.')
    if (claims === 'invalid')
      throw new ApiError(401, 'INVALID_DOWNLOAD_LINK', 'This download link is not valid.')
    c.set('tenantId', claims.tenantId)
    const objectKey = await services.db.transaction(
      (tx) => openDownload({ tx, meta: c.var.caller.meta, services, now: new Date() }, claims),
      { tenantId: claims.tenantId },
    )
    const object = await services.exports.get(objectKey)
    if (!object) throw notFound('export')
    return new Response(object.body, {
      headers: {
        'Content-Type': 'application/zip',
        'Content-Length': String(object.size),
        'Content-Disposition': `attachment; filename="integra-export-${claims.exportId}.zip"`,
        'Cache-Control': 'private, no-store',
      },
    })
  })
}
