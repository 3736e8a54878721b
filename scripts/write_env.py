"""Write a development ``.env`` with freshly generated secrets (used by ``make run``)."""

import secrets
import sys
from pathlib import Path

TEMPLATE = """\
# Written by `make run` for local development. Variables set in the environment win.
# See .env.example for every setting.
# Production-like defaults on embedded services: SQLite, no Redis, plain HTTP on localhost.
DEBUG=false
SECURE_SSL_REDIRECT=false
DATABASE_URL=sqlite:///var/gateway.sqlite3
JWT_SECRET={jwt_secret}
# Emails (password-reset links included) are printed to the console: fine on your machine,
# never in production (set an smtp:// EMAIL_URL there).
EMAIL_URL=consolemail://
ENCRYPTION_KEY={encryption_key}
"""


def main(path: str) -> None:
    target = Path(path)
    if target.exists():
        return
    target.write_text(
        TEMPLATE.format(
            jwt_secret=secrets.token_urlsafe(48),
            encryption_key=secrets.token_urlsafe(32),
        )
    )
    target.chmod(0o600)
    print(f"wrote {target} with new secrets")


if __name__ == "__main__":
    main(sys.argv[1])
