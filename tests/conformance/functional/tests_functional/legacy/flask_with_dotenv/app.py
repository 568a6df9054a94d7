"""The Flask app dynaconf's test_flask imports: app.config from the .env beside it and the environment."""

from __future__ import annotations

from pathlib import Path

from dynaconf.contrib import FlaskDynaconf
from flask import Flask

app = Flask(__name__)
# NOTE: the root path names this folder, where both dynaconf and ClaritySettings look for .env.
FlaskDynaconf(app, ROOT_PATH_FOR_DYNACONF=str(Path(__file__).parent))


@app.route("/test")
def hello() -> str:
    """The HELLO setting, as the test reads it back through a request."""
    return str(app.config["HELLO"])
