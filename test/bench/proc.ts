// What a process group costs, read from /proc: CPU time (user + system, with that of reaped children) and
// resident memory of every process in the group (the worker's main process, its job processes, espeak-ng,
// wt-forwarder); which job processes are in a call; and the whole machine's CPU.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PAGE_KB = (Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096) / 1024;

export interface ProcessSample {
  pid: number;
  /** CPU ms of the process and of its children it has reaped. */
  cpuMs: number;
  /** CPU ms of the process alone (a shell that reaped a build would otherwise show the build's whole time). */
  ownCpuMs: number;
  rssKb: number;
  command: string;
  /** What the process is: the worker's main process, a job process (one per call, and the warm pool), or another. */
  role: 'main' | 'job' | 'inference' | 'forwarder' | 'other';
  /** When the process started, in clock ticks since boot (to tell a reused pid apart). */
  startTicks: number;
}

function roleOf(pid: number): ProcessSample['role'] {
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return 'other';
  }
  if (cmdline.includes('job_proc_lazy_main')) return 'job';
  if (cmdline.includes('inference_proc_lazy_main')) return 'inference';
  // The worker's child that carries bridged calls' audio (forwarder/; built as wt-forwarder-<hash>).
  if (cmdline.split('\0')[0]?.includes('wt-forwarder')) return 'forwarder';
  // The compiled worker (dist/agent/main.js) or its TypeScript source run by tsx (its wrapper counts as other).
  if (/agent\/main\.(js|ts)\0start/.test(cmdline) && !cmdline.includes('tsx/dist/cli')) return 'main';
  return 'other';
}

function readStat(pid: number): { pgrp: number; sample: ProcessSample } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const command = stat.slice(stat.indexOf('(') + 1, close);
    // Fields after the command, numbered as in proc(5) from 3 (state).
    const f = stat.slice(close + 2).split(' ');
    const field = (n: number) => Number(f[n - 3]);
    const cpuTicks = field(14) + field(15) + field(16) + field(17);
    return {
      pgrp: field(5),
      sample: {
        pid,
        cpuMs: (cpuTicks * 1000) / CLOCK_TICKS,
        ownCpuMs: ((field(14) + field(15)) * 1000) / CLOCK_TICKS,
        rssKb: field(24) * PAGE_KB,
        command,
        role: roleOf(pid),
        startTicks: field(22),
      },
    };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

/** Every live process of the process group `pgid`. */
export function sampleGroup(pgid: number): ProcessSample[] {
  const out: ProcessSample[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const read = readStat(Number(name));
    if (read?.pgrp === pgid) out.push(read.sample);
  }
  return out;
}

export interface GroupUsage {
  /** CPU ms the group used in the window, all processes together. */
  cpuMs: number;
  /** Wall ms of the window. */
  wallMs: number;
  /** CPU share of one core (1 = one core busy all the window). */
  cores: number;
  /** Highest total resident memory seen (MB), and the highest of one process. */
  peakRssMb: number;
  peakProcessRssMb: number;
  /** Most processes seen at once. */
  peakProcesses: number;
}

/**
 * Samples a process group every `everyMs` until stop(). Each process's CPU (its own and its reaped
 * children's) counts from the first sample (a process born in the window from 0). When a process is gone,
 * its parent (the worker, or the job process that ran espeak-ng) has reaped it and counts its whole time,
 * so its own entry is taken out again: nothing is counted twice.
 */
