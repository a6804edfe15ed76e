import type { Container, ContainerState, ContainerStatus, Pod, Probe, Volume } from '@orchard/api';
import { describeTime } from './age';
import { DescribeWriter, keyValues } from './describe-writer';

/** `orchard describe pod`: the fields kubectl describe shows that Orchard has. */
export function describePod(pod: Pod): string {
  const w = new DescribeWriter();
  const meta = pod.metadata;
  const spec = pod.spec;
  const status = pod.status;
  w.field(0, 'Name', meta?.name ?? '');
  w.field(0, 'Namespace', meta?.namespace ?? '');
  if (spec?.priority !== undefined) w.field(0, 'Priority', spec.priority);
  if (spec?.nodeName) w.field(0, 'Node', status?.hostIp ? `${spec.nodeName}/${status.hostIp}` : spec.nodeName);
  else w.field(0, 'Node', '<none>');
  if (status?.startTime) w.field(0, 'Start Time', describeTime(status.startTime));
  w.multiline(0, 'Labels', keyValues(meta?.labels));
  w.multiline(0, 'Annotations', keyValues(meta?.annotations, ': '));
  if (meta?.deletionTimestamp) {
    w.field(0, 'Status', `Terminating (lasts ${meta.deletionGracePeriodSeconds ?? 0}s)`);
    w.field(0, 'Termination Grace Period', `${meta.deletionGracePeriodSeconds ?? 0}s`);
  } else {
    w.field(0, 'Status', status?.phase || 'Pending');
  }
  if (status?.reason) w.field(0, 'Reason', status.reason);
  if (status?.message) w.field(0, 'Message', status.message);
  w.field(0, 'IP', status?.podIp ?? '');
  const statuses = new Map<string, ContainerStatus>();
  for (const s of [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]) statuses.set(s.name, s);
  if (spec && spec.initContainers.length > 0) {
    w.field(0, 'Init Containers');
    for (const c of spec.initContainers) describeContainer(w, c, statuses.get(c.name));
  }
  w.field(0, 'Containers');
  for (const c of spec?.containers ?? []) describeContainer(w, c, statuses.get(c.name));
  const conditions = status?.conditions ?? [];
  if (conditions.length > 0) {
    w.field(0, 'Conditions');
    w.line(1, 'Type\tStatus');
    for (const c of conditions) w.line(1, `${c.type} \t${c.status} `);
  }
  describeVolumes(w, spec?.volumes ?? []);
  w.multiline(0, 'Node-Selectors', keyValues(spec?.nodeSelector));
  const tolerations = (spec?.tolerations ?? []).map((t) => {
    let s = t.key || '';
    if (t.operator === 'Equal' || (t.operator === '' && t.value)) s += `=${t.value}`;
    if (t.operator === 'Exists' && !t.key) s = 'op=Exists';
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && t.key) s += ' op=Exists';
    if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
    return s;
  });
  w.multiline(0, 'Tolerations', tolerations);
  describeSchedulingFailure(w, pod);
  return w.toString();
}

/**
 * Where kubectl shows a FailedScheduling event, the reason a pending pod fits nowhere
 * ("0/3 nodes are available: ..."). Orchard keeps no event objects: the scheduler records
 * the reason in the PodScheduled=False condition, and this prints it in the event's place.
 */
function describeSchedulingFailure(w: DescribeWriter, pod: Pod): void {
  if (pod.spec?.nodeName) return;
  const c = (pod.status?.conditions ?? []).find((x) => x.type === 'PodScheduled');
  if (!c || c.status !== 'False' || !c.message) return;
  w.field(0, 'Events');
  w.line(1, 'Type\tReason\tFrom\tMessage');
  w.line(1, '----\t------\t----\t-------');
  w.line(1, `Warning\tFailedScheduling\t${pod.spec?.schedulerName || 'default-scheduler'}\t${c.message}`);
}

