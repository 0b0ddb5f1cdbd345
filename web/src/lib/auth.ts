// The web token: from the sign-in link's fragment (#token=...) or pasted, kept in
// sessionStorage (gone with the tab), never in the address bar or a log.

const KEY = "mt4.webToken";

/** Move a `#token=` fragment into sessionStorage and take it off the address bar. */
export function takeTokenFromLocation(loc: Location = window.location, hist: History = window.history): string | null {
  const hash = loc.hash.startsWith("#") ? loc.hash.slice(1) : loc.hash;
  if (!hash) return null;
  const params = new URLSearchParams(hash);
  const token = params.get("token");
  if (token === null) return null;
  params.delete("token");
  const rest = params.toString();
  hist.replaceState(null, "", `${loc.pathname}${loc.search}${rest ? `#${rest}` : ""}`);
  const clean = token.trim();
  if (clean === "") return null;
  saveToken(clean);
  return clean;
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // storage disabled: the token lives only as long as this page
  }
}

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

/**
 * Why a token cannot work, read from its unverified claims (the backend decides for real;
 * this only spares a doomed connect): "expired", "invalid", "wrong_kind" or null.
 */
export function tokenProblem(token: string, nowMs: number): string | null {
  const parts = token.split(".");
  if (parts.length !== 3) return "invalid";
  try {
    const b64 = (parts[1] ?? "").replace(/-/g, "+").replace(/_/g, "/");
    const claims: unknown = JSON.parse(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "=")));
    if (typeof claims !== "object" || claims === null) return "invalid";
    const c = claims as { exp?: unknown; kind?: unknown };
    if (c.kind !== undefined && c.kind !== "web") return "wrong_kind";
    if (typeof c.exp === "number" && c.exp * 1000 <= nowMs) return "expired";
    return null;
  } catch {
    return "invalid";
  }
}

const REASONS: Readonly<Record<string, string>> = {
  missing: "no sign-in token was given",
  invalid: "the sign-in token is not valid",
  expired: "the sign-in token has expired",
  bad_subject: "the sign-in token names no valid user",
  wrong_kind: "this is a gateway token, not a web sign-in token",
  revoked: "the sign-in token was revoked",
  signed_out: "you signed out",
};

export function reasonText(reason: string): string {
  return REASONS[reason] ?? reason;
}
