import { useState } from "react";
import { loadToken, saveToken, takeTokenFromLocation } from "./lib/auth";
import { signOut, useMT4WebSocket } from "./hooks/useMT4WebSocket";
import { useMt4Store } from "./stores/mt4.store";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { PageLinkStatus } from "./components/MT4ConnectionStatus";
import { AccountCards, AccountSwitcher } from "./components/AccountCards";
import { MT4LiveTradesPanel } from "./components/MT4LiveTradesPanel";
import { MT4PositionsManager } from "./components/MT4PositionsManager";
import { PairingPanel } from "./components/PairingPanel";
import { SignIn } from "./components/SignIn";

function initialToken(): string | null {
  return takeTokenFromLocation() ?? loadToken();
}

export function App() {
  const [token, setToken] = useState<string | null>(initialToken);
  const link = useMt4Store((s) => s.link);
  const signedOut = link.state === "signed_out";
  useMT4WebSocket(signedOut ? null : token);

  if (token === null || signedOut) {
    return (
      <SignIn
        reason={signedOut ? link.reason : ""}
        onToken={(t) => {
          saveToken(t);
          useMt4Store.getState().reset();
          setToken(t);
        }}
      />
    );
  }
  return (
    <div className="app">
      <header className="topbar">
        <h1>MT4 Companion</h1>
        <PageLinkStatus />
        <button
          type="button"
          data-testid="sign-out"
          onClick={() => {
            signOut();
            setToken(null);
          }}
        >
          Sign out
        </button>
      </header>
      <ErrorBoundary name="account list">
        <AccountSwitcher />
        <AccountCards />
      </ErrorBoundary>
      <ErrorBoundary name="trading panel">
        <MT4PositionsManager />
      </ErrorBoundary>
      <ErrorBoundary name="positions panel">
        <MT4LiveTradesPanel />
      </ErrorBoundary>
      <ErrorBoundary name="gateway list">
        <PairingPanel token={token} />
      </ErrorBoundary>
    </div>
  );
}
