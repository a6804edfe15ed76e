import { TEST_IMAGES } from './images';

/** A one-container pod that sleeps for an hour and stops within a second: the plain workload of many tests. */
export function sleeperPod(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`;
}
