// Vite's import.meta.glob, as vitest provides it (tsconfig has no "vite/client" types).
interface ImportMeta {
  glob<T = unknown>(pattern: string, options: { eager: true; import?: string }): Record<string, T>;
}
