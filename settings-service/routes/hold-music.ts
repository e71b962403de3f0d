// Upload Hold Music: the file as the raw body (audio/mpeg or audio/wav) or as the multipart field `file`,
// at most 4 MB and 10 minutes (by default), checked by its content and decoded once, within the
// organization's hold music quota; GET plays it back, DELETE returns to the built-in music.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { HOLD_MUSIC_MAX_BYTES } from '../../settings/hold-music.ts';
import { builtinHoldMusicPath } from '../../settings/music/hold-audio.ts';
import { agentFor, HttpError } from '../auth.ts';
import { checkUpload, cleanFileName } from '../hold-music-upload.ts';
import { errors, holdMusic, id, problems } from '../schemas.ts';
import { MissingAgentError, MusicQuotaError, musicUsage } from '../../settings/store/music-usage.ts';
import type { SettingsStore } from '../../settings/store/store.ts';
import { megabytes, type UploadLimits } from '../upload-limits.ts';

const params = { type: 'object', properties: { agentId: id }, required: ['agentId'] } as const;
const security = [{ bearer: [] }];
type Params = { Params: { agentId: string } };

export const AUDIO_TYPES = ['audio/mpeg', 'audio/mp3', 'audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];
const CONTENT_TYPE = { mp3: 'audio/mpeg', wav: 'audio/wav' } as const;

/** The uploaded bytes and the name to use in messages, from either kind of request. */
async function uploaded(request: FastifyRequest): Promise<{ data: Buffer; name: string }> {
  if (request.isMultipart()) {
    // The multipart parser throws plain errors for a body cut short or malformed: that is the client's, 400.
    const malformed = (error: Error & { statusCode?: number }) => {
      throw error.statusCode ? error : new HttpError(400, `the multipart upload is malformed: ${error.message}`);
    };
    const part = await request.file().catch(malformed);
    if (!part || part.fieldname !== 'file') throw new HttpError(422, 'the multipart upload has no field named file');
    return { data: await part.toBuffer().catch(malformed), name: cleanFileName(part.filename) };
  }
  if (!Buffer.isBuffer(request.body)) {
    throw new HttpError(
      415,
      `send the file as audio/mpeg, audio/wav or multipart/form-data (field file), not ${request.headers['content-type'] ?? 'no Content-Type'}`,
    );
  }
  return { data: request.body, name: cleanFileName(request.headers['x-file-name']) };
}

/** The quota refusal: names the quota, what the organization uses and what this music needs. */
function quotaProblem(error: MusicQuotaError): HttpError {
  return new HttpError(
    422,
    `organization ${error.organizationId}'s hold music quota is ${megabytes(error.quotaBytes)}: its other agents' music uses ${megabytes(error.usedBytes)} and this music needs ${megabytes(error.neededBytes)} (the file and its decoded samples); delete or shorten some music first`,
  );
}

export async function holdMusicRoutes(app: FastifyInstance, store: SettingsStore, limits: UploadLimits): Promise<void> {
  // Scoped to this plugin: only these routes take audio or multipart bodies.
  await app.register(multipart, { limits: { fileSize: HOLD_MUSIC_MAX_BYTES, files: 1, fields: 0, parts: 1 } });
  app.addContentTypeParser(AUDIO_TYPES, { parseAs: 'buffer', bodyLimit: HOLD_MUSIC_MAX_BYTES }, (_request, body, done) => done(null, body));

  app.post<Params>(
    '/v1/agents/:agentId/hold-music',
    {
      schema: {
        summary: 'Upload Hold Music: an MP3 or WAV of at most 4 MB, as the raw body or the multipart field `file`',
        description:
          "413 when larger than 4 MB; 415 when the content is not MP3 or WAV, whatever its name or type; 422 when it is damaged, uses a codec other than MP3, PCM, float, A-law or µ-law, plays longer than the service's cap (10 minutes by default), does not decode, or would pass the organization's hold music quota.",
        security,
        params,
        consumes: [...AUDIO_TYPES, 'multipart/form-data'],
        response: { 201: holdMusic, 413: problems, 415: problems, 422: problems, 429: problems, 503: problems, ...errors },
      },
    },
    async (request, reply) => {
      const agent = await agentFor(request, store, request.params.agentId);
      const { data, name } = await uploaded(request);
      const quota = limits.organizationMusicBytes;
      // Music that cannot fit by what its headers promise is refused before it is decoded.
      const room = async (needed: number) => {
        const used = await musicUsage(store.redis, store.keys, agent.organizationId, agent.agentId);
        return used + needed > quota ? quotaProblem(new MusicQuotaError(agent.organizationId, used, needed, quota)).message : undefined;
      };
      const check = await checkUpload(data, name, limits, room);
      if (!check.ok) throw new HttpError(check.status, check.error);
      const info = {
        sha256: check.sha256,
        format: check.format,
        bytes: data.length,
        name,
        durationMs: Math.round(check.durationMs),
        uploadedAt: new Date().toISOString(),
      };
      const pcm = Buffer.from(check.pcm.buffer, check.pcm.byteOffset, check.pcm.byteLength);
      const version = await store.putHoldMusic(agent.agentId, info, data, pcm, quota).catch((error: unknown) => {
        if (error instanceof MusicQuotaError) throw quotaProblem(error);
        if (error instanceof MissingAgentError) throw new HttpError(404, error.message);
        throw error;
      });
      request.log.info({ agentId: agent.agentId, version, format: info.format, bytes: info.bytes }, 'hold music stored');
      return reply.code(201).send(info);
    },
  );

  app.get<Params>(
    '/v1/agents/:agentId/hold-music',
    {
      schema: {
        summary: "Play the agent's hold music back (the built-in music when none was uploaded)",
        security,
        params,
        produces: ['audio/mpeg', 'audio/wav', 'audio/ogg'],
        response: errors,
      },
    },
    async (request, reply) => {
      const agent = await agentFor(request, store, request.params.agentId);
      const file = agent.holdMusic ? await store.holdMusicFile(agent.agentId) : undefined;
      reply.header('cache-control', 'no-store');
      if (agent.holdMusic && file) return reply.type(CONTENT_TYPE[agent.holdMusic.format]).send(file);
      const builtin = builtinHoldMusicPath();
      return reply.type(builtin.endsWith('.ogg') ? 'audio/ogg' : builtin.endsWith('.wav') ? 'audio/wav' : 'audio/mpeg').send(await readFile(builtin));
    },
  );

  app.delete<Params>(
    '/v1/agents/:agentId/hold-music',
    {
      schema: {
        summary: 'Return to the built-in hold music',
        security,
        params,
        response: { 200: { type: 'object', properties: { holdMusic: holdMusic } }, ...errors },
      },
    },
    async (request) => {
      const agent = await agentFor(request, store, request.params.agentId);
      await store.clearHoldMusic(agent.agentId);
      return { holdMusic: null };
    },
  );
}