export function watchGroup(pgid: number, everyMs = 250): { stop(): GroupUsage; now(): GroupUsage } {
  const started = Date.now();
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  let alive = new Set<string>();
  let peakRss = 0;
  let peakOne = 0;
  let peakProcesses = 0;
  let firstTick = true;
  const key = (s: ProcessSample) => `${s.pid}:${s.startTicks}`;
  const tick = () => {
    const samples = sampleGroup(pgid);
    let rss = 0;
    alive = new Set();
    for (const s of samples) {
      if (!first.has(key(s))) first.set(key(s), firstTick ? s.cpuMs : 0);
      last.set(key(s), s.cpuMs);
      alive.add(key(s));
      rss += s.rssKb;
      peakOne = Math.max(peakOne, s.rssKb);
    }
    firstTick = false;
    peakRss = Math.max(peakRss, rss);
    peakProcesses = Math.max(peakProcesses, samples.length);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  const usage = (): GroupUsage => {
    let cpu = 0;
    for (const [k, end] of last) cpu += alive.has(k) ? end - (first.get(k) ?? 0) : -(first.get(k) ?? 0);
    const wallMs = Date.now() - started;
    cpu = Math.max(0, cpu);
    return {
      cpuMs: Math.round(cpu),
      wallMs,
      cores: cpu / wallMs,
      peakRssMb: Math.round(peakRss / 1024),
      peakProcessRssMb: Math.round(peakOne / 1024),
      peakProcesses,
    };
  };
  return {
    now: () => {
      tick();
      return usage();
    },
    stop: () => {
      tick();
      clearInterval(timer);
      return usage();
    },
  };
}

/** CPU ms per thread name (tokio-runtime-w: rtc-node's FFI, node's own threads, onnxruntime's pool...) of the group's job processes. */
export function jobThreads(pgid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const process of sampleGroup(pgid)) {
    if (process.role !== 'job') continue;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${process.pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        // Numbered names (onnxruntime's pool, libuv's) are one kind of thread each.
        const name = tid === String(process.pid) ? 'main JS thread' : stat.slice(stat.indexOf('(') + 1, close).replace(/[-_ ]?\d+$/, '');
        const f = stat.slice(close + 2).split(' ');
        const ms = ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
        out.set(name, (out.get(name) ?? 0) + ms);
      } catch {
        /* thread gone */
      }
    }
  }
  return out;
}

/** after − before per thread name, rounded, largest first. */
export function threadDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const rows = [...after].map(([name, ms]) => [name, Math.round(ms - (before.get(name) ?? 0))] as const).filter(([, ms]) => ms > 0);
  return Object.fromEntries(rows.sort((a, b) => b[1] - a[1]));
}

/** Inodes of the machine's UDP sockets (IPv4 and IPv6). */
function udpInodes(): Set<string> {
  const out = new Set<string>();
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode && inode !== '0') out.add(inode);
    }
  }
  return out;
}

/**
 * The group's job processes that are in a call: those holding a UDP socket. A job process joins its rooms
 * over WebRTC (rtc-node opens UDP sockets for ICE); a warm one waiting for a call has none. Keys are
 * `pid:startTicks`, so a reused pid is a new process.
 */
export function jobsInCalls(pgid: number): Set<string> {
  const udp = udpInodes();
  const out = new Set<string>();
  for (const p of sampleGroup(pgid)) {
    if (p.role !== 'job') continue;
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p.pid}/fd`);
    } catch {
      continue;
    }
    const holdsUdp = fds.some((fd) => {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p.pid}/fd/${fd}`))?.[1];
        return inode !== undefined && udp.has(inode);
      } catch {
        return false;
      }
    });
    if (holdsUdp) out.add(`${p.pid}:${p.startTicks}`);
  }
  return out;
}

/** CPU ticks of the whole machine from /proc/stat: busy (everything but idle and iowait) and total. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

/** The whole machine's CPU from now to stop(), in cores busy (2 = both cores of a 2-core machine). */
export function watchMachine(cores: number): { stop(): number } {
  const first = machineTicks();
  return {
    stop: () => {
      const last = machineTicks();
      const total = last.total - first.total;
      return total > 0 ? ((last.busy - first.busy) / total) * cores : 0;
    },
  };
}

/** CPU of every process on the machine by command name, from now to stop() (cores, the busiest first): where the machine's CPU went. */
export function watchCommands(): { stop(): Record<string, number> } {
  const read = () => {
    const out = new Map<string, { command: string; cpuMs: number }>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const s = readStat(Number(name))?.sample;
      if (!s) continue;
      // This process runs the phones' RTP (received and decoded in node): named apart from other node processes.
      const command = s.pid === process.pid ? 'bench (phones)' : s.role === 'other' ? s.command : `worker ${s.role}`;
      out.set(`${s.pid}:${s.startTicks}`, { command, cpuMs: s.ownCpuMs });
    }
    return out;
  };
  const first = read();
  const started = Date.now();
  return {
    stop: () => {
      const wallMs = Date.now() - started;
      const by = new Map<string, number>();
      for (const [key, { command, cpuMs }] of read()) by.set(command, (by.get(command) ?? 0) + cpuMs - (first.get(key)?.cpuMs ?? 0));
      const rows = [...by].filter(([, ms]) => ms / wallMs >= 0.01).sort((a, b) => b[1] - a[1]);
      return Object.fromEntries(rows.slice(0, 8).map(([c, ms]) => [c, Number((ms / wallMs).toFixed(3))]));
    },
  };
}
