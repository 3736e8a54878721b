# Gateway web image (the worker and beat run the same image with another command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=4000

WORKDIR /app
RUN groupadd --system gateway && useradd --system --gid gateway --home /app gateway

COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY --chown=gateway:gateway . .
# collectstatic only needs settings to import; DEBUG=true waives the production secrets.
RUN DEBUG=true ENV_FILE=/dev/null python manage.py collectstatic --noinput \
    && mkdir -p var && chown gateway:gateway var

USER gateway
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"4000\")}/health', timeout=4)"
# The same start command as the Procfile and `make run` (gunicorn + uvicorn workers).
CMD ["scripts/serve"]
