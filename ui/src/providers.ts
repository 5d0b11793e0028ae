import { useApi } from './session.tsx';
import { useLoad } from './hooks.ts';

export interface ProviderSummary {
  name: string;
  type: string;
  channel: string;
}

/**
 * The configured providers (GET /v1/providers), for dropdowns. `names` is undefined while loading
 * or when the key may not read providers: the form falls back to a text field then.
 */
export function useProviderNames(channel?: string): { names: string[] | undefined } {
  const api = useApi();
  const list = useLoad(() => api.get<{ providers: ProviderSummary[] }>('/v1/providers'), []);
  const names = list.data?.providers
    .filter((p) => !channel || p.channel === channel)
    .map((p) => p.name)
    .sort();
  return { names };
}

/** Chart colours with enough contrast from each other and the background in both themes. */
const PROVIDER_PALETTE = ['#3b6fe0', '#d98a00', '#1f9d55', '#c2418f', '#0f9bb0', '#7b5cd6', '#d64545', '#6b7a90'];

/**
 * One colour per provider, the same in every chart: by the name's place among all the names
 * shown (sorted), so two providers never share a colour while there are at most eight.
 */
export function providerColors(names: readonly string[]): (name: string) => string {
  const sorted = [...new Set(names)].sort();
  return (name) => PROVIDER_PALETTE[Math.max(0, sorted.indexOf(name)) % PROVIDER_PALETTE.length]!;
}
