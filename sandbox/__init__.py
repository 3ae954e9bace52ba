"""Try the bot without Telegram: `python main.py --sandbox` runs the real bot against the embedded Bot API
emulator (`emulator`) and serves a chat page in the browser where you play two clients and the owner."""
