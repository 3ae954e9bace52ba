import sys

from bot.lazy_types import import_aiogram

import_aiogram()  # as main.py does: the scenarios run in this process see aiogram as the bot does

from bench.run import main  # noqa: E402

sys.exit(main())
