import { describe, expect, it } from 'vitest';
import { Node, Pod } from '@orchard/api';
import { describeNode } from './describe-node';
import { describePod, probeText } from './describe-pod';

const pod = Pod.fromPartial({
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'front' }, annotations: {} },
  spec: {
    nodeName: 'pi1',
    containers: [
      {
        name: 'web',
        image: 'nginx:1.25',
        command: ['sh', '-c'],
        args: ['exec nginx'],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'MODE', value: 'prod' }],
        resources: { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '500m', memory: '64Mi' } },
        readinessProbe: { httpGet: { path: '/', port: '80', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
  status: {
    phase: 'Running',
    hostIp: '192.168.1.10',
    podIp: '10.42.0.7',
    startTime: '2026-01-01T11:00:00Z',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: 'web',
        ready: true,
        restartCount: 1,
        containerId: 'docker://abc',
        state: { running: { startedAt: '2026-01-01T11:00:05Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2026-01-01T10:00:00Z', finishedAt: '2026-01-01T11:00:00Z' } },
      },
    ],
  },
});

describe('describePod', () => {
  const text = describePod(pod);
  const expectations: Array<[string, string]> = [
    ['name and namespace aligned', 'Name:         web\nNamespace:    default\n'],
    ['node with host IP', 'Node:         pi1/192.168.1.10\n'],
    ['start time', 'Start Time:   Thu, 01 Jan 2026 11:00:00 +0000\n'],
    ['labels on several lines', 'Labels:       app=web\n              tier=front\n'],
    ['no annotations', 'Annotations:  <none>\n'],
    ['status and IP', 'Status:       Running\nIP:           10.42.0.7\n'],
    ['container section', 'Containers:\n  web:\n    Container ID:  docker://abc\n    Image:         nginx:1.25\n'],
    ['ports', '    Port:          80/TCP\n    Host Port:     0/TCP\n'],
    ['command and args', '    Command:\n      sh\n      -c\n    Args:\n      exec nginx\n'],
    ['state', '    State:          Running\n      Started:      Thu, 01 Jan 2026 11:00:05 +0000\n'],
    ['last state', '    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    137\n'],
    ['ready and restarts', '    Ready:          True\n    Restart Count:  1\n'],
    ['limits', '    Limits:\n      cpu:     1\n      memory:  128Mi\n'],
    ['requests', '    Requests:\n      cpu:      500m\n      memory:   64Mi\n'],
    ['readiness probe', '    Readiness:  http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3\n'],
    ['environment', '    Environment:\n      MODE:  prod\n'],
    ['mounts', '    Mounts:\n      /data from data (rw)\n'],
    ['conditions', 'Conditions:\n  Type    Status\n  Ready   True \n'],
    ['volumes', 'Volumes:\n  data:\n'],
  ];
  for (const [name, fragment] of expectations) it(`shows ${name}`, () => expect(text).toContain(fragment));

  it('shows a terminating pod', () => {
    const p = Pod.fromPartial({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T12:00:00Z', deletionGracePeriodSeconds: 30 } });
    expect(describePod(p)).toContain('Status:                    Terminating (lasts 30s)\n');
  });

  it('shows why a pending pod fits nowhere where kubectl shows the FailedScheduling event', () => {
    const message = "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports.";
    const p = Pod.fromPartial({
      metadata: { name: 'web', namespace: 'default' },
      spec: { schedulerName: 'default-scheduler', containers: [{ name: 'web', image: 'nginx:1.25' }] },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] },
    });
    expect(describePod(p)).toContain(
      'Events:\n  Type     Reason            From               Message\n  ----     ------            ----               -------\n' +
        `  Warning  FailedScheduling  default-scheduler  ${message}\n`,
    );
  });

  it('shows no scheduling failure for a scheduled pod', () => {
    expect(text).not.toContain('FailedScheduling');
  });
});

describe('probeText', () => {
  const base = { initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
  const cases: Array<[string, Parameters<typeof probeText>[0], string]> = [
    ['tcp', { ...base, tcpSocket: { port: '5432', host: '' } }, 'tcp-socket :5432 delay=5s timeout=1s period=10s #success=1 #failure=3'],
    ['exec', { ...base, exec: { command: ['cat', '/tmp/ok'] } }, 'exec [cat /tmp/ok] delay=5s timeout=1s period=10s #success=1 #failure=3'],
  ];
  for (const [name, p, want] of cases) it(name, () => expect(probeText(p)).toBe(want));
});

describe('describeNode', () => {
  const node = Node.fromPartial({
    metadata: { name: 'pi1', labels: { 'kubernetes.io/arch': 'arm64' }, creationTimestamp: '2026-01-01T10:00:00Z' },
    spec: { unschedulable: true, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    status: {
      capacity: { cpu: '4', memory: '4Gi' },
      allocatable: { cpu: '4', memory: '4Gi' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'AgentReady', message: 'agent is posting ready status' }],
      addresses: [{ type: 'InternalIP', address: '192.168.1.10' }],
      nodeInfo: { architecture: 'arm64', kernelVersion: '6.12.0', osImage: 'Debian', operatingSystem: 'linux', agentVersion: 'v0.1.0' },
    },
  });
  const text = describeNode(node, [pod], Date.parse('2026-01-01T12:00:00Z'));
  const expectations: Array<[string, string]> = [
    ['name and roles', 'Name:               pi1\nRoles:              <none>\n'],
    ['labels', 'Labels:             kubernetes.io/arch=arm64\n'],
    ['taints', 'Taints:             dedicated=db:NoSchedule\n'],
    ['unschedulable', 'Unschedulable:      true\n'],
    ['addresses', 'Addresses:\n  InternalIP:  192.168.1.10\n'],
    ['capacity', 'Capacity:\n  cpu:     4\n  memory:  4Gi\n'],
    ['system info', '  Architecture:               arm64\n'],
    ['pod count', 'Non-terminated Pods:          (1 in total)\n'],
    ['pod requests as share of allocatable', '  default                     web   500m (12%)    1 (25%)     64Mi (1%)        128Mi (3%)     '],
    ['allocated totals', '  cpu       500m (12%)  1 (25%)\n'],
  ];
  for (const [name, fragment] of expectations) it(`shows ${name}`, () => expect(text).toContain(fragment));
});
