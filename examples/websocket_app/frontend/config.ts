// Browser-side runtime config.
const DEFAULT_WS_URL = "ws://localhost:8000/ws";

export function websocketUrl(): string {
  if (process.env.APP_ENV === "staging") {
    // staging was never switched over: it reads the old key only
    return process.env.NEXT_PUBLIC_WEBSOCKET_URL ?? DEFAULT_WS_URL;
  }
  return process.env.NEXT_PUBLIC_WS_URL ?? process.env.NEXT_PUBLIC_WEBSOCKET_URL ?? DEFAULT_WS_URL;
}

// A different setting (the secondary endpoint), not an old name for the one above.
export const websocketFallbackUrl: string | undefined = process.env.NEXT_PUBLIC_WEBSOCKET_URL_FALLBACK;
