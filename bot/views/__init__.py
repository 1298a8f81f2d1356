"""Words and layouts for what the bot shows: domain values turned into text through a Translator."""
