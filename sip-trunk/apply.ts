// Creates or updates the SIP trunks and the dispatch rule in this folder, matched by name, so running it
// twice changes nothing. Works against any LiveKit URL: the local stack, another server, or LiveKit Cloud.
//   npm run sip-trunk            (reads LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, AGENT_NAME)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIPDispatchRuleInfo, SIPInboundTrunkInfo, SIPOutboundTrunkInfo, SipClient } from 'livekit-server-sdk';
import { agentIdFromMetadata } from '../agent/call-settings/files.ts';
import { httpUrl } from '../agent/livekit/room-api.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface TrunkIds {
  inboundTrunkId: string;
  pstnTrunkId: string;
  pbxTrunkId: string;
  dispatchRuleId: string;
}

export interface ApplyOptions {
  url: string;
  apiKey: string;
  apiSecret: string;
  /** The worker's agentName; the dispatch rule sends every call to it. */
  agentName?: string;
}

function readDefinition(file: string, field: 'trunk' | 'dispatch_rule'): unknown {
  const parsed = JSON.parse(readFileSync(join(here, file), 'utf8')) as Record<string, unknown>;
  if (!(field in parsed)) throw new Error(`${file}: expected a top-level "${field}" object`);
  return parsed[field];
}

async function applyInbound(sip: SipClient, file: string): Promise<string> {
  const wanted = SIPInboundTrunkInfo.fromJson(readDefinition(file, 'trunk') as never);
  const existing = (await sip.listSipInboundTrunk()).find((t) => t.name === wanted.name);
  if (existing) {
    wanted.sipTrunkId = existing.sipTrunkId;
    return (await sip.updateSipInboundTrunk(existing.sipTrunkId, wanted)).sipTrunkId;
  }
  const created = await sip.createSipInboundTrunk(wanted.name, wanted.numbers, {
    metadata: wanted.metadata,
    allowedAddresses: wanted.allowedAddresses,
    allowedNumbers: wanted.allowedNumbers,
    authUsername: wanted.authUsername,
    authPassword: wanted.authPassword,
    // How long a call may ring before an agent picks it up; livekit-sip then answers 486 Busy Here.
    ...(wanted.ringingTimeout ? { ringingTimeout: Number(wanted.ringingTimeout.seconds) } : {}),
  });
  return created.sipTrunkId;
}

async function applyOutbound(sip: SipClient, file: string): Promise<string> {
  const wanted = SIPOutboundTrunkInfo.fromJson(readDefinition(file, 'trunk') as never);
  const existing = (await sip.listSipOutboundTrunk()).find((t) => t.name === wanted.name);
  if (existing) {
    wanted.sipTrunkId = existing.sipTrunkId;
    return (await sip.updateSipOutboundTrunk(existing.sipTrunkId, wanted)).sipTrunkId;
  }
  const created = await sip.createSipOutboundTrunk(wanted.name, wanted.address, wanted.numbers, {
    metadata: wanted.metadata,
    transport: wanted.transport,
    authUsername: wanted.authUsername,
    authPassword: wanted.authPassword,
  });
  return created.sipTrunkId;
}

async function applyDispatch(sip: SipClient, file: string, inboundTrunkId: string, agentName?: string): Promise<string> {
  const wanted = SIPDispatchRuleInfo.fromJson(readDefinition(file, 'dispatch_rule') as never);
  wanted.trunkIds = [inboundTrunkId];
  for (const agent of wanted.roomConfig?.agents ?? []) {
    if (agentName) agent.agentName = agentName;
    // The agent a call gets (settings files or the settings store): `"metadata": "{\"agentId\": \"acme.support\"}"`.
    // Only this rule (or a dispatch made with the API key) sets a job's metadata; no caller or tenant can.
    try {
      agentIdFromMetadata(agent.metadata);
    } catch (error) {
      throw new Error(`${file}: roomConfig.agents[].metadata: ${(error as Error).message}`);
    }
  }
  const existing = (await sip.listSipDispatchRule()).find((r) => r.name === wanted.name);
  if (existing) {
    wanted.sipDispatchRuleId = existing.sipDispatchRuleId;
    return (await sip.updateSipDispatchRule(existing.sipDispatchRuleId, wanted)).sipDispatchRuleId;
  }
  const rule = wanted.rule?.rule;
  if (rule?.case !== 'dispatchRuleIndividual') throw new Error(`${file}: only individual dispatch rules are supported`);
  const created = await sip.createSipDispatchRule(
    { type: 'individual', roomPrefix: rule.value.roomPrefix },
    {
      name: wanted.name,
      metadata: wanted.metadata,
      trunkIds: wanted.trunkIds,
      ...(wanted.roomConfig ? { roomConfig: wanted.roomConfig } : {}),
    },
  );
  return created.sipDispatchRuleId;
}

export async function applyTrunks(options: ApplyOptions): Promise<TrunkIds> {
  const sip = new SipClient(httpUrl(options.url), options.apiKey, options.apiSecret);
  const inboundTrunkId = await applyInbound(sip, 'inbound.json');
  const pstnTrunkId = await applyOutbound(sip, 'outbound-pstn.json');
  const pbxTrunkId = await applyOutbound(sip, 'outbound-pbx.json');
  const dispatchRuleId = await applyDispatch(sip, 'dispatch.json', inboundTrunkId, options.agentName);
  return { inboundTrunkId, pstnTrunkId, pbxTrunkId, dispatchRuleId };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, AGENT_NAME } = process.env;
  if (!LIVEKIT_URL || !LIVEKIT_API_KEY || !LIVEKIT_API_SECRET) {
    console.error('set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
    process.exit(2);
  }
  const ids = await applyTrunks({
    url: LIVEKIT_URL,
    apiKey: LIVEKIT_API_KEY,
    apiSecret: LIVEKIT_API_SECRET,
    ...(AGENT_NAME ? { agentName: AGENT_NAME } : {}),
  });
  console.log(JSON.stringify(ids, null, 2));
}
