"""The encrypted last-known-good snapshot: written after each validated load, used only at a cold start."""
