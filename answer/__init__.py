"""Answers from retrieved passages: evidence windows, prompt, answer models, citation verifier, follow-ups."""
