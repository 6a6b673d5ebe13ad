/** The plan a pull request was last planned with, kept in the state store for `/qm apply`. */
import type { Plan } from '../model/plan.js';
import type { MetaStore } from '../state/store.js';

export interface StoredPrPlan {
  planId: string;
  headSha: string;
  baseSha: string;
  createdAt: string;
  changes: boolean;
  /** Pools the pull request locks. */
  pools: string[];
  plan: Plan;
  /** Set once applied, with the outcome: the same plan is never applied twice. */
  appliedAt?: string;
  status?: 'applied' | 'failed' | 'partial';
}

const key = (fullName: string, pr: number) => `github/pr/${fullName}#${pr}`;

export async function saveStoredPlan(meta: MetaStore, fullName: string, pr: number, record: StoredPrPlan): Promise<void> {
  await meta.set(key(fullName, pr), record);
}

export async function loadStoredPlan(meta: MetaStore, fullName: string, pr: number): Promise<StoredPrPlan | undefined> {
  const v = await meta.get(key(fullName, pr));
  const r = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (!r || typeof r !== 'object' || typeof (r as StoredPrPlan).planId !== 'string') return undefined;
  return r as StoredPrPlan;
}

export async function deleteStoredPlan(meta: MetaStore, fullName: string, pr: number): Promise<void> {
  await meta.delete(key(fullName, pr));
}
