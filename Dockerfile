# copbot in a container: `docker build -t copbot .` then
# `docker run -d --name copbot --env-file .env -v copbot-data:/data --restart unless-stopped copbot`
# (or `docker compose up -d` with compose.yaml, which adds PostgreSQL). The SQLite database lives
# in the /data volume, so a new image keeps it; migrations run at every start.

# Stage 1: install copbot and its dependencies, at the tested versions, into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN python -m venv /opt/copbot \
    && /opt/copbot/bin/pip install -c constraints.txt .

# Stage 2: the virtualenv alone (no source tree, no build files), run by an unprivileged user.
FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home copbot \
    && mkdir /data && chown copbot:copbot /data
COPY --from=build /opt/copbot /opt/copbot
# Without DATABASE_URL (or with it empty, as in .env.example) the SQLite file is in copbot's
# data folder under XDG_DATA_HOME: /data/copbot/copbot.sqlite3, in the volume.
ENV PATH=/opt/copbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    XDG_DATA_HOME=/data \
    MPLCONFIGDIR=/tmp/matplotlib
VOLUME /data
WORKDIR /data
USER copbot
CMD ["copbot", "run"]
