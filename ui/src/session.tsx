import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { createApi, type Api } from './api.ts';

const STORAGE_KEY = 'herald.apiKey';

interface Session {
  api: Api;
  signOut(reason?: string): void;
}

const SessionContext = createContext<Session | null>(null);

export function useApi(): Api {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useApi outside a signed-in session');
  return s.api;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in session');
  return s;
}

/** The key lives in sessionStorage only: gone when the tab closes or on sign-out. */
export function useStoredKey() {
  const [key, setKey] = useState<string | null>(() => sessionStorage.getItem(STORAGE_KEY));
  const [notice, setNotice] = useState<string | null>(null);
  const signIn = useCallback((k: string) => {
    sessionStorage.setItem(STORAGE_KEY, k);
    setNotice(null);
    setKey(k);
  }, []);
  const signOut = useCallback((reason?: string) => {
    sessionStorage.removeItem(STORAGE_KEY);
    setNotice(reason ?? null);
    setKey(null);
  }, []);
  return { key, notice, signIn, signOut };
}

export function SessionProvider(props: { apiKey: string; signOut(reason?: string): void; children: ReactNode }) {
  const { apiKey, signOut } = props;
  const value = useMemo<Session>(
    () => ({
      api: createApi(apiKey, () => signOut('Herald no longer accepts this API key. Sign in again.')),
      signOut,
    }),
    [apiKey, signOut],
  );
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}
