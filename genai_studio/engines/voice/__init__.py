"""Voice engines: text-to-speech (Piper), WORLD-based transforms and singing, speech denoise."""
