/** The smallest fleet the reconcile and plan-reuse tests share: one pool of 2–4 nodes and a chat agent. */
export const SMALL_POOL = `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  node: {capacity: {cpu: 4, memory: 8Gi}}
  size: {min: 2, max: 4}
`;

export const chatAgent = (replicas: number) => `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: support
  replicas: ${replicas}
  resources: {requests: {cpu: 1, memory: 1Gi}}
`;