function describeContainer(w: DescribeWriter, c: Container, s: ContainerStatus | undefined): void {
  w.field(1, c.name);
  if (s?.containerId) w.field(2, 'Container ID', s.containerId);
  w.field(2, 'Image', c.image);
  if (s?.imageId) w.field(2, 'Image ID', s.imageId);
  const ports = c.ports.map((p) => `${p.containerPort}/${p.protocol || 'TCP'}`);
  const hostPorts = c.ports.map((p) => `${p.hostPort}/${p.protocol || 'TCP'}`);
  w.field(2, ports.length > 1 ? 'Ports' : 'Port', ports.length ? ports.join(', ') : '<none>');
  w.field(2, hostPorts.length > 1 ? 'Host Ports' : 'Host Port', hostPorts.length ? hostPorts.join(', ') : '<none>');
  if (c.command.length > 0) {
    w.field(2, 'Command');
    for (const a of c.command) w.line(3, a);
  }
  if (c.args.length > 0) {
    w.field(2, 'Args');
    for (const a of c.args) w.line(3, a);
  }
  describeState(w, 'State', s?.state, 'Waiting');
  if (s?.lastState && (s.lastState.running || s.lastState.waiting || s.lastState.terminated)) {
    describeState(w, 'Last State', s.lastState, '');
  }
  w.field(2, 'Ready', s?.ready ? 'True' : 'False');
  w.field(2, 'Restart Count', s?.restartCount ?? 0);
  for (const [title, m] of [
    ['Limits', c.resources?.limits],
    ['Requests', c.resources?.requests],
  ] as const) {
    const entries = Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) continue;
    w.field(2, title);
    for (const [k, v] of entries) w.field(3, k, v);
  }
  if (c.livenessProbe) w.field(2, 'Liveness', probeText(c.livenessProbe));
  if (c.readinessProbe) w.field(2, 'Readiness', probeText(c.readinessProbe));
  if (c.startupProbe) w.field(2, 'Startup', probeText(c.startupProbe));
  if (c.env.length === 0) w.field(2, 'Environment', '<none>');
  else {
    w.field(2, 'Environment');
    for (const e of c.env) {
      const from = e.valueFrom;
      let v = e.value;
      if (from?.fieldRef) v = `(${from.fieldRef.apiVersion || 'v1'}:${from.fieldRef.fieldPath})`;
      else if (from?.configMapKeyRef) v = `<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name}'>`;
      else if (from?.secretKeyRef) v = `<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name}'>`;
      else if (from?.resourceFieldRef) v = `${from.resourceFieldRef.resource}`;
      w.field(3, e.name, v);
    }
  }
  if (c.volumeMounts.length === 0) w.field(2, 'Mounts', '<none>');
  else {
    w.field(2, 'Mounts');
    for (const m of c.volumeMounts) {
      w.line(3, `${m.mountPath} from ${m.name}${m.subPath ? ` (${m.readOnly ? 'ro' : 'rw'},path="${m.subPath}")` : ` (${m.readOnly ? 'ro' : 'rw'})`}`);
    }
  }
}

function describeState(w: DescribeWriter, title: string, st: ContainerState | undefined, fallback: string): void {
  if (st?.running) {
    w.field(2, title, 'Running');
    w.field(3, 'Started', describeTime(st.running.startedAt));
  } else if (st?.waiting) {
    w.field(2, title, 'Waiting');
    if (st.waiting.reason) w.field(3, 'Reason', st.waiting.reason);
    if (st.waiting.message) w.field(3, 'Message', st.waiting.message);
  } else if (st?.terminated) {
    const t = st.terminated;
    w.field(2, title, 'Terminated');
    if (t.reason) w.field(3, 'Reason', t.reason);
    if (t.message) w.field(3, 'Message', t.message);
    w.field(3, 'Exit Code', t.exitCode);
    if (t.signal) w.field(3, 'Signal', t.signal);
    if (t.startedAt) w.field(3, 'Started', describeTime(t.startedAt));
    if (t.finishedAt) w.field(3, 'Finished', describeTime(t.finishedAt));
  } else if (fallback) {
    w.field(2, title, fallback);
  }
}

/** A probe as kubectl describes it: `http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3`. */
export function probeText(p: Probe): string {
  let handler = 'unknown';
  if (p.httpGet) {
    const h = p.httpGet;
    handler = `http-get ${(h.scheme || 'HTTP').toLowerCase()}://${h.host}:${h.port}${h.path || '/'}`;
  } else if (p.tcpSocket) handler = `tcp-socket ${p.tcpSocket.host}:${p.tcpSocket.port}`;
  else if (p.exec) handler = `exec [${p.exec.command.join(' ')}]`;
  return (
    `${handler} delay=${p.initialDelaySeconds}s timeout=${p.timeoutSeconds}s period=${p.periodSeconds}s ` +
    `#success=${p.successThreshold} #failure=${p.failureThreshold}`
  );
}

function describeVolumes(w: DescribeWriter, volumes: readonly Volume[]): void {
  if (volumes.length === 0) {
    w.field(0, 'Volumes', '<none>');
    return;
  }
  w.field(0, 'Volumes');
  for (const v of volumes) {
    w.field(1, v.name);
    if (v.emptyDir) {
      w.field(2, 'Type', "EmptyDir (a temporary directory that shares a pod's lifetime)");
      w.field(2, 'Medium', v.emptyDir.medium);
      w.field(2, 'SizeLimit', v.emptyDir.sizeLimit || '<unset>');
    } else if (v.hostPath) {
      w.field(2, 'Type', 'HostPath (bare host directory volume)');
      w.field(2, 'Path', v.hostPath.path);
      w.field(2, 'HostPathType', v.hostPath.type);
    } else if (v.configMap) {
      w.field(2, 'Type', 'ConfigMap (a volume populated by a ConfigMap)');
      w.field(2, 'Name', v.configMap.name);
      w.field(2, 'Optional', v.configMap.optional ?? false);
    } else if (v.secret) {
      w.field(2, 'Type', 'Secret (a volume populated by a Secret)');
      w.field(2, 'SecretName', v.secret.secretName);
      w.field(2, 'Optional', v.secret.optional ?? false);
    } else if (v.persistentVolumeClaim) {
      w.field(2, 'Type', 'PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)');
      w.field(2, 'ClaimName', v.persistentVolumeClaim.claimName);
      w.field(2, 'ReadOnly', v.persistentVolumeClaim.readOnly);
    }
  }
}
