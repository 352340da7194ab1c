import type { InspectReport } from '../debug/inspect-report.js';
import { formatBytes, table, terminalSafe as s } from './terminal-safe.js';
import { shortId } from '../core/short-id.js';

export interface InspectFormat {
  /** Also the runtime's standard /proc, /sys and /dev mounts (JSON always has them). */
  allMounts?: boolean;
}

/** The human form of an inspect report: short sections, one fact a line. */
export function formatInspect(report: InspectReport, format: InspectFormat = {}): string {
  const out: string[] = [];
  const section = (title: string): void => {
    out.push('', `${title}`);
  };
  const line = (label: string, value: string): void => {
    out.push(`  ${label.padEnd(14)} ${value}`);
  };
  const id = report.identity;
  out.push(`${s(id.name)} (${shortId(id.id)})`);
  line('image', `${s(id.image)}${id.imageCreated ? ` (built ${id.imageCreated.replace(/\.\d+Z$/, 'Z')}, ${age(id.imageCreated)})` : ''}`);
  line('created', id.created);
  line('state', `${id.state}${id.health ? `, ${id.health}` : ''}, ${id.restarts} restart${id.restarts === 1 ? '' : 's'}${id.state === 'exited' ? `, exit ${id.exitCode}` : ''}`);
  line('restart policy', s(id.restartPolicy));
  if (report.health) {
    const h = report.health;
    line('health', `${s(h.status)}${h.failingStreak > 0 ? `, ${h.failingStreak} failing in a row` : ''}; last check exit ${h.lastExitCode}${h.lastCheck ? ` at ${h.lastCheck.replace(/\.\d+Z$/, 'Z')}` : ''}`);
    const output = h.lastOutput.trim().split('\n').slice(-3);
    for (const outputLine of output) if (outputLine !== '') out.push(`  ${''.padEnd(14)} ${s(outputLine)}`);
  }
  if (!report.pid1) {
    // What matters for a dead container: how it ended and what it was told to run.
    line('exit code', `${id.exitCode}${id.exitCode > 128 ? ` (signal ${id.exitCode - 128})` : ''}`);
    line('OOM killed', id.oomKilled ? 'YES (the kernel ended it: out of memory)' : 'no');
    if (id.finishedAt) line('finished', id.finishedAt);
    if (id.error) line('error', s(id.error));
    line('entrypoint', s(JSON.stringify(report.configured.entrypoint)));
    line('command', s(JSON.stringify(report.configured.command)));
    if (report.configured.user) line('user', s(report.configured.user));
  }

  if (report.pid1) {
    // PID 1 unless the target shares another's PID namespace: then its own process, and its number there.
    section(report.pid1.pid === 1 ? 'PID 1' : `Process (PID ${report.pid1.pid} in the shared PID namespace)`);
    line('command', s(JSON.stringify(report.pid1.commandLine)));
    line('executable', s(report.pid1.executable ?? '?'));
    line('directory', s(report.pid1.workingDirectory ?? '?'));
    line('started', report.pid1.startTime ?? id.startedAt);
    if (report.pid1.hostPid > 0) line('host PID', String(report.pid1.hostPid));
  }
  if (report.application) {
    const app = report.application;
    section(`Application (PID ${app.pid}, under the init above)`);
    line('command', s(JSON.stringify(app.commandLine)));
    line('uid', `${app.uid ?? '?'}${app.userName ? ` (${s(app.userName)})` : ''}`);
    if (app.startTime) line('started', app.startTime);
  }
  if (report.user) {
    section('User');
    const u = report.user;
    const named = (idValue: number | undefined, name: string | null): string => `${idValue ?? '?'}${name ? ` (${s(name)})` : ''}`;
    line('uid', `${named(u.uid?.real, u.userName)}${u.uid && u.uid.effective !== u.uid.real ? `, effective ${u.uid.effective}` : ''}`);
    line('gid', `${named(u.gid?.real, u.groupName)}${u.gid && u.gid.effective !== u.gid.real ? `, effective ${u.gid.effective}` : ''}`);
    line('groups', u.groups.map((g) => named(g.gid, g.name)).join(', ') || 'none');
  }

  section('Security');
  const sec = report.security;
  line('privileged', sec.privileged ? 'YES' : 'no');
  if (sec.capabilities) {
    const caps = sec.capabilities;
    line('effective', caps.effective.map(short).join(' ') || 'none');
    line('vs default', [...caps.addedToDockerDefault.map((c) => `+${short(c)}`), ...caps.droppedFromDockerDefault.map((c) => `-${short(c)}`)].join(' ') || 'Docker default set');
  }
  // Read from the process: a stopped target has none to say.
  if (report.pid1) line('no_new_privs', sec.noNewPrivs === null ? '?' : sec.noNewPrivs ? 'yes' : 'no');
  if (report.pid1) line('seccomp', sec.seccomp ?? '?');
  if (!report.pid1 && sec.securityOptions.length > 0) line('options', sec.securityOptions.map(s).join(', '));
  line('LSM label', s(sec.securityLabel ?? (sec.appArmorProfile || 'none')));

  // A stopped target has no namespaces: a table of '?' says nothing.
  if (report.pid1 || report.namespaces.some((ns) => ns.sharedWith.length > 0)) section('Namespaces');
  if (report.pid1 || report.namespaces.some((ns) => ns.sharedWith.length > 0)) out.push(
    indent(
      table([
        ['KIND', 'ID', 'HOST', 'SHARED WITH'],
        ...report.namespaces.map((ns) => [
          ns.kind,
          ns.id === null ? '?' : String(ns.id),
          ns.host ? 'yes' : 'no',
          ns.sharedWith.map((peer) => `${s(peer.name)}${peer.sidekickKind ? ` (${peer.sidekickKind})` : ''}`).join(', ') || '-',
        ]),
      ]),
    ),
  );

  if (report.limits) {
    section('Limits');
    const l = report.limits;
    line('memory', `${formatBytes(l.memory.usageBytes)} used of ${formatBytes(l.memory.limitBytes)}`);
    line('cpu', `${l.cpu.limitCpus === null ? 'unlimited' : `${l.cpu.limitCpus} CPUs`}${l.cpu.usageSeconds === null ? '' : `, ${l.cpu.usageSeconds.toFixed(2)} s used`}`);
    line('pids', `${l.pids.current ?? '?'} of ${l.pids.limit ?? 'unlimited'}`);
    line('source', l.source);
  }
  if (report.rlimits) {
    const shown = ['nofile', 'nproc', 'core', 'memlock', 'stack'].filter((name) => report.rlimits![name] !== undefined);
    if (shown.length > 0) {
      if (!report.limits) section('Limits');
      line('rlimits', shown.map((name) => { const { soft, hard } = report.rlimits![name]!; return `${name} ${soft === hard ? soft : `${soft}:${hard}`}`; }).join(', '));
    }
  }

  if (report.environment) {
    if (report.environmentSource === 'configured') section('Environment (configured by the engine)');
    else section(report.pid1 && report.pid1.pid !== 1 ? `Environment of PID ${report.pid1.pid}` : 'Environment of PID 1');
    if (report.environmentNote) out.push(`  (${s(report.environmentNote)})`);
    for (const variable of report.environment) out.push(`  ${s(variable.name)}=${variable.value === null ? '' : s(variable.value)}`);
  }

  if (report.sockets) {
    section('Sockets');
    const owners = (list: Array<{ pid: number; name: string }>): string => list.map((o) => `${o.pid}/${s(o.name)}`).join(',') || '-';
    const rows = report.sockets.inet.map((socket) => [
      `${socket.protocol}${socket.family === 'ipv6' ? '6' : ''}`,
      socket.state,
      endpoint(socket.local, socket.localPort),
      socket.listening ? '*' : endpoint(socket.remote, socket.remotePort),
      socket.engineDns ? "(the engine's DNS)" : owners(socket.owners),
    ]);
    for (const socket of report.sockets.unix) rows.push(['unix', socket.listening ? 'LISTEN' : socket.state, s(socket.path ?? '(unnamed)'), '', owners(socket.owners)]);
    out.push(rows.length === 0 ? '  none' : indent(table([['PROTO', 'STATE', 'LOCAL', 'REMOTE', 'PROCESS'], ...rows])));
  }

  if (report.openFiles && report.openFiles.length > 0) {
    section('Open files');
    out.push(
      indent(
        table([
          ['PID', 'NAME', 'FDS', 'SOCKETS', 'PIPES', 'FILES', 'DELETED BUT OPEN'],
          ...report.openFiles.map((files) => [String(files.pid), s(files.name), String(files.count), String(files.sockets), String(files.pipes), String(files.regularFiles), files.deleted.map(s).join(', ') || '-']),
        ]),
      ),
    );
  }

  if (report.network) {
    const net = report.network;
    section('Network');
    for (const address of net.addresses) line(s(address.network), [address.ipv4, address.ipv6].filter(Boolean).join(', ') + (address.gateway ? ` via ${address.gateway}` : '') || '-');
    for (const address of net.ipv6) line(s(address.interface), address.address);
    for (const route of net.routes) line('route', `${route.destination}${route.gateway ? ` via ${route.gateway}` : ''} dev ${s(route.interface)}`);
    if (net.addresses.length === 0 && net.ipv6.length === 0 && net.routes.length === 0) out.push('  no address, no route');
  }

  section('Mounts');
  const mounts = format.allMounts ? report.mounts : report.mounts.filter((mount) => !mount.standard);
  if (mounts.length === 0) out.push('  none');
  else out.push(
    indent(
      table([
        ['DESTINATION', 'TYPE', 'MODE', 'SOURCE'],
        ...mounts.map((mount) => [s(mount.destination), s(mount.type), mount.readOnly ? 'ro' : 'rw', `${s(mount.source)}${mount.device && format.allMounts ? ` (${s(mount.device)})` : ''}`]),
      ]),
    ),
  );
  const hidden = report.mounts.length - mounts.length;
  if (hidden > 0) out.push(`  (${hidden} standard /proc, /sys and /dev mounts of the runtime not shown: --all-mounts)`);
  line('root fs', report.readOnlyRootfs ? 'read-only' : 'writable');

  if (report.filesystem) {
    section('Filesystem');
    const fs = report.filesystem;
    line('looks like', fs.kind);
    line('shell', fs.shells.length > 0 ? fs.shells.join(', ') : 'none');
    if (fs.packageManagers.length > 0) line('packages', fs.packageManagers.join(', '));
    const os = fs.osRelease;
    line('os-release', os ? s(os.PRETTY_NAME ?? os.NAME ?? os.ID ?? '?') : 'none');
    if (fs.largestTopLevel.length > 0) line('largest', fs.largestTopLevel.map((d) => `${s(d.path)} ${formatBytes(d.kilobytes * 1024)}`).join(', '));
  }
  if (report.lastLogLines) {
    section(`Last ${report.lastLogLines.length} log line${report.lastLogLines.length === 1 ? '' : 's'}`);
    for (const logLine of report.lastLogLines) out.push(`  ${s(logLine)}`);
  }
  if (report.problems.length > 0) {
    section('Could not read');
    for (const problem of report.problems) out.push(`  ${s(problem)}`);
  }
  return out.join('\n') + '\n';
}

/** "3 days ago", "5 hours ago", "just now". */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return '?';
  const units: Array<[string, number]> = [['year', 365 * 86400], ['month', 30 * 86400], ['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}

function short(capability: string): string {
  return capability.replace(/^CAP_/, '');
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((row) => `  ${row}`)
    .join('\n');
}
