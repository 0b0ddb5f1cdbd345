import { useState, type FormEvent } from "react";
import { tokenProblem, reasonText } from "../lib/auth";

/** The way in without a sign-in link: paste a web token. */
export function SignIn({ reason, onToken }: { reason: string; onToken: (token: string) => void }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const token = text.trim();
    if (token === "") {
      setError("Paste the token first.");
      return;
    }
    const problem = tokenProblem(token, Date.now());
    if (problem !== null) {
      setError(`This token will not work: ${reasonText(problem)}.`);
      return;
    }
    onToken(token);
  };
  return (
    <main className="signin" data-testid="signin-page">
      <h1>MT4 Companion</h1>
      {reason !== "" && (
        <p className="signed-out" role="alert" data-testid="signed-out-reason">
          Signed out: {reason}.
        </p>
      )}
      <form onSubmit={submit} className="card">
        <label className="form-row">
          <span>Sign-in token</span>
          <textarea data-testid="signin-token" rows={4} autoComplete="off" spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        {error !== null && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" data-testid="signin-submit">
          Sign in
        </button>
        <p className="muted">
          Get a sign-in link with <code>platform-backend issue-token --user ID --url http://HOST:PORT/</code>.
        </p>
      </form>
    </main>
  );
}
