"""The pure core: durations, availability, the reminder plan and the errors of booking. It imports nothing of
the bot's own (enforced by import-linter), so that it can be reasoned about and tested on its own."""
