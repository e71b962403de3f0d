// A stored agent is checked by the very schema that checks settings files (settings/schema.ts),
// so a setting refused in a file is refused here with the same words. What differs is only what the store
// owns itself: the organization (set by the administrator, referenced by id), the hold music (uploaded
// and checked by content, see hold-music-upload.ts) and the webhook URL. Paths name files on the service's
// and the workers' machines, which are the operator's, not a tenant's: a stored agent names none (no hold
// music file, no messages file), and the schema never sees one, so no answer tells what exists there.
import { join } from 'node:path';
import { agentSettingsSchema, type AgentSettings } from '../schema.ts';
import { friendlyMessage } from '../settings.ts';
import type { Organization } from './store.ts';
import { webhookHostPolicy, webhookUrlProblem } from '../webhook-url.ts';

export type AgentCheck =
  { ok: true; document: Record<string, unknown>; webhookUrl: string | undefined; settings: AgentSettings } | { ok: false; problems: string[] };

const ID = /^[\w.-]{1,64}$/;

/** The schema wants a file to resolve paths against; stored settings hold none (see above). */
const STORE_BASE = () => join(process.cwd(), 'settings-store');

export const MESSAGES_FILE_REFUSED =
  'messages: an agent in the settings store cannot name a messages file; the messages it takes go to its own stream (GET /v1/agents/{agentId}/messages) and its webhook';

/**
 * Checks an agent's document as written to the store; `organization` is the one its organizationId
 * names (undefined when there is none). Every problem is listed, each starting with its field.
 */
export async function checkAgent(
  agentId: string,
  input: unknown,
  organization: Organization | undefined,
  /** A worker reading settings the administrator has since switched off: valid, with warm transfer off. */
  { reading = false }: { reading?: boolean } = {},
): Promise<AgentCheck> {
  const problems: string[] = [];
  if (!ID.test(agentId)) problems.push('agentId: letters, digits, dot, dash and underscore only (at most 64)');
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, problems: [...problems, 'the settings must be a JSON object'] };
  // A worker reading an agent written by an older version drops its messages file: it never appends there.
  const { organizationId, webhookUrl, agentId: bodyId, organization: inline, messages, ...fields } = input as Record<string, unknown>;
  if (messages !== undefined && !reading) problems.push(MESSAGES_FILE_REFUSED);
  if (bodyId !== undefined && bodyId !== agentId) problems.push(`agentId: '${String(bodyId)}' does not match the agent in the path ('${agentId}')`);
  if (typeof organizationId !== 'string' || !ID.test(organizationId)) problems.push('organizationId: is required (letters, digits, dot, dash and underscore)');
  else if (!organization) problems.push(`organizationId: organization '${organizationId}' does not exist; the administrator creates it`);
  if (inline !== undefined)
    problems.push('organization: whether warm transfer is available is set by the administrator on the organization, not in agent settings');
  // Checked when written, with the service's allow list; a worker reading the agent never sends webhooks (the
  // sender checks the URL again at every delivery), so its own settings do not decide this.
  const webhookProblem = webhookUrl === undefined || reading ? undefined : webhookUrlProblem(webhookUrl, webhookHostPolicy());
  if (webhookProblem) problems.push(webhookProblem);
  const section = fields.warmTransfer;
  let checked = fields;
  if (section && typeof section === 'object' && 'holdMusic' in section) {
    problems.push(`warmTransfer.holdMusic: upload the file with POST /v1/agents/${agentId}/hold-music; it is checked by its content`);
    // Not handed to the schema, which would open the path: its answer would tell what is on this machine.
    const { holdMusic: _path, ...rest } = section as Record<string, unknown>;
    checked = { ...fields, warmTransfer: rest };
  }

  const available = organization?.warmTransferAvailable ?? true;
  const parsed = await agentSettingsSchema(STORE_BASE()).safeParseAsync(
    { ...checked, agentId, organization: { warmTransferAvailable: available } },
    { error: friendlyMessage },
  );
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message);
  }
  if (!reading && section && typeof section === 'object' && (section as { enabled?: unknown }).enabled === true && organization && !available) {
    problems.push(`warmTransfer.enabled: organization '${organization.id}' does not have warm transfer; ask your administrator to make it available`);
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  const document = { organizationId, ...fields };
  return { ok: true, document, webhookUrl: webhookUrl as string | undefined, settings: { ...parsed.data, file: `settings store: agent ${agentId}` } };
}
