"""Melody engines: note-event tokens, the n-gram baseline, the MelodyGRU model and constrained generation."""
