"""Entry point: ``python3 -m sample_app``. Settings come from the environment (see config.py)."""

from __future__ import annotations

import logging
import os
import sys

from .config import Settings, SettingsError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # psycopg_pool logs every checkout at INFO: thousands of lines a minute under load.
    logging.getLogger("psycopg.pool").setLevel(logging.WARNING)

    import uvicorn  # type: ignore[import]  # Debian's uvicorn 0.17 ships no type information

    from .app import create_app

    try:
        settings = Settings.from_env(os.environ)
        app = create_app(settings)
    except SettingsError as error:
        print(f"SettingsError: {error}", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host="0.0.0.0",
        port=settings.port,
        access_log=False,
        log_config=None,
        log_level="info",
        lifespan="on",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
