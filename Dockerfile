# bookgen gateway: the production booking server (docs/deploy.md).
#   docker build -t bookgen-gateway .
#   docker run --rm -p 8002:8002 -e BOOKGEN_UPSTREAM=https://www.clicrdv.com \
#     -e BOOKGEN_APIKEY_FILE=/run/secrets/apikey -e BOOKGEN_SECRET_FILE=/run/secrets/secret \
#     -e BOOKGEN_PRO_EMAIL_FILE=/run/secrets/pro_email -e BOOKGEN_PRO_PASSWORD_FILE=/run/secrets/pro_password \
#     -v "$PWD/secrets:/run/secrets:ro" bookgen-gateway
# Installs exactly uv.lock (hashes checked), runs as an unprivileged user, holds no secret.

FROM python:3.12-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN python -m pip install --no-cache-dir --disable-pip-version-check "uv==0.13.8"
WORKDIR /app
COPY pyproject.toml uv.lock README.md hatch_build.py ./
COPY generator ./generator
COPY templates ./templates
COPY themes ./themes
RUN uv sync --locked --no-editable --extra redis --python /usr/local/bin/python3

FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/app/.venv/bin:$PATH
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin bookgen
COPY --from=build /app/.venv /app/.venv
USER 10001:10001
EXPOSE 8002
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8002/healthz', timeout=2)"]
# --host 0.0.0.0 inside the container only; publish the port to the proxy or load balancer.
ENTRYPOINT ["bookgen", "gateway", "--host", "0.0.0.0", "--port", "8002"]
CMD ["--workers", "2"]
