/** GPU sharing: a share below one device must fit inside a single device; n whole devices must be entirely free. */
import { devicesFit } from '../../framework/gpu-devices.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';
import type { Pod } from '../../framework/workload.js';

const NO_DEVICE: Status = Object.freeze(fail('InsufficientResource', 'gpu'));

export function gpuDeviceStatus(pod: Pod, node: NodeInfo): Status {
  if (pod.gpuMillis <= 0 || devicesFit(node.gpuUsed, pod.gpuMillis)) return SUCCESS;
  return NO_DEVICE;
}
