/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The window's frontend. `tauri dev` runs `npm run dev` and loads http://localhost:1420;
// `tauri build` runs `npm run build` and bundles src-ui/dist (see tauri.conf.json `build`).
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  // Tauri prints its own output; keep Rust errors visible.
  clearScreen: false,
  // Tauri serves the bundle from its own protocol, so asset URLs must be relative-safe.
  base: "./",
  server: {
    port: 1420,
    strictPort: true,
    host: "localhost",
    watch: {
      // Rust builds churn these; the webview does not need to reload for them.
      ignored: ["**/src-tauri/**", "**/target/**"],
    },
  },
  envPrefix: ["VITE_", "TAURI_ENV_"],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK on Linux, WebView2 on Windows and WKWebView on macOS all handle ES2021.
    target: ["es2021", "safari15"],
    sourcemap: false,
  },
  test: {
    root,
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    // Guards only, for a loaded 2-core machine: tests wait for what they look for, not for the clock.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
