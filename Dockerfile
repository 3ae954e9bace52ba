FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/app/.matplotlib

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY main.py alembic.ini ./
COPY config ./config
COPY core ./core
COPY bot ./bot
COPY services ./services
COPY database ./database
# `python main.py --sandbox` (with WEB_HOST=0.0.0.0 and the port published) tries the bot without Telegram.
COPY emulator ./emulator
COPY sandbox ./sandbox
# Compiled once here: with PYTHONDONTWRITEBYTECODE every start would compile the bot's own modules again.
RUN python -m compileall -q config core bot services database emulator sandbox

RUN useradd --create-home --uid 10001 bot && mkdir -p /app/data /app/.matplotlib \
    && chown bot:bot /app/data /app/.matplotlib
USER bot
# matplotlib's font cache, built once here rather than by the first /stats of every new container.
RUN python -c "from services.stats import prepare_charts; prepare_charts()"
VOLUME ["/app/data"]
# Webhook mode and /healthz, /readyz, /metrics (WEB_PORT; 8080 by default in webhook mode).
EXPOSE 8080

# SIGTERM stops polling, lets in-flight reminders finish and exits 0.
STOPSIGNAL SIGTERM
CMD ["python", "main.py"]
