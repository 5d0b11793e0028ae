import { useEffect, useState } from 'react';

/** The operator's theme choice, remembered in localStorage (not a secret; survives sign-out). */
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'herald.theme';
const dark = () => window.matchMedia('(prefers-color-scheme: dark)');

export function storedTheme(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

/** Sets `<html data-theme>` to light or dark: the choice, or for `system` what the system prefers now. */
export function applyTheme(choice: ThemeChoice = storedTheme()): void {
  const resolved = choice === 'system' ? (dark().matches ? 'dark' : 'light') : choice;
  document.documentElement.dataset.theme = resolved;
  document.documentElement.dataset.themeChoice = choice;
  window.dispatchEvent(new Event('herald-theme'));
}

/** Applies the stored theme before the first render and follows the system while the choice is `system`. */
export function initTheme(): void {
  applyTheme();
  dark().addEventListener('change', () => {
    if (storedTheme() === 'system') applyTheme('system');
  });
}

/** The theme menu in the navigation: System, Light, Dark. */
export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  useEffect(() => {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
    applyTheme(choice);
  }, [choice]);
  return (
    <label className="theme-choice">
      Theme
      <select value={choice} onChange={(e) => setChoice(e.target.value as ThemeChoice)}>
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
